/**
 * Static-scene checks over recorded video (docs/CALIB-STATIC.md):
 *
 *   node --import tsx scripts/calib-static.ts --config site.yaml [--camera ID]... [--every S]
 *       [--check S] [--depth N] [--threshold DEG] [--pairs]
 *
 * For every camera with a `file:` source (or only those named), decodes its video, samples a frame
 * every `--every` seconds of its clock into a median background and checks it against the
 * reference every `--check` seconds with the BumpMonitor. Prints one JSON line per check:
 * camera, time, whether it is a bump, the change (ORB and skyline) and the re-estimated
 * orientation. With `--pairs`, also prints the relative pose of every camera pair from their
 * reference backgrounds (or says why it is degenerate). Poses and intrinsics come from the site
 * config (`pose` over `approx_pose`, `intrinsics` over `intrinsics_guess`).
 */
import { parseArgs } from 'node:util';
import { loadSiteConfig } from '../src/config/index.ts';
import { siteCameras, type SiteCamera } from '../src/pipeline/cameras.ts';
import { decodeGrayFrames } from '../src/ingest/index.ts';
import { BumpMonitor, loadCv, pairwiseGeometry } from '../src/calib/static/index.ts';
import { logSO3 } from '../src/calib/solvers/index.ts';

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      camera: { type: 'string', multiple: true },
      every: { type: 'string', default: '1' },
      check: { type: 'string', default: '10' },
      depth: { type: 'string', default: '7' },
      threshold: { type: 'string', default: '0.1' },
      pairs: { type: 'boolean', default: false },
    },
  });
  if (!values.config) {
    process.stderr.write('usage: calib-static.ts --config site.yaml [--camera ID]... [--every S] [--check S] [--depth N] [--threshold DEG] [--pairs]\n');
    return 2;
  }
  const cfg = loadSiteConfig(values.config);
  let cams: SiteCamera[] = (await siteCameras(cfg)).filter((c) => c.file !== undefined);
  if (values.camera) cams = cams.filter((c) => values.camera!.includes(c.id));
  if (cams.length === 0) { process.stderr.write('no camera with a file: source selected\n'); return 2; }
  const refs = new Map<string, Uint8Array>();
  for (const c of cams) {
    const mon = await BumpMonitor.create({
      camera: c.camera, depth: Number(values.depth), sampleEveryS: Number(values.every), checkEveryS: Number(values.check), thresholdDeg: Number(values.threshold),
    });
    try {
      for await (const { index, frame } of decodeGrayFrames(c.file!, c.camera.width, c.camera.height)) {
        const t = index / c.fps;
        const rep = mon.push(frame, t);
        if (!refs.has(c.id) && mon.reference) refs.set(c.id, Uint8Array.from(mon.reference));
        if (!rep) continue;
        process.stdout.write(`${JSON.stringify({
          camera: c.id, t: r4(rep.t), bumped: rep.bumped, adopted: rep.adopted, change_deg: r4(rep.changeDeg), source: rep.source,
          d_yaw_deg: r4(rep.dYawDeg), d_pitch_deg: r4(rep.dPitchDeg), d_roll_deg: r4(rep.dRollDeg),
          orientation: { yaw: r4(rep.orientation.yaw), pitch: r4(rep.orientation.pitch), roll: r4(rep.orientation.roll) },
          orb: rep.orb.ok ? { change_deg: r4(rep.orb.angleDeg), matches: rep.orb.matches, used: rep.orb.used, rms_px: r4(rep.orb.rmsPx) } : { failed: rep.orb.reason },
          skyline: rep.skyline ? { change_deg: r4(rep.skyline.angleDeg), points: rep.skyline.used, rms_px: r4(rep.skyline.rmsPx) } : null,
        })}\n`);
      }
    } finally {
      mon.close();
    }
  }
  if (values.pairs) {
    const { cv } = await loadCv();
    for (let i = 0; i < cams.length; i++) for (let j = i + 1; j < cams.length; j++) {
      const a = cams[i]!, b = cams[j]!;
      const ra = refs.get(a.id), rb = refs.get(b.id);
      if (!ra || !rb) continue;
      const g = pairwiseGeometry(cv, a.camera, ra, b.camera, rb);
      const w = logSO3(g.R); // camera-1 → camera-2 rotation as a rotation vector (camera-1 frame axes)
      process.stdout.write(`${JSON.stringify({
        pair: [a.id, b.id], ok: g.ok, ...(g.reason ? { reason: g.reason } : {}), degenerate: g.degenerate,
        rotation_vector_deg: Array.from(w, (v) => r4((v * 180) / Math.PI)), t: g.t ? Array.from(g.t, r4) : null,
        ambiguity_deg: r4(g.ambiguityDeg), matches: g.matches, inliers: g.inliers, parallax_px: r4(g.medianParallaxPx), rotation_only_share: r4(g.rotationOnlyShare),
      })}\n`);
    }
  }
  return 0;
}

main().then((code) => process.exit(code), (e: unknown) => { process.stderr.write(`${(e as Error).message}\n`); process.exit(1); });
