/**
 * Back-pressure of a worker lane: while the main thread is blocked, the lane keeps receiving and
 * may queue at most `maxQueuedFrames` frames toward it; past that it drops a stream's frames until
 * that stream's next key frame. So after the block the pipeline sees gaps, and every gap ends on a
 * key frame (an IDR, checked from the NAL types in the bytes), never on a frame whose references
 * were dropped. The senders are FFmpeg processes (they keep sending while this process is blocked).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSiteConfig } from '../../src/config/site.ts';
import type { LiveCodedFrame } from '../../src/pipeline/live.ts';
import { MediaServer } from '../../src/server/index.ts';
import { nalTypes } from './h264-clip.ts';
import { ffmpegSender, freeUdpPair, killAll, siteYaml, until } from './helpers.ts';

const procs: ChildProcess[] = [];
let server: MediaServer | null = null;
const dir = mkdtempSync(join(tmpdir(), 'dvs-lanes-bp-'));

after(async () => {
  await killAll(procs);
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a blocked main thread: the lane drops to the next key frame, every gap ends on an IDR', async (t) => {
  const ports = [await freeUdpPair()];
  ports.push(await freeUdpPair(new Set(ports)));
  const path = join(dir, 'site.yaml');
  writeFileSync(path, siteYaml({ cameras: ports.map((p, i) => `- {id: s${i}, source: "rtp://127.0.0.1:${p}", rtp_config: {codec: h264}}`) }));
  server = new MediaServer(loadSiteConfig(path), { lanes: 1, pipeline: false, lanePool: { maxQueuedFrames: 8 } });
  const got = new Map<string, LiveCodedFrame[]>([['s0', []], ['s1', []]]);
  server.onCodedFrame((f) => got.get(f.streamId)?.push(f));
  server.start();
  assert.ok(await until(() => ['s0', 's1'].every((id) => server!.snapshot(id).metrics.state === 'waiting'), 30_000), 'lane listening');
  // 30 fps, a key frame every 10 frames, 8 s.
  for (const p of ports) procs.push(ffmpegSender(p, { rate: 30, gop: 10, seconds: 8 }));
  assert.ok(await until(() => [...got.values()].every((g) => g.length >= 20), 15_000), 'frames flowing');
  const before = [...got.values()].map((g) => g.length);
  // Block this thread for 1.5 s: ~45 frames per stream arrive at the lane meanwhile.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
  assert.ok(await until(() => [...got.values()].every((g, i) => g.length >= before[i]! + 40), 10_000), 'frames flowing again');
  const th = server.status().lanes[0]!.thread!;
  t.diagnostic(`lane 0: ${th.dropped_frames} frames dropped by back-pressure`);
  assert.ok(th.dropped_frames > 0, 'the lane dropped frames');
  let gapsSeen = 0;
  for (const [id, frames] of got) {
    for (let j = 1; j < frames.length; j++) {
      const step = (frames[j]!.frame.timestamp - frames[j - 1]!.frame.timestamp) >>> 0; // 90 kHz, 3000 per frame
      if (step > 4500) {
        gapsSeen++;
        const types = nalTypes(frames[j]!.frame.data);
        assert.ok(types.includes(5), `${id}: the frame after a gap of ${Math.round(step / 3000) - 1} frames has NAL types ${types.join(',')} (no IDR)`);
        assert.equal(frames[j]!.frame.keyframe, true);
      }
    }
  }
  t.diagnostic(`gaps seen: ${gapsSeen}`);
  assert.ok(gapsSeen >= 1, 'the block made at least one gap');
  for (const id of ['s0', 's1']) assert.equal(server.snapshot(id).state, 'active');
});
