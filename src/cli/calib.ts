/**
 * `dvs calib --config site.yaml [--detections DIR] --out OUTDIR`: self-calibration from per-camera
 * 2D tracks of a moving target (CONTRACTS §7). Reads DIR/<camera id>.csv (`t,x,y`, t on the
 * camera's own clock), or without --detections extracts those tracks from the cameras' recorded
 * videos (src/calib/video-tracks.ts) into OUTDIR/tracks/; writes OUTDIR/site.yaml (pose, intrinsics and clock filled in),
 * OUTDIR/report.json and OUTDIR/trajectory.csv. Progress on stderr. Exit 0 on success, 2 on bad
 * input, 1 when the data do not determine a calibration or on an internal fault.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { refineSiteClocks } from '../calib/sharpness/index.ts';
import { CalibFailedError, CalibInputError, calibrate, parseBeaconCsv, parseTrackCsv, tracksFromVideo, type CalibCameraInput, type VideoCamera, type VideoTrackStats } from '../calib/index.ts';
import { CLOCK_DRIFT_LIMIT_PPM, ConfigError, loadSiteConfig, parseSiteConfig, toSiteConfigInput, type SiteConfig } from '../config/index.ts';
import { processIo, UsageError, type CliIo } from './io.ts';

export const CALIB_USAGE = `usage: dvs calib --config site.yaml [--detections DIR | --max-seconds S] --out OUTDIR [--reference ID]
                 [--max-shift S] [--knot-dt S] [--beacon FILE [--beacon-max-shift S]
                 [--beacon-sigma M | --beacon-anchor-only]] [--principal-point]
                 [--noise-scale] [--rate-search] [--drift-sigma-ppm N | ID=N,…] [--quiet]
       dvs calib --config site.yaml --sharpness [--detections DIR] --out OUTDIR [--reference ID]
                 [--max-offset-ms N] [--max-seconds S] [--quiet]
  --config           site config: cameras with intrinsics or intrinsics_guess; approx_pose (or pose)
                     anchors the result in ENU, clock is the starting clock
  --detections       folder with <camera id>.csv per camera, header t,x,y (t on that camera's clock);
                     without it the tracks come from the cameras' file: videos (motion front end,
                     image-plane chains, one target at a time), written to OUTDIR/tracks/
  --out              output folder: site.yaml, report.json, trajectory.csv
  --reference        camera whose clock defines site time (default: the one with the most samples)
  --max-shift        half-width of the clock offset search in seconds (default 60)
  --knot-dt          spacing of the trajectory knots in seconds (default 0.1, or the shortest
                     frame interval when longer; longer spacings make the path stiffer)
  --beacon           position log of the target itself (cooperative drone): CSV t,e,n,u, t in
                     seconds on the log's clock, ENU metres; anchors the result in ENU (its clock
                     offset is searched ±--beacon-max-shift, default 60 s, around the offset that
                     lines up the first samples) and takes precedence over approx_pose; then one
                     more adjustment ties the path to the log, so every clock (the reference's
                     too) is measured against the log's clock
  --beacon-sigma     σ of the log's positions in that adjustment, metres (default: the anchoring
                     RMS, at least 0.05)
  --beacon-anchor-only  use the log only to anchor (similarity and offset), not in the adjustment
  --principal-point  estimate the principal point too
  --noise-scale      in the last adjustment, weigh each camera by its own noise: a camera whose
                     RMSE exceeds the cameras' median counts with residuals scaled by that ratio
                     (a noisy camera pulls the shared path less); default off
  --rate-search      for a camera no clock search finds: search its frame rate against the path
                     (windows of its track vote for rate and start); for CSVs whose times are
                     frame numbers over a wrong rate (variable-rate phones); default off
  --drift-sigma-ppm  Gaussian prior on each camera's clock drift (rate against the reference) toward
                     its configured drift (0: the CSV times are frame number / nominal fps), σ in
                     ppm: one number for every camera, or ID=σ,… for the cameras named (the others
                     get none). Only for cameras whose CSV times come from a nominal crystal frame
                     rate (two 50 ppm crystals: σ ≈ 70); not for variable-rate phones. Default: off
                     (docs/CALIB.md: on dataset 4 the data fix the rates far tighter than this)
  --sharpness        only refine the clock offsets (poses and intrinsics as configured, clocks
                     already within tens of ms): the offsets that make the tracked target's 3D peak
                     sharpest. Evidence from the videos (file: sources: motion front end, 3D peaks,
                     longest confirmed track) or, with --detections, from the CSV tracks.
                     Writes site.yaml (clocks updated), report.json, trajectory.csv.
                     See docs/CALIB-SHARPNESS.md
  --max-offset-ms    --sharpness: search half-width of each correction in ms (default 100)
  --max-seconds      use only the first S seconds of the videos (--sharpness, or no --detections;
                     default all)
  --quiet            no progress display
See docs/CALIB.md.
`;

const r6 = (v: number): number => Math.round(v * 1e6) / 1e6;

export async function calibCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  const t0 = performance.now();
  try {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        config: { type: 'string' }, detections: { type: 'string' }, out: { type: 'string' }, reference: { type: 'string' },
        sharpness: { type: 'boolean' }, 'max-offset-ms': { type: 'string' }, 'max-seconds': { type: 'string' },
        'max-shift': { type: 'string' }, 'knot-dt': { type: 'string' }, beacon: { type: 'string' }, 'beacon-max-shift': { type: 'string' }, 'beacon-sigma': { type: 'string' }, 'beacon-anchor-only': { type: 'boolean' }, 'principal-point': { type: 'boolean' }, 'noise-scale': { type: 'boolean' }, 'rate-search': { type: 'boolean' }, 'drift-sigma-ppm': { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) { io.stdout(CALIB_USAGE); return 0; }
    if (!values.config || !values.out) throw new UsageError('--config and --out are required');
    if (values.sharpness) {
      for (const o of ['max-shift', 'knot-dt', 'beacon', 'beacon-max-shift', 'beacon-sigma', 'beacon-anchor-only', 'principal-point', 'noise-scale', 'rate-search', 'drift-sigma-ppm'] as const) if (values[o] !== undefined) throw new UsageError(`--${o} does not apply with --sharpness`);
      const maxOffsetMs = values['max-offset-ms'] === undefined ? 100 : Number(values['max-offset-ms']);
      if (!(maxOffsetMs > 0 && maxOffsetMs <= 5000)) throw new UsageError(`--max-offset-ms must be a number of milliseconds in (0, 5000], got "${values['max-offset-ms']}"`);
      const maxSeconds = values['max-seconds'] === undefined ? undefined : Number(values['max-seconds']);
      if (maxSeconds !== undefined && !(maxSeconds > 0)) throw new UsageError(`--max-seconds must be a positive number of seconds, got "${values['max-seconds']}"`);
      return await sharpnessCommand({
        config: values.config, out: values.out, detections: values.detections, reference: values.reference, maxOffsetMs, maxSeconds, quiet: values.quiet ?? false,
      }, io, t0);
    }
    if (values['max-offset-ms'] !== undefined) throw new UsageError('--max-offset-ms needs --sharpness');
    if (values['max-seconds'] !== undefined && values.detections !== undefined) throw new UsageError('--max-seconds applies to the videos (--sharpness, or no --detections), not to CSV tracks');
    const maxSecondsVideo = values['max-seconds'] === undefined ? undefined : Number(values['max-seconds']);
    if (maxSecondsVideo !== undefined && !(maxSecondsVideo > 0)) throw new UsageError(`--max-seconds must be a positive number of seconds, got "${values['max-seconds']}"`);
    const maxShift = values['max-shift'] === undefined ? 60 : Number(values['max-shift']);
    if (!(maxShift > 0)) throw new UsageError(`--max-shift must be a positive number of seconds, got "${values['max-shift']}"`);
    const knotDt = values['knot-dt'] === undefined ? undefined : Number(values['knot-dt']);
    if (knotDt !== undefined && !(knotDt > 0 && knotDt <= 5)) throw new UsageError(`--knot-dt must be a number of seconds in (0, 5], got "${values['knot-dt']}"`);
    const beaconShift = values['beacon-max-shift'] === undefined ? undefined : Number(values['beacon-max-shift']);
    if (beaconShift !== undefined && !(beaconShift > 0)) throw new UsageError(`--beacon-max-shift must be a positive number of seconds, got "${values['beacon-max-shift']}"`);
    const driftSigma = values['drift-sigma-ppm'] === undefined ? undefined : parseDriftSigma(values['drift-sigma-ppm']);
    const beaconSigma = values['beacon-sigma'] === undefined ? undefined : Number(values['beacon-sigma']);
    if (beaconSigma !== undefined && !(beaconSigma > 0)) throw new UsageError(`--beacon-sigma must be a positive number of metres, got "${values['beacon-sigma']}"`);
    if ((beaconSigma !== undefined || values['beacon-anchor-only']) && values.beacon === undefined) throw new UsageError(`--${beaconSigma !== undefined ? 'beacon-sigma' : 'beacon-anchor-only'} needs --beacon`);
    if (beaconSigma !== undefined && values['beacon-anchor-only']) throw new UsageError('--beacon-sigma and --beacon-anchor-only exclude each other');
    let beacon: ReturnType<typeof parseBeaconCsv> | undefined;
    if (values.beacon !== undefined) {
      let text: string;
      try { text = readFileSync(values.beacon, 'utf8'); } catch (err) { throw new CalibInputError(`--beacon ${values.beacon}: cannot read: ${(err as Error).message}`); }
      beacon = parseBeaconCsv(text, values.beacon);
    }
    let dir = values.detections;
    if (dir !== undefined && (!existsSync(dir) || !statSync(dir).isDirectory())) throw new CalibInputError(`--detections ${dir}: not a folder`);
    const cfg = loadSiteConfig(values.config);
    const say = values.quiet ? () => {} : (m: string) => io.stderr(`dvs calib: ${m}\n`);
    let videoStats: VideoTrackStats[] | undefined;
    if (dir === undefined) {
      // No CSV tracks: the target's 2D tracks from the cameras' own recordings, written to
      // OUTDIR/tracks/<id>.csv (CONTRACTS §7 format) and read back like --detections.
      const cams: VideoCamera[] = [];
      for (const c of cfg.cameras) {
        if (c.enabled === false || c.use_for_calib === false) continue;
        if (!c.resolvedSource.startsWith('file:')) throw new CalibInputError(`camera ${c.id}: calibration from video reads recorded files (file: sources), this one is ${c.rtp_config.protocol}; record it first, or give --detections`);
        const res = c.rtp_config.resolution;
        cams.push({ id: c.id, file: c.resolvedSource.slice(5), ...(res ? { width: res[0], height: res[1] } : {}), ...(c.rtp_config.fps ? { fps: c.rtp_config.fps } : {}) });
      }
      if (cams.length < 2) throw new CalibInputError(`need at least two cameras to calibrate, the config enables ${cams.length}`);
      say(`2D tracks of the moving target from ${cams.length} recordings (motion front end, tracklets linked per camera)`);
      const vt = await tracksFromVideo(cams, { onProgress: say, ...(maxSecondsVideo !== undefined ? { maxSeconds: maxSecondsVideo } : {}) });
      videoStats = vt.stats;
      dir = join(values.out, 'tracks');
      mkdirSync(dir, { recursive: true });
      for (const tr of vt.tracks) {
        const lines = ['t,x,y'];
        for (let k = 0; k < tr.t.length; k++) lines.push(`${tr.t[k]!.toFixed(6)},${tr.x[k]!.toFixed(3)},${tr.y[k]!.toFixed(3)}`);
        writeFileSync(join(dir, `${tr.id}.csv`), `${lines.join('\n')}\n`);
      }
    }

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
    if (driftSigma !== undefined && typeof driftSigma !== 'number') {
      for (const id of Object.keys(driftSigma)) if (!inputs.some((c) => c.id === id)) throw new UsageError(`--drift-sigma-ppm: no camera "${id}" among the calibrated cameras (${inputs.map((c) => c.id).join(', ')})`);
    }

    const result = calibrate(inputs, {
      maxShiftS: maxShift, ...(beacon ? { beacon } : {}), ...(beaconShift !== undefined ? { beaconMaxShiftS: beaconShift } : {}), ...(beaconSigma !== undefined ? { beaconSigmaM: beaconSigma } : {}), ...(values['beacon-anchor-only'] ? { beaconAdjust: false } : {}), ...(knotDt !== undefined ? { knotDtS: knotDt } : {}), principalPoint: values['principal-point'] ?? false, cameraNoiseScale: values['noise-scale'] ?? false, rateSearch: values['rate-search'] ?? false,
      ...(driftSigma !== undefined ? { driftSigmaPpm: driftSigma } : {}),
      ...(values.reference !== undefined ? { referenceCamera: values.reference } : {}),
      onProgress: say,
    });
    for (const w of result.warnings) io.stderr(`dvs calib: warning: ${w}\n`);

    // site.yaml: the input with pose, intrinsics and clock filled in; file: sources re-pointed
    // so they still resolve from the output folder.
    const outDir = values.out;
    mkdirSync(outDir, { recursive: true });
    const byId = new Map(result.cameras.map((c) => [c.id, c]));
    writeSiteYaml(cfg, values.config, outDir, `Written by \`dvs calib\` (frame: ${result.frame}, reference camera ${result.referenceCamera}).`, (out) => {
      const r = byId.get(out.id);
      if (r?.calibrated) {
        out.pose = { enu: [r6(r.pose.enu[0]), r6(r.pose.enu[1]), r6(r.pose.enu[2])], yaw: r6(r.pose.yaw), pitch: r6(r.pose.pitch), roll: r6(r.pose.roll) };
        const k = r.intrinsics;
        out.intrinsics = {
          fx: r6(k.fx), fy: r6(k.fy), cx: r6(k.cx), cy: r6(k.cy), k1: r6(k.k1), k2: r6(k.k2),
          ...(k.p1 !== undefined ? { p1: k.p1 } : {}), ...(k.p2 !== undefined ? { p2: k.p2 } : {}), ...(k.k3 !== undefined ? { k3: k.k3 } : {}),
        };
        // A rate more than 10 % off is the CSV's time base (frame numbers over a wrong fps), not
        // a camera clock, and outside what a site config accepts: keep the configured clock.
        if (Math.abs(r.clock.drift_ppm) <= CLOCK_DRIFT_LIMIT_PPM) out.clock = { offset_ms: r6(r.clock.offset_ms), drift_ppm: r6(r.clock.drift_ppm) };
        else io.stderr(`dvs calib: warning: camera ${out.id}: its track's times run ${(1 + r.clock.drift_ppm * 1e-6).toFixed(5)}× site time, the CSV's time base rather than the camera's clock: site.yaml keeps the configured clock, report.json has the estimate\n`);
      }
    });
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
        ...(c.clockSigma ? { clock_sigma: c.clockSigma } : {}),
        position_sigma_m: c.positionSigmaM,
        pose: c.pose,
        intrinsics: c.intrinsics,
        ...(c.note ? { note: c.note } : {}),
      })),
      reprojection_rmse_px: result.reprojectionRmsePx,
      ba_iterations: result.baIterations,
      ...(videoStats ? { tracks_from_video: videoStats } : {}),
      ...(result.beacon ? { beacon: { offset_s: result.beacon.offsetS, rms_m: result.beacon.rmsM, pairs: result.beacon.pairs, ...(result.beacon.adjusted ? { in_adjustment: { sigma_m: result.beacon.adjusted.sigmaM, reference_drift_ppm: result.beacon.adjusted.referenceDriftPpm } } : {}) } } : {}),
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

/** `--drift-sigma-ppm`: a number of ppm (every camera) or ID=σ,… (the cameras named). */
function parseDriftSigma(v: string): number | Record<string, number> {
  const num = (x: string): number => {
    const n = Number(x);
    if (x.trim() === '' || !(Number.isFinite(n) && n >= 0)) throw new UsageError(`--drift-sigma-ppm: "${x}" is not a number of ppm ≥ 0 (0 = no prior)`);
    return n;
  };
  if (!v.includes('=')) return num(v);
  const out: Record<string, number> = {};
  for (const e of v.split(',')) {
    const i = e.indexOf('=');
    const id = e.slice(0, i).trim();
    if (i < 1 || id === '') throw new UsageError(`--drift-sigma-ppm: "${e}" is not ID=σ`);
    out[id] = num(e.slice(i + 1));
  }
  return out;
}

