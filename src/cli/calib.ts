/**
 * `dvs calib --config site.yaml --detections DIR --out OUTDIR`: self-calibration from per-camera
 * 2D tracks of a moving target (CONTRACTS §7). Reads DIR/<camera id>.csv (`t,x,y`, t on the
 * camera's own clock), writes OUTDIR/site.yaml (pose, intrinsics and clock filled in),
 * OUTDIR/report.json and OUTDIR/trajectory.csv. Progress on stderr. Exit 0 on success, 2 on bad
 * input, 1 when the data do not determine a calibration or on an internal fault.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { CalibFailedError, CalibInputError, calibrate, parseBeaconCsv, parseTrackCsv, type CalibCameraInput } from '../calib/index.ts';
import { ConfigError, loadSiteConfig, parseSiteConfig, toSiteConfigInput } from '../config/index.ts';
import { processIo, UsageError, type CliIo } from './io.ts';

export const CALIB_USAGE = `usage: dvs calib --config site.yaml --detections DIR --out OUTDIR [--reference ID]
                 [--max-shift S] [--knot-dt S] [--beacon FILE [--beacon-max-shift S]]
                 [--principal-point] [--quiet]
  --config           site config: cameras with intrinsics or intrinsics_guess; approx_pose (or pose)
                     anchors the result in ENU, clock is the starting clock
  --detections       folder with <camera id>.csv per camera, header t,x,y (t on that camera's clock)
  --out              output folder: site.yaml, report.json, trajectory.csv
  --reference        camera whose clock defines site time (default: the one with the most samples)
  --max-shift        half-width of the clock offset search in seconds (default 60)
  --knot-dt          spacing of the trajectory knots in seconds (default 0.1, or the shortest
                     frame interval when longer; longer spacings make the path stiffer)
  --beacon           position log of the target itself (cooperative drone): CSV t,e,n,u, t in
                     seconds on the log's clock, ENU metres; anchors the result in ENU (its clock
                     offset is searched ±--beacon-max-shift, default 60 s, around the offset that
                     lines up the first samples) and takes precedence over approx_pose
  --principal-point  estimate the principal point too
  --quiet            no progress display
Calibration from the videos themselves (no --detections) is not built yet. See docs/CALIB.md.
`;

const r6 = (v: number): number => Math.round(v * 1e6) / 1e6;

export async function calibCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  const t0 = performance.now();
  try {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        config: { type: 'string' }, detections: { type: 'string' }, out: { type: 'string' }, reference: { type: 'string' },
        'max-shift': { type: 'string' }, 'knot-dt': { type: 'string' }, beacon: { type: 'string' }, 'beacon-max-shift': { type: 'string' }, 'principal-point': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) { io.stdout(CALIB_USAGE); return 0; }
    if (!values.config || !values.out) throw new UsageError('--config and --out are required');
    if (!values.detections) throw new UsageError('--detections is required: calibration from the videos themselves is not built yet');
    const maxShift = values['max-shift'] === undefined ? 60 : Number(values['max-shift']);
    if (!(maxShift > 0)) throw new UsageError(`--max-shift must be a positive number of seconds, got "${values['max-shift']}"`);
    const knotDt = values['knot-dt'] === undefined ? undefined : Number(values['knot-dt']);
    if (knotDt !== undefined && !(knotDt > 0 && knotDt <= 5)) throw new UsageError(`--knot-dt must be a number of seconds in (0, 5], got "${values['knot-dt']}"`);
    const beaconShift = values['beacon-max-shift'] === undefined ? undefined : Number(values['beacon-max-shift']);
    if (beaconShift !== undefined && !(beaconShift > 0)) throw new UsageError(`--beacon-max-shift must be a positive number of seconds, got "${values['beacon-max-shift']}"`);
    let beacon: ReturnType<typeof parseBeaconCsv> | undefined;
    if (values.beacon !== undefined) {
      let text: string;
      try { text = readFileSync(values.beacon, 'utf8'); } catch (err) { throw new CalibInputError(`--beacon ${values.beacon}: cannot read: ${(err as Error).message}`); }
      beacon = parseBeaconCsv(text, values.beacon);
    }
    const dir = values.detections;
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CalibInputError(`--detections ${dir}: not a folder`);
    const cfg = loadSiteConfig(values.config);
    const say = values.quiet ? () => {} : (m: string) => io.stderr(`dvs calib: ${m}\n`);

    const inputs: CalibCameraInput[] = [];
    for (const c of cfg.cameras) {
      if (c.enabled === false || c.use_for_calib === false) { say(`camera ${c.id}: skipped (disabled or use_for_calib: false)`); continue; }
      const file = join(dir, `${c.id}.csv`);
      if (!existsSync(file)) { say(`camera ${c.id}: no ${c.id}.csv in ${dir}, left out`); continue; }
      const intr = c.intrinsics ?? c.intrinsics_guess;
      if (!intr) throw new CalibInputError(`camera ${c.id}: needs intrinsics or intrinsics_guess as a starting point`);
      const res = c.rtp_config.resolution ?? [Math.round(2 * intr.cx + 1), Math.round(2 * intr.cy + 1)];
      const track = parseTrackCsv(readFileSync(file, 'utf8'), c.id, file);
      inputs.push({ id: c.id, resolution: res, intrinsics: intr, approxPose: c.approx_pose ?? c.pose, clock: c.clock, rollingShutter: c.rolling_shutter, track });
      say(`camera ${c.id}: ${track.t.length} samples`);
    }
    if (inputs.length < 2) throw new CalibInputError(`need tracks of at least two cameras in ${dir}, found ${inputs.length}`);

    const result = calibrate(inputs, {
      maxShiftS: maxShift, ...(beacon ? { beacon } : {}), ...(beaconShift !== undefined ? { beaconMaxShiftS: beaconShift } : {}), ...(knotDt !== undefined ? { knotDtS: knotDt } : {}), principalPoint: values['principal-point'] ?? false,
      ...(values.reference !== undefined ? { referenceCamera: values.reference } : {}),
      onProgress: say,
    });
    for (const w of result.warnings) io.stderr(`dvs calib: warning: ${w}\n`);

    // site.yaml: the input with pose, intrinsics and clock filled in; file: sources re-pointed
    // so they still resolve from the output folder.
    const outDir = values.out;
    mkdirSync(outDir, { recursive: true });
    const doc = toSiteConfigInput(cfg);
    const byId = new Map(result.cameras.map((c) => [c.id, c]));
    const cfgDir = resolve(values.config, '..');
    doc.cameras = doc.cameras.map((cam) => {
      const out = { ...cam };
      if (out.source?.startsWith('file:')) {
        const p = out.source.slice(5);
        const abs = isAbsolute(p) ? p : resolve(cfgDir, p);
        out.source = `file:${relative(resolve(outDir), abs) || abs}`;
      }
      const r = byId.get(cam.id);
      if (r?.calibrated) {
        out.pose = { enu: [r6(r.pose.enu[0]), r6(r.pose.enu[1]), r6(r.pose.enu[2])], yaw: r6(r.pose.yaw), pitch: r6(r.pose.pitch), roll: r6(r.pose.roll) };
        const k = r.intrinsics;
        out.intrinsics = {
          fx: r6(k.fx), fy: r6(k.fy), cx: r6(k.cx), cy: r6(k.cy), k1: r6(k.k1), k2: r6(k.k2),
          ...(k.p1 !== undefined ? { p1: k.p1 } : {}), ...(k.p2 !== undefined ? { p2: k.p2 } : {}), ...(k.k3 !== undefined ? { k3: k.k3 } : {}),
        };
        out.clock = { offset_ms: r6(r.clock.offset_ms), drift_ppm: r6(r.clock.drift_ppm) };
      }
      return out;
    });
    const yamlText = `# Written by \`dvs calib\` (frame: ${result.frame}, reference camera ${result.referenceCamera}).\n` + stringify(doc, { flowCollectionPadding: false });
    // Never write a config that would not load.
    const check = parseSiteConfig(yamlText, { file: join(outDir, 'site.yaml') });
    if (!check.ok) throw new Error(`internal: the calibrated site.yaml does not validate: ${check.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    writeFileSync(join(outDir, 'site.yaml'), yamlText);
    const elapsed = (performance.now() - t0) / 1000;
    const report = {
      reference_camera: result.referenceCamera,
      frame: result.frame,
      cameras: result.cameras.map((c) => ({
        id: c.id,
        calibrated: c.calibrated,
        reprojection_rmse_px: c.reprojectionRmsePx,
        inliers: c.inliers,
        observations: c.observations,
        clock: c.clock,
        position_sigma_m: c.positionSigmaM,
        pose: c.pose,
        intrinsics: c.intrinsics,
        ...(c.note ? { note: c.note } : {}),
      })),
      reprojection_rmse_px: result.reprojectionRmsePx,
      ba_iterations: result.baIterations,
      ...(result.beacon ? { beacon: { offset_s: result.beacon.offsetS, rms_m: result.beacon.rmsM, pairs: result.beacon.pairs } } : {}),
      site_time: `the reference camera's clock as configured (${result.referenceCamera}); image data fix clocks only relative to each other`,
      warnings: result.warnings,
      elapsed_s: elapsed,
    };
    writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const lines = ['t,e,n,u', ...result.trajectory.map((p) => `${p.t.toFixed(4)},${p.enu[0].toFixed(3)},${p.enu[1].toFixed(3)},${p.enu[2].toFixed(3)}`)];
    writeFileSync(join(outDir, 'trajectory.csv'), `${lines.join('\n')}\n`);
    const ok = result.cameras.filter((c) => c.calibrated).length;
    io.stdout(`calibrated ${ok} of ${result.cameras.length} cameras (frame ${result.frame}), reprojection RMSE ${result.reprojectionRmsePx.toFixed(3)} px, ${elapsed.toFixed(1)} s → ${outDir}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) { io.stderr(`dvs calib: invalid config, nothing done:\n${e.message}\n`); return 2; }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) { io.stderr(`dvs calib: ${(e as Error).message}\n${CALIB_USAGE}`); return 2; }
    if (e instanceof CalibInputError) { io.stderr(`dvs calib: ${e.message}\n`); return 2; }
    if (e instanceof CalibFailedError) { io.stderr(`dvs calib: calibration failed: ${e.message}\n`); return 1; }
    io.stderr(`dvs calib: ${(e as Error).message}\n`);
    return 1;
  }
}
