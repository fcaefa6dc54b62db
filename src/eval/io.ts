/**
 * Readers for the inputs of `dvs eval`: truth.jsonl (CONTRACTS §5) and tracks.jsonl (CONTRACTS §6).
 * Every malformed line is reported as `FILE:LINE: reason`. Blank lines are skipped.
 */
import { readFile } from 'node:fs/promises';
import type { DetectionRow, TrackRow, TruthRow, Vec3 } from './types.ts';

/** Bad input to `dvs eval` (a file that cannot be read or parsed); the CLI exits 2 on it. */
export class EvalInputError extends Error {
  readonly code = 'EVAL_INPUT';
  override readonly name = 'EvalInputError';
}

export type JsonObject = Record<string, unknown>;

export function parseTruthJsonl(text: string, file: string): TruthRow[] {
  const rows = parseJsonl(text, file, (o, at) => ({
    t: num(o, 't', at),
    id: ident(o, 'id', at),
    class: oneOf(o, 'class', ['drone', 'bird'] as const, at),
    enu: vec3(o, 'enu', at),
  }));
  if (rows.length === 0) throw new EvalInputError(`${file}: no truth rows`);
  return rows;
}

/** `vel` and `confidence` are not used for scoring; they are type-checked when present. */
export function parseTracksJsonl(text: string, file: string): TrackRow[] {
  return parseJsonl(text, file, (o, at) => {
    const row: TrackRow = {
      t: num(o, 't', at),
      track_id: ident(o, 'track_id', at),
      status: oneOf(o, 'status', ['tentative', 'confirmed', 'lost'] as const, at),
      enu: vec3(o, 'enu', at),
      class: oneOf(o, 'class', ['drone', 'bird', 'unknown'] as const, at),
    };
    if (o['vel'] !== undefined) row.vel = vec3(o, 'vel', at);
    if (o['confidence'] !== undefined) row.confidence = num(o, 'confidence', at);
    return row;
  });
}

/** detections.jsonl (CONTRACTS §6): `{"t", "enu", "energy", "cameras"}`; only t and enu are required. */
export function parseDetectionsJsonl(text: string, file: string): DetectionRow[] {
  return parseJsonl(text, file, (o, at) => ({ t: num(o, 't', at), enu: vec3(o, 'enu', at) }));
}

export async function readDetectionsFile(path: string): Promise<DetectionRow[]> {
  return parseDetectionsJsonl(await readText(path), path);
}

export async function readTruthFile(path: string): Promise<TruthRow[]> {
  return parseTruthJsonl(await readText(path), path);
}

export async function readTracksFile(path: string): Promise<TrackRow[]> {
  return parseTracksJsonl(await readText(path), path);
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new EvalInputError(`${path}: cannot read: ${(err as Error).message}`);
  }
}

function parseJsonl<T>(text: string, file: string, row: (o: JsonObject, at: string) => T): T[] {
  const out: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const at = `${file}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new EvalInputError(`${at}: invalid JSON: ${(err as Error).message}`);
    }
    out.push(row(asObject(v, at), at));
  }
  return out;
}

export function asObject(v: unknown, at: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EvalInputError(`${at}: expected a JSON object`);
  return v as JsonObject;
}

export function field(o: JsonObject, name: string, at: string): unknown {
  const v = o[name];
  if (v === undefined) throw new EvalInputError(`${at}: missing field "${name}"`);
  return v;
}

export function num(o: JsonObject, name: string, at: string): number {
  const v = field(o, name, at);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new EvalInputError(`${at}: field "${name}" must be a finite number, got ${show(v)}`);
  return v;
}

export function vec3(o: JsonObject, name: string, at: string): Vec3 {
  const v = field(o, name, at);
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new EvalInputError(`${at}: field "${name}" must be an array of 3 finite numbers, got ${show(v)}`);
  }
  return [v[0] as number, v[1] as number, v[2] as number];
}

/** A string, or an integer (converted to its decimal string). */
function ident(o: JsonObject, name: string, at: string): string {
  const v = field(o, name, at);
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  throw new EvalInputError(`${at}: field "${name}" must be a non-empty string or an integer, got ${show(v)}`);
}

function oneOf<const V extends readonly string[]>(o: JsonObject, name: string, values: V, at: string): V[number] {
  const v = field(o, name, at);
  if (typeof v !== 'string' || !values.includes(v)) {
    throw new EvalInputError(`${at}: field "${name}" must be one of ${values.map((x) => `"${x}"`).join(', ')}, got ${show(v)}`);
  }
  return v as V[number];
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
