/**
 * Lane assignment against hand-worked cases and a brute-force optimum; the configure merge patch
 * and validation against the site.yaml rules. Pure: no sockets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSiteConfig } from '../../src/config/index.ts';
import { applyCameraChange, assignLanes, imbalance, mergePatch, MediaServerError, type LaneInput } from '../../src/server/index.ts';
import { mulberry32 } from './relay.ts';
import { siteYaml } from './helpers.ts';

const s = (id: string, priority: LaneInput['priority'], busy: number | null = null): LaneInput => ({ id, priority, busyMsPerS: busy });

test('round_robin: k mod N in registration order', () => {
  const a = assignLanes([s('a', 'low'), s('b', 'high'), s('c', 'low'), s('d', 'low'), s('e', 'medium')], 2, 'round_robin');
  assert.deepEqual([...a], [['a', 0], ['b', 1], ['c', 0], ['d', 1], ['e', 0]]);
});

test('least_loaded: heaviest first onto the lightest lane (hand-worked)', () => {
  // Loads 5, 4, 3, 3, 2 on 2 lanes: q5→L0 (5), t4→L1 (4), p3→L1 (7), u3→L0 (8), r2→L1 (9).
  const a = assignLanes([s('p', 'low', 3), s('q', 'low', 5), s('r', 'low', 2), s('t', 'low', 4), s('u', 'low', 3)], 2, 'least_loaded');
  assert.deepEqual(Object.fromEntries(a), { q: 0, t: 1, p: 1, u: 0, r: 1 });
  // Lane sums 8 and 9: optimal here (17 in all, no split better than 9/8).
  // Unmeasured streams count as the mean of the measured ones: here (6 + 2)/2 = 4.
  const b = assignLanes([s('m1', 'low', 6), s('m2', 'low', 2), s('x', 'low'), s('y', 'low')], 2, 'least_loaded');
  assert.deepEqual(Object.fromEntries(b), { m1: 0, x: 1, y: 1, m2: 0 });
  // Nothing measured: even spread by count.
  const c = assignLanes(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => s(id, 'low')), 3, 'least_loaded');
  assert.deepEqual([0, 1, 2].map((l) => [...c.values()].filter((v) => v === l).length), [2, 2, 2]);
});

test('weighted: priority weights 3/2/1 balanced', () => {
  const a = assignLanes([s('h1', 'high'), s('h2', 'high'), s('m1', 'medium'), s('m2', 'medium'), s('l1', 'low'), s('l2', 'low')], 2, 'weighted');
  // 3→L0, 3→L1, 2→L0, 2→L1, 1→L0, 1→L1: both lanes weigh 6.
  assert.deepEqual(Object.fromEntries(a), { h1: 0, h2: 1, m1: 0, m2: 1, l1: 0, l2: 1 });
});

test('least_loaded is within the LPT bound of the brute-force optimum on random cases', () => {
  const rnd = mulberry32(5);
  for (let trial = 0; trial < 200; trial++) {
    const n = 2 + Math.floor(rnd() * 7);
    const lanes = 2 + Math.floor(rnd() * 2);
    const loads = Array.from({ length: n }, () => Math.round(rnd() * 100) / 10);
    const a = assignLanes(loads.map((b, i) => s(`s${i}`, 'low', b)), lanes, 'least_loaded');
    const sums = new Array<number>(lanes).fill(0);
    loads.forEach((b, i) => { const l = a.get(`s${i}`)!; sums[l] = sums[l]! + b; });
    let best = Infinity; // brute force: every assignment of n items to `lanes` lanes
    const total = lanes ** n;
    for (let code = 0; code < total; code++) {
      const t = new Array<number>(lanes).fill(0);
      let c = code;
      for (let i = 0; i < n; i++) { t[c % lanes] = t[c % lanes]! + loads[i]!; c = Math.floor(c / lanes); }
      best = Math.min(best, Math.max(...t));
    }
    // Graham's bound for longest-processing-time-first: makespan ≤ (4/3 − 1/(3m)) · optimum.
    assert.ok(Math.max(...sums) <= (4 / 3 - 1 / (3 * lanes)) * best + 1e-9, `${loads} on ${lanes}: ${sums} vs ${best}`);
  }
  assert.equal(imbalance([2, 2, 2]), 1);
  assert.equal(imbalance([3, 1]), 1.5);
  assert.equal(imbalance([0, 0]), 0);
  assert.throws(() => assignLanes([], 0, 'round_robin'), RangeError);
});

test('mergePatch follows RFC 7396 (its appendix A examples)', () => {
  assert.deepEqual(mergePatch({ a: 'b' }, { a: 'c' }), { a: 'c' });
  assert.deepEqual(mergePatch({ a: 'b' }, { b: 'c' }), { a: 'b', b: 'c' });
  assert.deepEqual(mergePatch({ a: 'b' }, { a: null }), {});
  assert.deepEqual(mergePatch({ a: 'b', b: 'c' }, { a: null }), { b: 'c' });
  assert.deepEqual(mergePatch({ a: ['b'] }, { a: 'c' }), { a: 'c' });
  assert.deepEqual(mergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } }), { a: { b: 'd' } });
  assert.deepEqual(mergePatch({ a: [{ b: 'c' }] }, { a: [1] }), { a: [1] });
  assert.deepEqual(mergePatch(['a', 'b'], ['c', 'd']), ['c', 'd']);
  assert.deepEqual(mergePatch({ e: null }, { a: 1 }), { e: null, a: 1 });
  assert.deepEqual(mergePatch({}, { a: { bb: { ccc: null } } }), { a: { bb: {} } });
});

test('applyCameraChange: site.yaml rules, camera-relative fields, protocol re-derived with a new source', () => {
  const cfg = parseSiteConfig(siteYaml({
    cameras: ['- id: a', '  source: "rtp://127.0.0.1:40000"', '  rtp_config: {codec: h264, priority: high}', '- id: b', '  source: "rtp://127.0.0.1:40002"'],
  }));
  assert.ok(cfg.ok);
  const site = cfg.value;
  const bad = (body: unknown, mode: 'patch' | 'put' = 'patch') => {
    try {
      applyCameraChange(site, 'a', body, mode);
    } catch (e) {
      assert.ok(e instanceof MediaServerError && e.code === 'INVALID_CONFIG');
      return e.issues.map((i) => i.field);
    }
    assert.fail('accepted');
  };
  assert.deepEqual(bad({ rtp_config: { fps: 0 } }), ['rtp_config.fps']);
  assert.deepEqual(bad({ network_qos: { dscp: 64 } }), ['network_qos.dscp']);
  assert.ok(bad({ rtp_config: { port: 40002 } }).includes('rtp_config.port')); // b listens on 40002 already (site check)
  assert.deepEqual(bad(5), ['']);
  const c = applyCameraChange(site, 'a', { rtp_config: { fps: 25 } }, 'patch');
  assert.equal(c.rtp_config.fps, 25);
  assert.equal(c.rtp_config.priority, 'high');
  assert.equal(c.rtp_config.codec, 'h264');
  const r = applyCameraChange(site, 'a', { source: 'rtsp://u:p@127.0.0.1/x' }, 'patch');
  assert.equal(r.rtp_config.protocol, 'rtsp'); // was rtp_udp, derived again from the new source
  const p = applyCameraChange(site, 'a', { source: 'rtp://127.0.0.1:40010' }, 'put');
  assert.equal(p.rtp_config.priority, 'medium'); // PUT replaces: defaults again
  assert.equal(site.cameras[0]!.rtp_config.fps, undefined); // the site itself is untouched
});
