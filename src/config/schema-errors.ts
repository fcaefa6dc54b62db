/**
 * Turns TypeBox validation errors into readable, de-duplicated reasons on config paths.
 * Pure: no YAML here; line/column are attached by the caller.
 */
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { Settings } from 'typebox/system';
import { formatPath, isRecord, pointerToSegments, valueAt, type PathSegment } from './path.ts';
import { redactCredentials } from './redact.ts';

export interface PathIssue { path: string; message: string }

interface RawError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** Every schema error (TypeBox stops at `maxErrors`, 8 by default; lift it for this call). */
export function collectSchemaIssues(schema: TSchema, value: unknown): PathIssue[] {
  const previous = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: 100_000 });
  let errors: RawError[];
  try {
    errors = Value.Errors(schema, value) as unknown as RawError[];
  } finally {
    Settings.Set({ maxErrors: previous });
  }
  return convertErrors(errors, schema, value);
}

export function convertErrors(errors: readonly RawError[], schema: TSchema, root: unknown): PathIssue[] {
  // anyOf reports every failed branch before itself; keep only the anyOf summary.
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/anyOf/`);
  const out: PathIssue[] = [];
  const seen = new Set<string>();
  const push = (segments: PathSegment[], message: string): void => {
    const path = formatPath(segments);
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path, message });
  };
  for (const e of errors) {
    if (anyOfPaths.some((p) => e.schemaPath.startsWith(p))) continue;
    const segments = pointerToSegments(e.instancePath, root);
    const actual = valueAt(root, segments);
    const params = e.params;
    switch (e.keyword) {
      case 'boolean': {
        // `additionalProperties: false` is reported twice (per key and per object): keep the
        // object-level one. `additionalItems: false` means a tuple got too many items.
        if (e.schemaPath.endsWith('/additionalProperties')) break;
        if (e.schemaPath.endsWith('/additionalItems')) {
          const tuple = schemaAt(schema, e.schemaPath.slice(0, -'/additionalItems'.length));
          const parent = segments.slice(0, -1);
          push(parent, tupleMessage(tuple, valueAt(root, parent)));
          break;
        }
        push(segments, 'is not allowed here');
        break;
      }
      case 'additionalProperties': {
        const keys = Array.isArray(params['additionalProperties']) ? params['additionalProperties'] : [];
        const known = propertyNames(schemaAt(schema, e.schemaPath));
        for (const k of keys) push([...segments, String(k)], unknownKeyMessage(String(k), known));
        break;
      }
      case 'required': {
        // A missing key that has a default is not an error: the default fills it in later.
        const props = propertySchemas(schemaAt(schema, e.schemaPath));
        const keys = Array.isArray(params['requiredProperties']) ? params['requiredProperties'] : [];
        for (const k of keys) {
          const prop = props[String(k)];
          if (isRecord(prop) && prop['default'] !== undefined) continue;
          push(segments, `missing required key '${String(k)}'`);
        }
        break;
      }
      case 'type':
        push(segments, typeMessage(String(params['type']), actual));
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        push(segments, `must be ${String(params['comparison'])} ${String(params['limit'])} (got ${repr(actual)})`);
        break;
      case 'minItems':
      case 'maxItems': {
        const own = schemaAt(schema, e.schemaPath);
        if (isRecord(own) && Array.isArray(own['items'])) { push(segments, tupleMessage(own, actual)); break; }
        const n = Number(params['limit']);
        const word = e.keyword === 'minItems' ? 'at least' : 'at most';
        push(segments, `must have ${word} ${n} item${n === 1 ? '' : 's'} (got ${Array.isArray(actual) ? actual.length : '?'})`);
        break;
      }
      case 'minLength':
        push(segments, Number(params['limit']) === 1 ? 'must not be empty' : `must be at least ${String(params['limit'])} characters long`);
        break;
      case 'maxLength':
        push(segments, `must be at most ${String(params['limit'])} characters long`);
        break;
      case 'pattern':
        push(segments, `must match ${String(params['pattern'])} (got ${repr(actual)})`);
        break;
      case 'enum': {
        const allowed = Array.isArray(params['allowedValues']) ? params['allowedValues'] : [];
        push(segments, `must be one of ${allowed.map(String).join('|')} (got ${repr(actual)})`);
        break;
      }
      case 'const':
        push(segments, `must be ${repr(params['allowedValue'])} (got ${repr(actual)})`);
        break;
      case 'anyOf':
        push(segments, anyOfMessage(schemaAt(schema, e.schemaPath), actual));
        break;
      case 'uniqueItems':
        push(segments, 'must not contain duplicate items');
        break;
      default:
        push(segments, e.message);
    }
  }
  return out;
}

function typeMessage(expected: string, actual: unknown): string {
  const numeric = expected === 'number' || expected === 'integer';
  if (numeric && typeof actual === 'number' && !Number.isFinite(actual)) return `must be a finite number (got ${repr(actual)})`;
  const exp = expected === 'object' ? 'mapping' : expected === 'array' ? 'list' : expected;
  if (actual === null && expected === 'object') return 'expected mapping, got nothing (empty value)';
  return `expected ${exp}, got ${describe(actual)}`;
}

function tupleMessage(tuple: unknown, actual: unknown): string {
  const n = isRecord(tuple) && Array.isArray(tuple['items']) ? tuple['items'].length : '?';
  return `must have exactly ${n} items (got ${Array.isArray(actual) ? actual.length : '?'})`;
}

function anyOfMessage(schema: unknown, actual: unknown): string {
  const branches = isRecord(schema) && Array.isArray(schema['anyOf']) ? schema['anyOf'] : [];
  const consts = branches.filter((b) => isRecord(b) && 'const' in b).map((b) => String((b as Record<string, unknown>)['const']));
  if (consts.length > 0 && consts.length === branches.length) return `must be one of ${consts.join('|')} (got ${repr(actual)})`;
  const types = branches.map((b) => (isRecord(b) && typeof b['type'] === 'string' ? b['type'] : 'value'));
  return `expected ${[...new Set(types)].join(' or ')}, got ${describe(actual)}`;
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = known
    .map((k) => ({ k, d: editDistance(key.toLowerCase(), k.toLowerCase()) }))
    .filter((x) => x.d <= Math.max(1, Math.floor(x.k.length / 3)))
    .sort((a, b) => a.d - b.d)[0];
  return near ? `unknown key '${key}' (did you mean '${near.k}'?)` : `unknown key '${key}'`;
}

function propertySchemas(schema: unknown): Record<string, unknown> {
  return isRecord(schema) && isRecord(schema['properties']) ? schema['properties'] : {};
}

function propertyNames(schema: unknown): string[] {
  return Object.keys(propertySchemas(schema));
}

/** Resolve a TypeBox schemaPath ("#/properties/a/items/0") against the schema object. */
function schemaAt(schema: TSchema, schemaPath: string): unknown {
  const parts = schemaPath.replace(/^#\/?/, '').split('/').filter((p) => p !== '');
  let cur: unknown = schema;
  for (const raw of parts) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(part)];
    else if (isRecord(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

/** Short type description for "got …". */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (empty value)';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  if (typeof v === 'string') return `string ${repr(v)}`;
  if (typeof v === 'number' && Number.isInteger(v)) return `number ${v}`;
  return `${typeof v} ${repr(v)}`;
}

/** Short, credential-free rendering of a value for messages. */
export function repr(v: unknown): string {
  if (typeof v === 'string') {
    const s = redactCredentials(v);
    return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
  }
  if (typeof v === 'number') return Number.isNaN(v) ? '.nan' : v === Infinity ? '.inf' : v === -Infinity ? '-.inf' : String(v);
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
