/** Every shipped scenario is valid, and the spec-kind ones keep the acceptance geometry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../../src/sim/index.ts';

const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml'));

test('every scenario in scenarios/ loads', () => {
  assert.ok(files.length >= 4);
  for (const f of files) assert.doesNotThrow(() => loadScenario(join('scenarios', f)), f);
});

test('spec-1km scenarios: 4 × 1080p cameras on 100–150 m baselines (nearest neighbour), a 0.35 m drone 900–1100 m out, two birds', () => {
  for (const f of files.filter((x) => x.startsWith('spec-1km'))) {
    const s = loadScenario(join('scenarios', f));
    assert.equal(s.cameras.length, 4, f);
    for (const c of s.cameras) assert.deepEqual(c.resolution, [1920, 1080], f);
    const pos = s.cameras.map((c) => c.pose.enu);
    for (const [i, p] of pos.entries()) {
      const nearest = Math.min(...pos.filter((_, j) => j !== i).map((q) => Math.hypot(p[0] - q[0], p[1] - q[1])));
      assert.ok(nearest >= 100 && nearest <= 150, `${f} camera ${i}: nearest neighbour ${nearest.toFixed(0)} m`);
    }
    const drones = s.targets.filter((t) => t.class === 'drone');
    assert.equal(drones.length, 1, f);
    assert.equal(drones[0]!.size_m, 0.35);
    for (const w of drones[0]!.path) {
      for (const p of pos) {
        const r = Math.hypot(w[1] - p[0], w[2] - p[1], w[3] - p[2]);
        assert.ok(r >= 880 && r <= 1130, `${f}: waypoint at ${r.toFixed(0)} m from a camera`);
      }
    }
    assert.equal(s.targets.filter((t) => t.class === 'bird').length, 2, f);
  }
});
