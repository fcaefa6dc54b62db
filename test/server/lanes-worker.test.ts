/**
 * Ingest lanes as worker threads (src/server/lane-pool.ts) under a real MediaServer: four RTP
 * senders on loopback (the project's RtpSender, so the test knows every frame's bytes and send
 * time), two lanes.
 *  - frames cross the threads whole, in order, byte for byte, with arrival times on the main
 *    thread's clock (checked against the test's own wall clock at sending);
 *  - a rebalance moves one stream to the other lane: it keeps its state and its frames keep
 *    coming; the streams not moved lose nothing;
 *  - a lane thread that dies: its streams go reconnecting and come back on a fresh thread, the
 *    other lane's streams see no state change and lose nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSiteConfig } from '../../src/config/site.ts';
import { RtpSender, systemClock } from '../../src/media/sender/index.ts';
import { encodeClip, slices } from './h264-clip.ts';
import { MediaServer } from '../../src/server/index.ts';
import type { LiveCodedFrame } from '../../src/pipeline/live.ts';
import { freeUdpPair, siteYaml, sleep, until } from './helpers.ts';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const IDS = ['c0', 'c1', 'c2', 'c3'];
const FPS = 30;

const CLIP = 60;

let clip: Uint8Array[] = [];
/** Picture index of each access unit's slice NALs (parameter sets excluded: they repeat). */
const pictureIndex = new Map<string, number>();

interface Sent { k: number; unixMs: number }

let dir = '';
let server: MediaServer;
const senders: RtpSender[] = [];
const sent: Sent[][] = IDS.map(() => []);
const got: LiveCodedFrame[][] = IDS.map(() => []);
const states: Array<{ id: string; to: string; reason: string | null }> = [];
let ticker: NodeJS.Timeout | null = null;

before(async () => {
  clip = await encodeClip(CLIP, FPS, 5);
  assert.equal(clip.length, CLIP, 'FFmpeg gave every access unit');
  clip.forEach((au, k) => pictureIndex.set(slices(au), k));
  assert.equal(pictureIndex.size, CLIP, 'every picture distinct');
  dir = mkdtempSync(join(tmpdir(), 'dvs-lanes-'));
  const ports: number[] = [];
  for (let i = 0; i < IDS.length; i++) ports.push(await freeUdpPair(new Set(ports)));
  const cams = IDS.map((id, i) => `- {id: ${id}, source: "rtp://127.0.0.1:${ports[i]}", rtp_config: {codec: h264, priority: ${i === 0 ? 'high' : 'low'}}}`);
  const path = join(dir, 'site.yaml');
  writeFileSync(path, siteYaml({
    cameras: cams,
    media: ['reconnect_backoff_ms: [200, 400]', 'connection_timeout_ms: 1500', 'load_balancing: {strategy: round_robin, health_check_interval_ms: 200}'],
  }));
  const config = loadSiteConfig(path);
  server = new MediaServer(config, { lanes: 2, pipeline: false });
  server.on('state', (e) => states.push({ id: e.id, to: e.to, reason: e.reason }));
  server.onCodedFrame((f) => {
    const i = IDS.indexOf(f.streamId);
    if (i >= 0) got[i]!.push(f);
  });
  server.start();
  // Sockets bound on the lane threads before anything is sent (a worker takes a moment to start).
  assert.ok(await until(() => IDS.every((id) => server.snapshot(id).metrics.state === 'waiting'), 30_000), 'lanes listening');
  const clock = systemClock();
  for (let i = 0; i < IDS.length; i++) {
    senders.push(await RtpSender.open({ codec: 'h264', clock, host: '127.0.0.1', rtpPort: ports[i]!, rtcpIntervalMs: 250 }));
  }
  // All four cameras send a frame every 1/FPS s for the whole file.
  let k = 0;
  ticker = setInterval(() => {
    const now = clock.nowMs();
    const unixMs = Date.now();
    for (let i = 0; i < IDS.length; i++) {
      senders[i]!.send(clip[k % CLIP]!, now);
      sent[i]!.push({ k, unixMs });
    }
    k++;
  }, 1000 / FPS);
});

