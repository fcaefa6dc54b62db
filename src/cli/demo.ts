/**
 * `dvs demo`: the product on its built-in simulated site. Today that is the simulator and the
 * measurement side of the pipeline: render scenarios/demo.yaml, decode every camera back with
 * FFmpeg, and report per camera and target how much signal survived optics, noise and codec at
 * the target's true projection, then 3D detection and tracking over the videos, scored.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/index.ts';
import { SignalMeter, formatDetectionScore, formatTable, loadEvalCameras, readDetectionsFile, readTracksFile, readTruthFile, scoreDetections, scoreRun, truthTracks } from '../eval/index.ts';
import { loadSiteConfig } from '../config/index.ts';
import { runOfflineDetect } from '../pipeline/index.ts';
import { decodeGrayFrames, probeVideo } from '../ingest/index.ts';
import { loadScenario, runSim } from '../sim/index.ts';
import { processIo, type CliIo } from './io.ts';
import { requireFfmpeg } from './sim.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

export async function demoCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: { out: { type: 'string' }, scenario: { type: 'string' }, quiet: { type: 'boolean' } },
  });
  const scenarioPath = values.scenario ?? join(ROOT, 'scenarios/demo.yaml');
  const out = values.out ?? join(ROOT, 'out/demo');
  try {
    const scenario = loadScenario(scenarioPath);
    requireFfmpeg();
    io.stdout(`DroneVoxelServer demo: scenario '${scenario.name}', ${scenario.cameras.length} cameras, ${scenario.duration_s} s → ${out}\n\n`);
    const sim = await runSim(scenario, out, { quiet: values.quiet ?? false });
    io.stdout(`rendered ${sim.cameras.reduce((a, c) => a + c.frames, 0)} frames in ${sim.wallS.toFixed(1)} s (${sim.framesPerS.toFixed(0)} frames/s)\n\n`);

    const truth = await readTruthFile(join(out, 'truth.jsonl'));
    const { cameras } = await loadEvalCameras({ truthPath: join(out, 'truth.jsonl'), configPath: join(out, 'site.yaml') });
    const tracks = truthTracks(truth);
    io.stdout('camera  codec  frames  size      target   class  in-view  contrast  noise σ   SNR\n');
    for (const cam of cameras) {
      const file = join(out, `${cam.id}.mkv`);
      const probe = await probeVideo(file);
      const fps = scenario.cameras.find((c) => c.id === cam.id)!.fps;
      const meter = new SignalMeter(cam, tracks);
      for await (const { index, frame } of decodeGrayFrames(file, probe.width, probe.height)) meter.addFrame(frame, index / fps);
      for (const s of meter.result()) {
        io.stdout(`${cam.id.padEnd(7)} ${probe.codec.padEnd(6)} ${String(probe.frames).padStart(6)}  ${`${probe.width}x${probe.height}`.padEnd(9)} ${s.target.padEnd(8)} ${s.cls.padEnd(6)} ${String(s.framesInView).padStart(7)}  ${s.meanContrast.toFixed(1).padStart(8)}  ${s.meanNoise.toFixed(2).padStart(7)}  ${s.snr.toFixed(1).padStart(5)}\n`);
      }
    }
    io.stdout(`\ncontrast: mean grey-level deviation at the target's true position in the decoded video;\nSNR: that over the local background noise.\n\n`);

    io.stdout('3D detection (dvs detect) over the four videos:\n');
    const detDir = join(out, 'detect');
    const sum = await runOfflineDetect(loadSiteConfig(join(out, 'site.yaml')), detDir, { quiet: values.quiet ?? false });
    io.stdout(`${sum.detections} detections, ${sum.frames_per_s} frames/s (${sum.realtime_factor}× real time), peak RSS ${sum.peak_rss_mb} MB\n\n`);
    const score = scoreDetections(truth, await readDetectionsFile(join(detDir, 'detections.jsonl')), cameras);
    io.stdout(formatDetectionScore(score));
    io.stdout('\nTracks (tracker + classifier inside dvs detect), scored as the spec scores a run:\n\n');
    const tracksFile = join(detDir, 'tracks.jsonl');
    io.stdout(formatTable(scoreRun(truth, await readTracksFile(tracksFile), cameras), { truth: join(out, 'truth.jsonl'), tracks: tracksFile, cameras: 'truth-cameras.json' }));
    io.stdout(`\nOutputs in ${out}: site.yaml, <camera>.mkv, truth.jsonl, detect/detections.jsonl, detect/tracks.jsonl, detect/summary.json.\n`);
    io.stdout(`Score again: dvs eval --truth ${join(out, 'truth.jsonl')} --tracks ${tracksFile} --config ${join(out, 'site.yaml')}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) { io.stderr(`dvs demo: invalid scenario:\n${e.message}\n`); return 2; }
    io.stderr(`dvs demo: ${(e as Error).message}\n`);
    return 1;
  }
}
