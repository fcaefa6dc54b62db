/**
 * Generic "YAML text + TypeBox schema + semantic checks → typed value or every issue" helper.
 * Used by the site config, the zone file and the simulator's scenario loader.
 * Expected failures are values ({ ok: false, issues }), never exceptions.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Document } from 'yaml';
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { parsePath, type PathSegment } from './path.ts';
import { collectSchemaIssues } from './schema-errors.ts';
import { redactCredentialsInText } from './redact.ts';

export interface ConfigIssue {
  /** "cameras[1].rtp_config.port"; "" = document root. */
  path: string;
  /** 1-based line of the YAML node at `path` (or its nearest existing parent). */
  line?: number;
  /** 1-based column. */
  column?: number;
  message: string;
}

/** The one fault class of this module: a config file that must not be used. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly file: string, readonly issues: ConfigIssue[]) {
    super(formatIssues(file, issues));
    this.name = 'ConfigError';
  }
}

export interface SourcePosition { line: number; column: number }

/** Finds the line/column of a path in the parsed document (nearest existing parent). */
export type Locate = (path: string) => SourcePosition | undefined;

/**
 * A semantic check, run only once the schema passes (defaults applied). `report` takes a path in
 * issue form ("cameras[2].source"); `locate` lets a message cite another node's line.
 */
export type Check<T> = (value: T, report: (path: string, message: string) => void, locate: Locate) => void;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: ConfigIssue[] };

export interface ParseOptions<T> {
  /** The file's name, for callers' bookkeeping; issues carry no file name (see formatIssues). */
  file?: string;
  /** Semantic checks, run in order after the schema passed and defaults were applied. */
  checks?: Check<T>[];
}

export function parseYamlWith<S extends TSchema>(
  text: string,
  schema: S,
  opts: ParseOptions<Static<S>> = {},
): ParseResult<Static<S>> {
  const lineCounter = new LineCounter();
  // logLevel 'error': no process warnings (they could echo file content); problems become issues.
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: true, logLevel: 'error' });
  const locate = makeLocator(doc, lineCounter);

  if (doc.errors.length > 0) {
    return fail(doc.errors.map((e) => ({
      path: '',
      ...(e.linePos ? { line: e.linePos[0].line, column: e.linePos[0].col } : {}),
      message: `YAML syntax error: ${firstLine(e.message)}`,
    })));
  }
  const structural = structuralIssues(doc, lineCounter);
  if (structural.length > 0) return fail(structural);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // e.g. "Excessive alias count" (billion-laughs guard)
    return fail([{ path: '', ...locate(''), message: `YAML error: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  if (raw === null || raw === undefined) return fail([{ path: '', line: 1, column: 1, message: 'document is empty' }]);

  // Validate what was written (a missing key that has a default is not an error), and apply
  // defaults only to a valid value: TypeBox's Value.Default pads short tuples with undefined.
  const schemaIssues = collectSchemaIssues(schema, raw);
  if (schemaIssues.length > 0) return fail(schemaIssues.map((i) => ({ ...i, ...locate(i.path) })));
  // Clone first: YAML aliases share objects, and a default must not leak through them.
  const value: unknown = Value.Default(schema, Value.Clone(raw));
  const defaultIssues = collectSchemaIssues(schema, value); // only a schema with a bad default
  if (defaultIssues.length > 0) return fail(defaultIssues.map((i) => ({ ...i, message: `${i.message} (after defaults)` })));

  const typed = value as Static<S>;
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const report = (path: string, message: string): void => {
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    issues.push({ path, ...locate(path), message });
  };
  for (const check of opts.checks ?? []) check(typed, report, locate);
  return issues.length > 0 ? fail(issues) : { ok: true, value: typed };
}

/** One line per issue: "<file>:<line>:<col> <path>: <reason>". */
export function formatIssues(file: string, issues: readonly ConfigIssue[]): string {
  return issues
    .map((i) => {
      const where = i.line !== undefined ? `${file}:${i.line}:${i.column ?? 1}` : file;
      return i.path === '' ? `${where} ${i.message}` : `${where} ${i.path}: ${i.message}`;
    })
    .join('\n');
}

function fail(issues: ConfigIssue[]): { ok: false; issues: ConfigIssue[] } {
  // Reading order; issues without a position last. Array.prototype.sort is stable.
  // Messages may quote YAML tokens or check text: credentials are redacted here, once for all.
  const sorted = issues.map((i) => ({ ...i, message: redactCredentialsInText(i.message) })).sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
  return { ok: false, issues: sorted };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Position of a path: for a map entry the key's position, for a list item the item's; when the
 * path does not exist (missing key, value from a default or a merge), the nearest parent's.
 */
function makeLocator(doc: Document, lc: LineCounter): Locate {
  const pos = (offset: number | undefined): SourcePosition | undefined => {
    if (offset === undefined) return undefined;
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  return (path: string) => {
    const segments: PathSegment[] = parsePath(path);
    let node: unknown = doc.contents;
    let best = pos(rangeStart(node)) ?? { line: 1, column: 1 };
    for (const seg of segments) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        if (!pair) break;
        best = pos(rangeStart(pair.key)) ?? pos(rangeStart(pair.value)) ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item: unknown = node.items[seg];
        if (item === undefined) break;
        best = pos(rangeStart(item)) ?? best;
        node = item;
      } else break;
    }
    return best;
  };
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as { range?: unknown }).range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

/** Unknown aliases and list/mapping keys (plain objects cannot hold them). */
function structuralIssues(doc: Document, lc: LineCounter): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (node: unknown, message: string): void => {
    const at = rangeStart(node);
    const p = at !== undefined ? lc.linePos(at) : undefined;
    issues.push({ path: '', ...(p ? { line: p.line, column: p.col } : {}), message });
  };
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) === undefined) add(node, `YAML error: unknown alias *${node.source}`);
    },
    Pair(_key, pair) {
      if (isMap(pair.key) || isSeq(pair.key)) add(pair.key, 'YAML error: a key must be a plain value, not a list or mapping');
    },
  });
  return issues;
}
