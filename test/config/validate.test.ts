import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'typebox';
import {
  ConfigError,
  formatIssues,
  formatPath,
  parsePath,
  parseYamlWith,
  type Check,
  type ConfigIssue,
} from '../../src/config/index.ts';

const Schema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z]+$' }),
    count: Type.Integer({ minimum: 0, default: 1 }),
    mode: Type.Enum(['fast', 'slow'], { default: 'fast' }),
    size: Type.Optional(Type.Tuple([Type.Number(), Type.Number()])),
    items: Type.Array(Type.Object({ v: Type.Number() }, { additionalProperties: false }), { default: [] }),
  },
  { additionalProperties: false },
);

function issues(text: string, checks: Check<import('typebox').Static<typeof Schema>>[] = []): ConfigIssue[] {
  const r = parseYamlWith(text, Schema, { file: 't.yaml', checks });
  assert.equal(r.ok, false, 'expected the document to be refused');
  return r.ok ? [] : r.issues;
}

test('valid document: typed value with defaults', () => {
  const r = parseYamlWith('name: abc\nsize: [1, 2]\n', Schema);
  assert.ok(r.ok);
  assert.deepEqual(r.value, { name: 'abc', count: 1, mode: 'fast', size: [1, 2], items: [] });
});

test('YAML syntax error: issue with line and column, no exception', () => {
  const [i, ...rest] = issues('name: abc\nsize: [1, 2\ncount: 3\n');
  assert.equal(rest.length, 0);
  assert.equal(i?.path, '');
  assert.match(i?.message ?? '', /^YAML syntax error: /);
  assert.equal(i?.line, 3);
  assert.equal(i?.column, 1);
});

test('duplicate YAML key is a syntax error on the second key', () => {
  const [i] = issues('name: abc\nname: def\n');
  assert.match(i?.message ?? '', /unique/);
  assert.equal(i?.line, 2);
});

test('unknown alias and empty document are issues, not exceptions', () => {
  const [a] = issues('name: *nope\n');
  assert.match(a?.message ?? '', /unknown alias \*nope/);
  assert.equal(a?.line, 1);
  const [k] = issues('name: abc\n? [1, 2]\n: x\n');
  assert.match(k?.message ?? '', /key must be a plain value/);
  assert.equal(k?.line, 2);
  const [e] = issues('# only a comment\n');
  assert.equal(e?.message, 'document is empty');
});

test('every schema error is reported at once (more than TypeBox default of 8), in line order', () => {
  const lines = ['name: ABC', 'count: -1', 'mode: medium', 'size: [1, 2, 3]', 'items:'];
  for (let k = 0; k < 10; k++) lines.push(`  - {v: "x${k}"}`);
  lines.push('extra: 1');
  const all = issues(lines.join('\n') + '\n');
  assert.equal(all.length, 4 + 10 + 1);
  assert.deepEqual(all.map((i) => i.line), [...all.map((i) => i.line)].sort((a, b) => (a ?? 0) - (b ?? 0)));
  const by = new Map(all.map((i) => [i.path, i]));
  assert.match(by.get('name')?.message ?? '', /must match \^\[a-z\]\+\$ \(got "ABC"\)/);
  assert.equal(by.get('count')?.message, 'must be >= 0 (got -1)');
  assert.equal(by.get('mode')?.message, 'must be one of fast|slow (got "medium")');
  assert.equal(by.get('size')?.message, 'must have exactly 2 items (got 3)');
  assert.equal(by.get('items[9].v')?.message, 'expected number, got string "x9"');
  assert.equal(by.get('items[9].v')?.line, 15);
  assert.equal(by.get('extra')?.message, "unknown key 'extra'");
  assert.equal(by.get('extra')?.line, 16);
});

test('unknown key: reported once, on the key itself, with a suggestion', () => {
  const all = issues('name: abc\nitems:\n  - v: 1\n    vv: 2\n');
  assert.deepEqual(all, [{ path: 'items[0].vv', line: 4, column: 5, message: "unknown key 'vv' (did you mean 'v'?)" }]);
});

test('missing required key: reported on the parent, keys with defaults are not required', () => {
  const all = issues('items:\n  - {}\n');
  assert.deepEqual(all.map((i) => [i.path, i.message, i.line]), [
    ['', "missing required key 'name'", 1],
    ['items[0]', "missing required key 'v'", 2],
  ]);
});

test('short tuple is refused, not padded by defaults', () => {
  const [i] = issues('name: abc\nsize: [1]\n');
  assert.equal(i?.path, 'size');
  assert.equal(i?.message, 'must have exactly 2 items (got 1)');
});

test('.inf / .nan are refused as numbers', () => {
  const [i] = issues('name: abc\ncount: .inf\n');
  assert.equal(i?.path, 'count');
  assert.match(i?.message ?? '', /finite number/);
});

test('semantic checks run only after the schema passes, with locate()', () => {
  let ran = 0;
  const check: Check<import('typebox').Static<typeof Schema>> = (v, report, locate) => {
    ran++;
    if (v.count > 5) report('count', `too many (name is on line ${locate('name')?.line})`);
  };
  issues('name: 1\ncount: 9\n', [check]);
  assert.equal(ran, 0);
  const [i] = issues('name: abc\ncount: 9\n', [check]);
  assert.equal(ran, 1);
  assert.deepEqual(i, { path: 'count', line: 2, column: 1, message: 'too many (name is on line 1)' });
});

test('a check path that does not exist in the file gets the nearest parent position', () => {
  const check: Check<import('typebox').Static<typeof Schema>> = (_v, report) => report('items[0].missing', 'x');
  const [i] = issues('name: abc\nitems:\n  - v: 1\n', [check]);
  assert.equal(i?.line, 3);
});

test('merge keys and aliases resolve; defaults do not leak through shared aliases', () => {
  const r = parseYamlWith('name: abc\nitems:\n  - &a {v: 1}\n  - *a\n  - {<<: *a}\n', Schema);
  assert.ok(r.ok);
  assert.deepEqual(r.value.items, [{ v: 1 }, { v: 1 }, { v: 1 }]);
  assert.notEqual(r.value.items[0], r.value.items[1]);
});

test('formatIssues and ConfigError: one line per issue', () => {
  const list: ConfigIssue[] = [
    { path: 'cameras[1].rtp_config.port', line: 12, column: 7, message: 'must be <= 65535 (got 70000)' },
    { path: '', message: 'document is empty' },
  ];
  assert.equal(formatIssues('site.yaml', list), 'site.yaml:12:7 cameras[1].rtp_config.port: must be <= 65535 (got 70000)\nsite.yaml document is empty');
  const err = new ConfigError('site.yaml', list);
  assert.equal(err.code, 'CONFIG_INVALID');
  assert.equal(err.message.split('\n').length, 2);
  assert.equal(err.file, 'site.yaml');
  assert.ok(err instanceof Error);
});

test('paths: format and parse round-trip', () => {
  const segs = ['cameras', 1, 'rtp_config', 'port'];
  assert.equal(formatPath(segs), 'cameras[1].rtp_config.port');
  assert.deepEqual(parsePath('cameras[1].rtp_config.port'), segs);
  assert.deepEqual(parsePath(formatPath(['a', 'odd key', 0])), ['a', 'odd key', 0]);
  assert.deepEqual(parsePath(''), []);
});
