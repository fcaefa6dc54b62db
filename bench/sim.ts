/**
 * Simulator throughput on the spec's acceptance geometry (scenarios/spec-1km.yaml: 4 × 1080p30):
 * render-only frames/s on one core, and render + FFmpeg encode frames/s for the whole rig.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRenderers, loadScenario, runSim } from '../src/sim/index.ts';

export async function benchSim(frames: number): Promise<Record<string, number>> {
  const scenario = loadScenario('scenarios/spec-1km.yaml');
  const { renderers } = buildRenderers(scenario);
  const r = renderers[0]!;
  const buf = new Uint8Array(r.frameBytes);
  // Start where the targets are in view; warm up the JIT first.
  for (let k = 0; k < 5; k++) r.renderInto(300 + k, buf);
  const n = Math.max(10, Math.floor(frames / 2));
  const t0 = performance.now();
  for (let k = 0; k < n; k++) r.renderInto(300 + k, buf);
  const renderFps = n / ((performance.now() - t0) / 1000);

  const dir = mkdtempSync(join(tmpdir(), 'dvs-bench-'));
  try {
    const res = await runSim(scenario, dir, { quiet: true, maxFrames: frames });
    return {
      'sim.render_only_fps_1080p_one_core': renderFps,
      'sim.render_only_mpx_per_s': (renderFps * r.frameBytes) / 1e6,
      'sim.render_encode_fps_spec1km_all_cameras': res.framesPerS,
      'sim.render_encode_fps_per_camera': res.framesPerS / scenario.cameras.length,
      'sim.realtime_factor_spec1km': res.framesPerS / scenario.cameras.reduce((a, c) => a + c.fps, 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
