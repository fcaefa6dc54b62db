/**
 * Issue 6 acceptance, live: frames handed to the detection pipeline by the media server are
 * aligned within ±16 ms, with real peers on loopback.
 *
 * Peer: test/server/live-sender.ts in its own process — three H.264 cameras (FFmpeg x264,
 * 320×240, 15 fps) sent by RtpSender on one shared sender clock, with RTCP sender reports. Frame k
 * of camera c is captured at start + phase_c + k·66.7 ms (phases 0, 5, 11 ms) and carries k in
 * its pixels. Truth for every frame the pipeline hands to the Detector is read from its pixels
 * (the frame number) and the sender's printed start time — nothing from the server's clock
 * mapping. A wrong pairing is a whole frame (≥ 55 ms) off.
 *
 * Here all three share the clock; live-offset.test.ts has one clock 400 ms ahead.
 */
import { test } from 'node:test';
import { checkAligned, liveRun } from '../server/live-harness.ts';

test('shared sender clock: every frame group handed to the pipeline is aligned within ±16 ms', { timeout: 30000 }, async () => {
  const run = await liveRun({});
  checkAligned(run, 'shared clock', run.server.epochUnixMs);
});
