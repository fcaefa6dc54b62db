import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EvalInputError, parseTracksJsonl, parseTruthJsonl } from '../../src/eval/io.ts';

const good = '{"t": 0.1, "id": "drone1", "class": "drone", "enu": [1, 2, 3]}';
const goodTrack = '{"t": 0.1, "track_id": 4, "status": "confirmed", "enu": [1, 2, 3], "vel": [0, 0, 0], "class": "unknown", "confidence": 0.7}';

test('well-formed lines parse; blank lines and CRLF are tolerated; numeric track ids become strings', () => {
  assert.deepEqual(parseTruthJsonl(`${good}\r\n\n${good}\n`, 'truth.jsonl').length, 2);
  const [row] = parseTracksJsonl(goodTrack, 'tracks.jsonl');
  assert.deepEqual(row, { t: 0.1, track_id: '4', status: 'confirmed', enu: [1, 2, 3], vel: [0, 0, 0], class: 'unknown', confidence: 0.7 });
  assert.deepEqual(parseTracksJsonl('', 'tracks.jsonl'), []);
});

const cases: [string, string, RegExp][] = [
  ['bad JSON', `${good}\n${good}\n{"t": 0.3, "id":`, /^truth\.jsonl:3: invalid JSON/],
  ['not an object', `[1, 2]`, /^truth\.jsonl:1: expected a JSON object$/],
  ['missing field', `${good}\n{"t": 0.2, "id": "d", "class": "drone"}`, /^truth\.jsonl:2: missing field "enu"$/],
  ['t a string', `{"t": "0.2", "id": "d", "class": "drone", "enu": [0, 0, 0]}`, /^truth\.jsonl:1: field "t" must be a finite number, got "0\.2"$/],
  ['enu too short', `{"t": 0.2, "id": "d", "class": "drone", "enu": [0, 0]}`, /^truth\.jsonl:1: field "enu" must be an array of 3 finite numbers/],
  ['enu holds null', `{"t": 0.2, "id": "d", "class": "drone", "enu": [0, null, 0]}`, /field "enu" must be an array of 3 finite numbers/],
  ['unknown class', `{"t": 0.2, "id": "d", "class": "plane", "enu": [0, 0, 0]}`, /^truth\.jsonl:1: field "class" must be one of "drone", "bird", got "plane"$/],
  ['empty id', `{"t": 0.2, "id": "", "class": "bird", "enu": [0, 0, 0]}`, /field "id" must be a non-empty string/],
  ['no rows', `\n\n`, /^truth\.jsonl: no truth rows$/],
];
for (const [what, text, re] of cases) {
  test(`truth.jsonl error names file and line: ${what}`, () => {
    assert.throws(() => parseTruthJsonl(text, 'truth.jsonl'), (e: unknown) => e instanceof EvalInputError && re.test(e.message));
  });
}

const trackCases: [string, string, RegExp][] = [
  ['bad status', goodTrack.replace('"confirmed"', '"active"'), /^tracks\.jsonl:3: field "status" must be one of "tentative", "confirmed", "lost", got "active"$/],
  ['class bird-ish', goodTrack.replace('"unknown"', '"Bird"'), /field "class" must be one of/],
  ['fractional track id', goodTrack.replace('4,', '4.5,'), /field "track_id" must be a non-empty string or an integer, got 4\.5/],
  ['vel wrong type', goodTrack.replace('[0, 0, 0]', '"fast"'), /^tracks\.jsonl:3: field "vel" must be an array of 3/],
  ['missing track_id', '{"t": 1, "status": "lost", "enu": [0,0,0], "class": "bird"}', /^tracks\.jsonl:3: missing field "track_id"$/],
  ['confidence NaN-ish', goodTrack.replace('0.7', '"high"'), /field "confidence" must be a finite number/],
];
for (const [what, text, re] of trackCases) {
  test(`tracks.jsonl error names file and line: ${what}`, () => {
    // The bad line is line 3 (after a good line and a blank one).
    assert.throws(() => parseTracksJsonl(`${goodTrack}\n\n${text}`, 'tracks.jsonl'), (e: unknown) =>
      e instanceof EvalInputError && e.message.startsWith('tracks.jsonl:3: ') && re.test(e.message));
  });
}

test('fuzz: random byte mutations of a valid line either parse or raise EvalInputError', () => {
  let seed = 1;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const chars = '{}[]":,0123456789.-eEtruefalsnl abc';
  for (let k = 0; k < 2000; k++) {
    const a = goodTrack.split('');
    const n = 1 + Math.floor(rand() * 4);
    for (let m = 0; m < n; m++) a[Math.floor(rand() * a.length)] = chars[Math.floor(rand() * chars.length)]!;
    try {
      const rows = parseTracksJsonl(a.join(''), 'f');
      for (const r of rows) assert.ok(Number.isFinite(r.t) && r.enu.every(Number.isFinite));
    } catch (e) {
      assert.ok(e instanceof EvalInputError, `unexpected ${String(e)}`);
      assert.match((e as Error).message, /^f:1: /);
    }
  }
});
