/**
 * Acceptance of the simulator on the shipped demo scenario: every camera's video has the
 * configured resolution, frame rate and frame count (as ffprobe reports them), and a second run
 * gives byte-identical truth and identical decoded frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { loadScenario, runSim } from '../../src/sim/index.ts';
import { decodeGrayFrames, probeVideo } from '../../src/ingest/index.ts';
import { loadSiteConfig } from '../../src/config/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

async function decodedDigest(file: string, w: number, h: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const { frame } of decodeGrayFrames(file, w, h)) hash.update(frame);
  return hash.digest('hex');
}

test('dvs sim on scenarios/demo.yaml: configured videos, valid site.yaml, deterministic output', async (t) => {
  const scenario = loadScenario('scenarios/demo.yaml');
  const a = tmpDir(t), b = tmpDir(t);
  await runSim(scenario, a, { quiet: true });
  for (const c of scenario.cameras) {
    const p = await probeVideo(join(a, `${c.id}.mkv`));
    assert.deepEqual([p.width, p.height], c.resolution, `${c.id} resolution`);
    assert.equal(p.fps, c.fps, `${c.id} fps (${p.frameRate})`);
    assert.equal(p.frames, Math.round(scenario.duration_s * c.fps), `${c.id} frame count`);
    assert.equal(p.codec, { h264: 'h264', h265: 'hevc', mjpeg: 'mjpeg' }[c.codec]);
  }
  const site = loadSiteConfig(join(a, 'site.yaml'));
  assert.deepEqual(site.cameras.map((c) => c.id), scenario.cameras.map((c) => c.id));
  assert.equal(site.cameras[0]!.resolvedSource, `file:${join(a, 'cam01.mkv')}`);

  await runSim(scenario, b, { quiet: true });
  assert.ok(readFileSync(join(a, 'truth.jsonl')).equals(readFileSync(join(b, 'truth.jsonl'))), 'truth.jsonl byte-identical');
  assert.ok(readFileSync(join(a, 'site.yaml')).equals(readFileSync(join(b, 'site.yaml'))), 'site.yaml byte-identical');
  for (const c of scenario.cameras) {
    const [w, h] = c.resolution;
    assert.equal(await decodedDigest(join(a, `${c.id}.mkv`), w, h), await decodedDigest(join(b, `${c.id}.mkv`), w, h), `${c.id} decoded frames identical`);
  }
});
