/**
 * Issue 6 acceptance through the media server and its HTTP API, real FFmpeg senders on loopback:
 *
 * - 16 concurrent streams (max_concurrent_streams 16) for DVS_ACCEPT_SECONDS (default 20; the
 *   issue's figure is 60): every stream `active` at every poll, reported cumulative loss < 1 %
 *   on the 14 clean streams.
 * - Stream 15 passes a seeded relay that drops one packet in every 20 (5 %): the reported
 *   windowed `packet_loss_rate` stays within ±1 percentage point of 5 % at every poll.
 * - Stream 16 passes a relay that delays every frame by d ~ U(0, 30 ms) (seeded; no reordering,
 *   since frames are 66.7 ms apart). Expected RFC 3550 jitter, computed here independently:
 *   J is an exponential average of |D| over consecutive packets, D = difference of their transit
 *   times. Inside a frame both packets got the same d, so D ≈ 0; across a frame boundary
 *   D = d_k − d_(k−1), and for two independent U(0, a) draws E|X − Y| = a/3 = 10 ms. With p the
 *   share of consecutive packet pairs that straddle a frame boundary (counted by the relay),
 *   E[J] ≈ p · a/3. Asserted: the mean of the reported window means within ±25 % of that, the
 *   upper limit raised by the timing noise of this machine, read from a control stream relayed
 *   the same way without delay (noise can only add, by at most that much; see the assertion).
 * - One clean sender killed: its stream goes reconnecting, then active once a new sender runs;
 *   no other stream changes state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { parseSiteConfig } from '../../src/config/index.ts';
import { buildApi, MediaServer } from '../../src/server/index.ts';
import { ffmpegSender, freeUdpPair, killAll, siteYaml, sleep, until } from './helpers.ts';
import { startRelayWorker, type RelayStats } from './relay.ts';

const SECONDS = Number(process.env.DVS_ACCEPT_SECONDS ?? 20);
const N = 16;
const LOSS_BLOCK = 20; // 5 %
const MAX_DELAY_MS = 30;
const PACE_MS = 150; // relay base latency that absorbs the senders' own timing noise
const WINDOW_MS = 5000; // metrics window (LiveStream default)

test(`16 FFmpeg streams for ${SECONDS} s through the server: all active, loss < 1 %; 5 % loss and 30 ms jitter read back; a killed sender reconnects alone`, { timeout: (SECONDS + 90) * 1000 }, async (t) => {
  assert.ok(SECONDS >= 10, 'DVS_ACCEPT_SECONDS ≥ 10 (one metrics window of warm-up)');
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < N; i++) ports.push(await freeUdpPair(taken));
  const ids = ports.map((_, i) => `c${String(i).padStart(2, '0')}`);
  const LOSSY = ids[14]!;
  const JITTERY = ids[15]!;
  const cfg = parseSiteConfig(siteYaml({
    media: ['max_concurrent_streams: 16', 'connection_timeout_ms: 1500', 'reconnect_attempts: 20', 'reconnect_backoff_ms: [300, 600, 1200]'],
    cameras: ids.flatMap((id, i) => [`- id: ${id}`, `  source: "rtp://127.0.0.1:${ports[i]}"`, '  rtp_config: {codec: h264}']),
  }));
  assert.ok(cfg.ok, JSON.stringify(!cfg.ok && cfg.issues));
  const srv = new MediaServer(cfg.value, { lanes: 4 });
  srv.start();
  const app = await buildApi(srv);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  // The relays run on their own thread, so the server's work in this process does not delay their timers.
  const relays = await startRelayWorker([
    { target: ports[14]!, seed: 14, lossBlock: LOSS_BLOCK },
    { target: ports[15]!, seed: 15, maxDelayMs: MAX_DELAY_MS, paceMs: PACE_MS },
    { target: ports[13]!, seed: 13, paceMs: PACE_MS },
  ]);
  const [lossPort, jitterPort, controlPort] = relays.ports as [number, number, number];
  const procs: ChildProcess[] = [];
  t.after(async () => {
    await killAll(procs);
    await relays.close();
    await app.close();
    await srv.close(0);
  });
  const senderSeconds = SECONDS + 60;
  for (let i = 0; i < 13; i++) procs.push(ffmpegSender(ports[i]!, { seconds: senderSeconds }));
  // Control: paced like the jittery stream, no delay added (the measurement floor of this machine).
  procs.push(ffmpegSender(controlPort, { seconds: senderSeconds, size: '64x48', pktSize: 1400 }));
  // Lossy stream: more packets per second (smaller packets, 30 fps) so a 5 s window holds ~1000.
  procs.push(ffmpegSender(lossPort, { seconds: senderSeconds, size: '320x240', rate: 30, pktSize: 400 }));
  // Jittery stream: mostly one packet per frame.
  procs.push(ffmpegSender(jitterPort, { seconds: senderSeconds, size: '64x48', pktSize: 1400 }));
  const states: Array<{ id: string; to: string; at: number }> = [];
  srv.on('state', (e) => states.push({ id: e.id, to: e.to, at: Date.now() }));

  assert.ok(await until(() => ids.every((id) => srv.snapshot(id).state === 'active'), 30000),
    JSON.stringify(ids.map((id) => [id, srv.snapshot(id).state])));
  const t0 = Date.now();
  const statesAtStart = states.length;
  const lossReads: number[] = [];
  const jitterReads: number[] = [];
  const controlReads: number[] = [];
  let polls = 0;
  let notActive: string[] = [];
  while (Date.now() - t0 < SECONDS * 1000) {
    await sleep(1000);
    const res = await fetch(`${base}/api/v1/streams`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { streams: Array<{ id: string; status: string; metrics: { packet_loss_rate: number; jitter: { mean: number | null } } }> };
    polls++;
    notActive = notActive.concat(body.streams.filter((s) => s.status !== 'active').map((s) => `${s.id}@${polls}`));
    if (Date.now() - t0 < WINDOW_MS) continue; // the window is full from here on
    const lossy = body.streams.find((s) => s.id === LOSSY)!;
    const jittery = body.streams.find((s) => s.id === JITTERY)!;
    lossReads.push(lossy.metrics.packet_loss_rate);
    if (jittery.metrics.jitter.mean !== null) jitterReads.push(jittery.metrics.jitter.mean);
    const control = body.streams.find((s) => s.id === ids[13])!;
    if (control.metrics.jitter.mean !== null) controlReads.push(control.metrics.jitter.mean);
  }
  assert.deepEqual(notActive, [], 'every stream active at every poll');
  assert.equal(states.length, statesAtStart, `no state change during the run: ${JSON.stringify(states.slice(statesAtStart))}`);

  const [lossStats, jitterStats] = (await relays.stats()) as [RelayStats, RelayStats];
  const clean = ids.slice(0, 14).map((id) => srv.snapshot(id).metrics);
  const worstClean = Math.max(...clean.map((m) => m.packet_loss_rate_cumulative));
  const packets = clean.map((m) => m.packets_received);
  assert.ok(worstClean < 0.01, `clean loss ${worstClean}`);
  assert.ok(Math.min(...packets) > SECONDS * 15, `each clean stream received ≥ 15 packets/s (${Math.min(...packets)})`);

  assert.ok(lossReads.length >= SECONDS - 7, `${lossReads.length} loss reads`);
  for (const l of lossReads) assert.ok(Math.abs(l - 0.05) <= 0.01, `windowed loss ${l} within 5 % ± 1 pp (${lossReads.join(', ')})`);
  const lossCum = srv.snapshot(LOSSY).metrics.packet_loss_rate_cumulative;
  const relayLoss = lossStats.dropped / lossStats.rtpIn;
  assert.ok(Math.abs(lossCum - 0.05) <= 0.01, `cumulative loss ${lossCum}`);

  const p = jitterStats.boundaries / Math.max(1, jitterStats.forwarded - 1);
  const expected = (p * MAX_DELAY_MS) / 3;
  const d = jitterStats.delays;
  let sumAbs = 0;
  for (let k = 1; k < d.length; k++) sumAbs += Math.abs(d[k]! - d[k - 1]!);
  const drawn = sumAbs / Math.max(1, d.length - 1);
  const reported = jitterReads.reduce((a, b) => a + b, 0) / Math.max(1, jitterReads.length);
  const floor = controlReads.reduce((a, b) => a + b, 0) / Math.max(1, controlReads.length);
  const baseline = clean.map((m) => m.jitter_ms.mean ?? 0).reduce((a, b) => a + b, 0) / clean.length;
  assert.ok(jitterReads.length >= SECONDS - 7, `${jitterReads.length} jitter reads`);

  t.diagnostic(`${SECONDS} s, ${polls} polls: clean loss max ${(worstClean * 100).toFixed(3)} %, packets/stream ${Math.min(...packets)}–${Math.max(...packets)}, baseline jitter (clean mean) ${baseline.toFixed(2)} ms`);
  t.diagnostic(`lossy: windowed ${lossReads.map((l) => (l * 100).toFixed(2)).join('/')} %, cumulative ${(lossCum * 100).toFixed(2)} %, relay dropped ${(relayLoss * 100).toFixed(2)} % of ${lossStats.rtpIn}`);
  t.diagnostic(`jittery: reported mean ${reported.toFixed(2)} ms, expected p·a/3 = ${p.toFixed(3)}·10 = ${expected.toFixed(2)} ms, mean |Δd| of the drawn delays ${drawn.toFixed(2)} ms over ${d.length} frames, ${jitterStats.late} packets late for their slot; control (paced, no delay) ${floor.toFixed(2)} ms`);
  const lb = srv.status();
  t.diagnostic(`lanes (${lb.strategy}): ${lb.lanes.map((l) => `${l.streams.length} streams ${l.busy_ms_per_s} ms/s ${l.packets_per_s} pkt/s`).join(' | ')}`);
  // ±25 % of the expectation, plus on the upper side the machine's own timing noise measured by
  // the control stream: with that noise n independent of d, E|Δd + Δn| ≤ E|Δd| + E|Δn|
  // (triangle inequality), and E|Δd + Δn| ≥ E|Δd| for symmetric Δn (Jensen), so noise can only
  // raise the figure, by at most the control's reading.
  assert.ok(reported >= 0.75 * expected && reported <= 1.25 * expected + floor,
    `reported jitter ${reported.toFixed(2)} ms vs expected ${expected.toFixed(2)} ms (p ${p.toFixed(3)}), allowed ${(0.75 * expected).toFixed(2)}…${(1.25 * expected).toFixed(2)} + floor ${floor.toFixed(2)}`);
  t.diagnostic(`jitter ${reported > 1.25 * expected ? 'outside ±25 % alone, inside with the measured floor' : 'within ±25 % of p·a/3 without the floor allowance'}`);

  // ---------------------------------------------------------------- kill one sender
  const before = states.length;
  procs[0]!.kill('SIGKILL');
  assert.ok(await until(() => srv.snapshot(ids[0]!).state === 'reconnecting', 6000), srv.snapshot(ids[0]!).state);
  await sleep(500);
  procs.push(ffmpegSender(ports[0]!, { seconds: 30 }));
  assert.ok(await until(() => srv.snapshot(ids[0]!).state === 'active', 12000), srv.snapshot(ids[0]!).state);
  const during = states.slice(before);
  assert.deepEqual([...new Set(during.map((s) => s.id))], [ids[0]], JSON.stringify(during));
  assert.equal(during[0]!.to, 'reconnecting');
  assert.equal(during.at(-1)!.to, 'active');
  assert.ok(ids.slice(1).every((id) => srv.snapshot(id).state === 'active'));
  t.diagnostic(`killed ${ids[0]}: ${during.map((s) => s.to).join(' → ')} in ${((during.at(-1)!.at - during[0]!.at) / 1000).toFixed(1)} s`);
});