/** A `file:` source relative to the config's folder, re-pointed so it resolves from outDir. */
function repointSource(source: string, cfgDir: string, outDir: string): string {
  if (!source.startsWith('file:')) return source;
  const p = source.slice(5);
  const abs = isAbsolute(p) ? p : resolve(cfgDir, p);
  return `file:${relative(resolve(outDir), abs) || abs}`;
}

type CameraInput = ReturnType<typeof toSiteConfigInput>['cameras'][number];

/**
 * OUTDIR/site.yaml: the input config with `file:` sources re-pointed so they still resolve from
 * outDir and each camera patched by `patch` (in place), under a header line; validated first, so a
 * config that would not load is never written.
 */
function writeSiteYaml(cfg: SiteConfig, configPath: string, outDir: string, header: string, patch: (cam: CameraInput) => void): void {
  const doc = toSiteConfigInput(cfg);
  const cfgDir = resolve(configPath, '..');
  doc.cameras = doc.cameras.map((cam) => {
    const out = { ...cam };
    if (out.source !== undefined) out.source = repointSource(out.source, cfgDir, outDir);
    patch(out);
    return out;
  });
  const yamlText = `# ${header}\n` + stringify(doc, { flowCollectionPadding: false });
  const check = parseSiteConfig(yamlText, { file: join(outDir, 'site.yaml') });
  if (!check.ok) throw new Error(`internal: the written site.yaml does not validate: ${check.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  writeFileSync(join(outDir, 'site.yaml'), yamlText);
}

interface SharpnessArgs {
  config: string;
  out: string;
  detections: string | undefined;
  reference: string | undefined;
  maxOffsetMs: number;
  maxSeconds: number | undefined;
  quiet: boolean;
}

/**
 * `dvs calib --sharpness`: refine only the clock offsets (docs/CALIB-SHARPNESS.md). Writes
 * OUTDIR/site.yaml (the input with the refined clocks), report.json (CONTRACTS §7 fields plus a
 * `sharpness` block) and trajectory.csv (the target with the refined clocks).
 */
async function sharpnessCommand(a: SharpnessArgs, io: CliIo, t0: number): Promise<number> {
  if (a.detections !== undefined && !(existsSync(a.detections) && statSync(a.detections).isDirectory())) throw new CalibInputError(`--detections ${a.detections}: not a folder`);
  const cfg = loadSiteConfig(a.config);
  const say = a.quiet ? () => {} : (m: string) => io.stderr(`dvs calib: ${m}\n`);
  const run = await refineSiteClocks(cfg, {
    maxOffsetMs: a.maxOffsetMs, ...(a.detections !== undefined ? { detectionsDir: a.detections } : {}),
    ...(a.maxSeconds !== undefined ? { maxSeconds: a.maxSeconds } : {}), ...(a.reference !== undefined ? { referenceId: a.reference } : {}), onProgress: say,
  });
  const res = run.result;
  for (const [id, why] of Object.entries(run.skipped)) say(`camera ${id}: left out (${why})`);
  const warnings = res.cameras.filter((c) => c.note).map((c) => `${c.id}: ${c.note}`);
  for (const w of warnings) io.stderr(`dvs calib: warning: ${w}\n`);

  const outDir = a.out;
  mkdirSync(outDir, { recursive: true });
  const byId = new Map(res.cameras.map((c) => [c.id, c]));
  writeSiteYaml(cfg, a.config, outDir, `Written by \`dvs calib --sharpness\` (clock offsets refined against ${res.referenceCamera}).`, (out) => {
    const r = byId.get(out.id);
    if (r?.refined) out.clock = { offset_ms: r6(r.clock.offset_ms), drift_ppm: r6(r.clock.drift_ppm) };
  });
  const num = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null);
  const elapsed = (performance.now() - t0) / 1000;
  const report = {
    reference_camera: res.referenceCamera,
    frame: 'enu',
    cameras: res.cameras.map((c) => ({
      id: c.id,
      calibrated: c.refined || c.reference,
      reprojection_rmse_px: num(c.rmsPx),
      inliers: c.rays,
      observations: c.observations,
      clock: { offset_ms: num(c.clock.offset_ms), drift_ppm: num(c.clock.drift_ppm) },
      // Poses are taken as configured, not estimated here.
      position_sigma_m: null,
      sharpness: { delta_ms: num(c.deltaMs), sigma_ms: num(c.sigmaMs), clock_before: c.clockBefore, rms_px_before: num(c.rmsPxBefore), reference: c.reference },
      ...(c.note ? { note: c.note } : {}),
    })),
    sharpness: {
      method: 'ray consistency of the tracked target (docs/CALIB-SHARPNESS.md)',
      source: run.source,
      ...(run.frames ? { frames: run.frames, detections: run.detections, track_id: run.trackId, track_points: run.trackPoints } : {}),
      rms_px_before: num(Math.sqrt(res.costBefore)), rms_px_after: num(Math.sqrt(res.costAfter)),
      peak_spread_m_before: num(res.spreadBeforeM), peak_spread_m_after: num(res.spreadAfterM),
      ticks: res.ticks, tick_s: num(res.tickS), sweeps: res.sweeps, evaluations: res.evaluations,
      max_offset_ms: a.maxOffsetMs,
    },
    site_time: `the reference camera's clock as configured (${res.referenceCamera}); only relative offsets are measured; poses, intrinsics and drifts are as configured`,
    warnings,
    elapsed_s: elapsed,
  };
  writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const lines = ['t,e,n,u', ...run.trajectory.map((p) => `${p.t.toFixed(4)},${p.enu[0].toFixed(3)},${p.enu[1].toFixed(3)},${p.enu[2].toFixed(3)}`)];
  writeFileSync(join(outDir, 'trajectory.csv'), `${lines.join('\n')}\n`);
  for (const c of res.cameras) {
    const what = c.reference ? 'reference' : c.refined ? `Δ ${c.deltaMs >= 0 ? '+' : ''}${c.deltaMs.toFixed(2)} ms (σ ≈ ${c.sigmaMs.toFixed(2)} ms), RMS ${c.rmsPxBefore.toFixed(2)} → ${c.rmsPx.toFixed(2)} px` : `not refined${c.note ? `: ${c.note}` : ''}`;
    io.stdout(`${c.id}: offset_ms ${c.clockBefore.offset_ms.toFixed(3)} → ${c.clock.offset_ms.toFixed(3)}  ${what}\n`);
  }
  io.stdout(`refined ${res.cameras.filter((c) => c.refined).length} clock offsets against ${res.referenceCamera}, peak spread ${res.spreadBeforeM.toFixed(3)} → ${res.spreadAfterM.toFixed(3)} m, ${elapsed.toFixed(1)} s → ${outDir}\n`);
  return 0;
}
