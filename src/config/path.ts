/**
 * Config paths: the human form used in issues ("cameras[1].rtp_config.port", "" = root)
 * and conversions from/to path segments and JSON pointers (TypeBox's instancePath).
 */

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Segments → "a.b[2].c". Keys that are not plain identifiers are written as ["key"]. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** "a.b[2].c" or 'a["odd key"]' → segments. Lenient: unparsable text becomes one key. */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const re = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[\]]+)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < path.length && (m = re.exec(path)) !== null) {
    if (m[1] !== undefined) segments.push(Number(m[1]));
    else if (m[2] !== undefined) segments.push(JSON.parse(m[2]) as string);
    else if (m[3] !== undefined) segments.push(m[3]);
  }
  return segments;
}

/** Append one key or index to a path string. */
export function joinPath(path: string, seg: PathSegment): string {
  return formatPath([...parsePath(path), seg]);
}

/**
 * JSON pointer ("/cameras/1/port") → segments; a segment becomes a number when the value it
 * indexes is an array, so the result formats as "cameras[1].port".
 */
export function pointerToSegments(pointer: string, root: unknown): PathSegment[] {
  if (pointer === '') return [];
  const parts = pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const segments: PathSegment[] = [];
  let cur: unknown = root;
  for (const part of parts) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) {
      const i = Number(part);
      segments.push(i);
      cur = cur[i];
    } else {
      segments.push(part);
      cur = isRecord(cur) ? cur[part] : undefined;
    }
  }
  return segments;
}

/** The value at the given segments, or undefined. */
export function valueAt(root: unknown, segments: readonly PathSegment[]): unknown {
  let cur: unknown = root;
  for (const seg of segments) {
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isRecord(cur)) cur = cur[String(seg)];
    else return undefined;
  }
  return cur;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