after(async () => {
  if (ticker) clearInterval(ticker);
  await Promise.all(senders.map((s) => s.close()));
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Frame numbers received for camera i: each frame's slices must be those of one picture of the
 * clip, whole; the number k counts on from the previous one modulo CLIP (sent frame k carries
 * picture k mod CLIP, and the test keeps fewer than CLIP frames apart between receptions).
 */
function received(i: number): number[] {
  const ks: number[] = [];
  for (const f of got[i]!) {
    const p = pictureIndex.get(slices(f.frame.data));
    assert.ok(p !== undefined, `${IDS[i]}: a frame that is no picture of the clip (${f.frame.data.length} bytes)`);
    const prev = ks.at(-1);
    ks.push(prev === undefined ? p : prev + 1 + ((p - (prev + 1)) % CLIP + CLIP) % CLIP);
  }
  return ks;
}

/** Send time of frame number k of camera i (k as counted by `received`: the first reception is the first send of that picture). */
function sendTime(i: number, k: number, firstK: number): number | undefined {
  const first = sent[i]!.find((s) => s.k % CLIP === firstK % CLIP);
  return first ? sent[i]!.find((s) => s.k === first.k + (k - firstK))?.unixMs : undefined;
}

/** Frames missing between the first and the last frame received at index ≥ from. */
function gaps(ks: number[]): number {
  let n = 0;
  for (let j = 1; j < ks.length; j++) n += Math.max(0, ks[j]! - ks[j - 1]! - 1);
  return n;
}

test('frames cross the lane threads whole, in order, stamped on the main thread clock', async (t) => {
  const st = server.status();
  assert.equal(st.mode, 'worker');
  assert.deepEqual(st.lanes.map((l) => l.streams), [['c0', 'c2'], ['c1', 'c3']]);
  assert.ok(await until(() => IDS.every((id) => server.snapshot(id).state === 'active') && got.every((g) => g.length >= 45), 8000), 'all four active with 45 frames');
  for (let i = 0; i < IDS.length; i++) {
    const ks = received(i);
    assert.ok(ks.every((k, j) => j === 0 || k > ks[j - 1]!), `${IDS[i]}: frames in order`);
    assert.equal(gaps(ks), 0, `${IDS[i]}: no frame missing`);
    // Arrival (earliest packet, worker clock shifted to the main thread's) against the test's
    // wall clock when the frame was handed to the sender: loopback, so within a few ms after it.
    const lag = got[i]!.map((f, j) => f.arrivalUnixMs - sendTime(i, ks[j]!, ks[0]!)!);
    lag.sort((a, b) => a - b);
    const med = lag[lag.length >> 1]!;
    t.diagnostic(`${IDS[i]}: ${ks.length} frames, arrival − send: min ${lag[0]!.toFixed(1)} median ${med.toFixed(1)} max ${lag.at(-1)!.toFixed(1)} ms`);
    assert.ok(lag[0]! > -5 && med < 50, `${IDS[i]}: arrival − send min ${lag[0]} median ${med} ms`);
    // The stream's metrics come from its lane thread.
    const m = server.snapshot(IDS[i]!).metrics;
    assert.ok(m.packets_received >= ks.length, `${IDS[i]}: ${m.packets_received} packets for ${ks.length} frames`);
    assert.equal(m.packets_lost, 0);
  }
  assert.ok(await until(() => server.status().lanes.every((l) => l.thread?.running === true && (l.thread.utilization ?? 0) > 0), 3000), JSON.stringify(server.status().lanes.map((l) => l.thread)));
  for (const l of server.status().lanes) t.diagnostic(`lane ${l.lane}: utilization ${l.thread!.utilization}, busy ${l.busy_ms_per_s} ms/s, ${l.packets_per_s} pkt/s`);
});

test('rebalance moves a stream to the other lane; it stays active and flowing, the others lose nothing', async (t) => {
  const before = got.map((g) => g.length);
  const statesBefore = states.length;
  const packetsBefore = server.snapshot('c2').metrics.packets_received;
  const readies: Array<{ id: string; moved: boolean }> = [];
  const off = server.manager.on((e) => { if (e.type === 'stream' && e.event.type === 'ready') readies.push({ id: e.id, moved: e.moved === true }); });
  // Weighted: c0 high (3), the others low (1): c0 alone on one lane, c1–c3 together on the other.
  const r = server.rebalance('weighted');
  assert.deepEqual(r.moved, [{ id: 'c2', from: 0, to: 1 }]);
  assert.deepEqual(server.status().moving, ['c2']);
  await server.settled();
  assert.deepEqual(server.status().lanes.map((l) => l.streams), [['c0'], ['c1', 'c2', 'c3']]);
  assert.ok(await until(() => got[2]!.length >= before[2]! + 45, 6000), `c2 frames after the move: ${got[2]!.length - before[2]!}`);
  const moved = received(2).slice(before[2]);
  t.diagnostic(`c2: ${moved.length} frames after the move, ${gaps(received(2))} lost in the move`);
  assert.ok(gaps(received(2)) <= 6, `c2 lost ${gaps(received(2))} frames moving`);
  for (const i of [0, 1, 3]) assert.equal(gaps(received(i)), 0, `${IDS[i]} lost frames while c2 moved`);
  const changes = states.slice(statesBefore);
  assert.deepEqual(changes, [], 'no state change for a move');
  assert.equal(server.snapshot('c2').state, 'active');
  // Cumulative counters carry on across the move.
  assert.ok(server.snapshot('c2').metrics.packets_received > packetsBefore, `${server.snapshot('c2').metrics.packets_received} packets after the move, ${packetsBefore} before`);
  // The new connection is announced as the same session moved (the media server keeps its sync fit).
  off();
  assert.deepEqual(readies, [{ id: 'c2', moved: true }]);
});

test('a lane thread that dies: its streams reconnect on a fresh thread; the other lane is untouched', async (t) => {
  const lane = server.lane('c0'); // c0 alone on its lane since the rebalance
  const before = got.map((g) => g.length);
  const statesBefore = states.length;
  const packetsBefore = server.snapshot('c0').metrics.packets_received;
  const readies: Array<{ id: string; moved: boolean }> = [];
  const off = server.manager.on((e) => { if (e.type === 'stream' && e.event.type === 'ready') readies.push({ id: e.id, moved: e.moved === true }); });
  server.pool!.crashForTest(lane);
  assert.ok(await until(() => states.slice(statesBefore).some((s) => s.id === 'c0' && s.to === 'reconnecting'), 3000), 'c0 went reconnecting');
  assert.ok(await until(() => server.snapshot('c0').state === 'active' && got[0]!.length > before[0]! + 15, 5000), `c0 back: ${server.snapshot('c0').state}`);
  const c0 = states.slice(statesBefore).filter((s) => s.id === 'c0');
  t.diagnostic(`c0: ${c0.map((s) => `${s.to} (${s.reason ?? ''})`).join(' → ')}`);
  assert.match(c0[0]!.reason ?? '', /ingest lane \d worker stopped .*crash requested/);
  assert.deepEqual(c0.map((s) => s.to), ['reconnecting', 'active']);
  assert.deepEqual(states.slice(statesBefore).filter((s) => s.id !== 'c0'), [], 'other streams: no state change');
  for (const i of [1, 2, 3]) assert.equal(gaps(received(i).slice(before[i]! - 1)), 0, `${IDS[i]} lost frames`);
  const th = server.status().lanes[lane]!.thread!;
  assert.equal(th.restarts, 1);
  assert.equal(th.running, true);
  assert.match(th.last_error ?? '', /crash requested/);
  assert.ok(server.snapshot('c0').metrics.packets_received > packetsBefore, 'cumulative counters carry on across the restart');
  off();
  assert.deepEqual(readies, [{ id: 'c0', moved: false }], 'a reconnection after a crash is a new session');
});

test("laneMode 'inline': the same stream runs on the main thread, lanes are accounting only", async () => {
  const port = await freeUdpPair();
  const path = join(dir, 'inline.yaml');
  writeFileSync(path, siteYaml({ cameras: [`- {id: solo, source: "rtp://127.0.0.1:${port}", rtp_config: {codec: h264}}`] }));
  const srv = new MediaServer(loadSiteConfig(path), { lanes: 2, pipeline: false, laneMode: 'inline' });
  const frames: LiveCodedFrame[] = [];
  srv.onCodedFrame((f) => frames.push(f));
  const clock = systemClock();
  const tx = await RtpSender.open({ codec: 'h264', clock, host: '127.0.0.1', rtpPort: port });
  try {
    srv.start();
    assert.equal(srv.pool, null);
    assert.ok(await until(() => srv.snapshot('solo').metrics.state === 'waiting', 3000), 'listening');
    const t0 = clock.nowMs();
    for (let k = 0; k < CLIP; k++) tx.send(clip[k]!, t0 + k * (1000 / FPS));
    await tx.idle();
    assert.ok(await until(() => frames.length >= CLIP, 3000), `${frames.length} frames`);
    assert.deepEqual(frames.map((f) => pictureIndex.get(slices(f.frame.data))), clip.map((_, k) => k));
    const st = srv.status();
    assert.equal(st.mode, 'logical');
    assert.ok(st.lanes.every((l) => l.thread === null));
  } finally {
    await tx.close();
    await srv.close();
  }
});
