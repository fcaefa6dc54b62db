/**
 * StreamManager with real FFmpeg senders on loopback: a killed sender moves its stream to
 * reconnecting and back to active once a new sender runs, the other stream is untouched; the
 * backoff schedule read from the timestamps of state events; max_concurrent_streams; the
 * site.yaml → stream mapping. Timing is asserted loosely (order and lower bounds, wide upper ones).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseSiteConfig } from '../../src/config/index.ts';
import {
  definitionFromCamera, managerOptionsFromConfig, StreamManager, type StreamManagerEvent, type StreamState,
} from '../../src/media/manager/index.ts';
import { sleep, freeUdpPair } from './peer.ts';

function sender(port: number, seconds: number): ChildProcess {
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=15', '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-pix_fmt', 'yuv420p',
    '-f', 'rtp', `rtp://127.0.0.1:${port}?rtcpport=${port + 1}&pkt_size=1200`], { stdio: 'ignore' });
}

function site(cameras: string[], media: string[]): string {
  return [
    'site:', '  origin: {lat: 47.0, lon: 8.0, alt_m: 400}', '  volume: {min: [-500, -200, 0], max: [1500, 1800, 400], voxel_m: 4}',
    'media_server:', ...media.map((l) => `  ${l}`), 'cameras:', ...cameras.map((l) => `  ${l}`),
  ].join('\n') + '\n';
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
  return cond();
}

const states = (events: StreamManagerEvent[], id: string) =>
  events.filter((e): e is Extract<StreamManagerEvent, { type: 'state' }> => e.type === 'state' && e.id === id);

test('a killed sender: reconnecting, then active again within the backoff once a sender returns; the other stream unaffected', async (t) => {
  const [pa, pb] = [await freeUdpPair(), await freeUdpPair()];
  const cfg = parseSiteConfig(site([
    '- id: camA', `  source: "rtp://127.0.0.1:${pa}"`, '  rtp_config: {codec: h264}',
    '- id: camB', `  source: "rtp://127.0.0.1:${pb}"`, '  rtp_config: {codec: h264}',
  ], ['connection_timeout_ms: 1500', 'reconnect_attempts: 6', 'reconnect_backoff_ms: [300, 600, 1200]',
    'network: {bind_address: 127.0.0.1, rtp_port_range: [1024, 65535]}']));
  assert.ok(cfg.ok, JSON.stringify(!cfg.ok && cfg.issues));
  const frames = new Map<string, number[]>([['camA', []], ['camB', []]]);
  const m = new StreamManager({ ...managerOptionsFromConfig(cfg.value.media_server), onFrame: (id, f) => frames.get(id)!.push(f.arrivalMs ?? 0) });
  const events: StreamManagerEvent[] = [];
  m.on((e) => events.push(e));
  const procs: ChildProcess[] = [];
  t.after(async () => {
    procs.forEach((p) => p.kill('SIGKILL'));
    await m.close();
  });
  for (const cam of cfg.value.cameras) m.add(cam);
  procs.push(sender(pa, 20), sender(pb, 20));
  assert.ok(await until(() => m.list().every((s) => s.state === 'active'), 6000), JSON.stringify(m.list().map((s) => [s.id, s.state, s.last_error])));

  const bEventsBefore = states(events, 'camB').length;
  const aEventsBefore = states(events, 'camA').length;
  procs[0]!.kill('SIGKILL');
  const killedAt = performance.now();
  assert.ok(await until(() => m.get('camA').state === 'reconnecting', 5000), `camA ${m.get('camA').state}`);
  const lostAt = states(events, 'camA').at(-1)!.atMs;
  const lastPacket = m.get('camA').metrics.last_packet_ms!;
  assert.ok(lastPacket < killedAt + 50 && lostAt - lastPacket >= 1500 - 2, `silence detected ${(lostAt - lastPacket).toFixed(0)} ms after the last packet (timeout 1500)`);
  await sleep(1000); // at least one attempt against a silent port
  const bFramesAtRestart = frames.get('camB')!.length;
  procs.push(sender(pa, 20));
  const restartAt = performance.now();
  assert.ok(await until(() => m.get('camA').state === 'active', 8000), `camA ${m.get('camA').state}`);
  const activeAt = states(events, 'camA').at(-1)!.atMs;
  // Worst case: the longest backoff (1200) plus one connection timeout (1500), plus FFmpeg's start.
  assert.ok(activeAt - restartAt < 1200 + 1500 + 3000, `active ${(activeAt - restartAt).toFixed(0)} ms after the sender returned`);

  // Before the kill: connecting, possibly reconnecting (FFmpeg slower to start than the timeout), active.
  const before = states(events, 'camA').slice(0, aEventsBefore).map((e) => e.to);
  assert.equal(before[0], 'connecting');
  assert.equal(before.at(-1), 'active');
  const a = states(events, 'camA').slice(aEventsBefore).map((e) => e.to);
  assert.equal(a[0], 'reconnecting');
  assert.equal(a.at(-1), 'active');
  assert.ok(a.slice(0, -1).every((s) => s === 'reconnecting'), a.join(' → '));
  t.diagnostic(`silence detected ${(lostAt - killedAt).toFixed(0)} ms after the kill (${(lostAt - lastPacket).toFixed(0)} after the last packet); active ${(activeAt - restartAt).toFixed(0)} ms after the new sender started`);
  const snapA = m.get('camA');
  assert.ok(snapA.reconnect_count >= 1);
  assert.equal(snapA.attempt, 0);
  assert.equal(snapA.source, `rtp://127.0.0.1:${pa}`);
  const aFramesAfter = frames.get('camA')!.filter((at) => at > activeAt).length;
  await until(() => frames.get('camA')!.filter((at) => at > activeAt).length >= 5, 3000);
  assert.ok(frames.get('camA')!.filter((at) => at > activeAt).length >= 5, `${aFramesAfter} frames after reconnection`);

  assert.equal(states(events, 'camB').length, bEventsBefore, 'camB changed no state');
  assert.equal(m.get('camB').state, 'active');
  assert.ok(frames.get('camB')!.length > bFramesAtRestart + 10, 'camB kept delivering frames throughout');
});

test('backoff schedule from state-event timestamps: waits 200, 400, 400 (last repeats), then failed with slow retries', async () => {
  const port = await freeUdpPair();
  const m = new StreamManager({
    connectionTimeoutMs: 300, reconnectAttempts: 3, reconnectBackoffMs: [200, 400], failedRetryMs: 700, bindAddress: '127.0.0.1', rtpPortRange: null,
  });
  const events: StreamManagerEvent[] = [];
  m.on((e) => events.push(e));
  m.add({ id: 'silent', source: { kind: 'udp', port }, codec: 'h264' });
  const failedRetry = () => events.some((e) => e.type === 'attempt' && e.state === 'failed');
  assert.ok(await until(failedRetry, 8000));
  await m.close();
  const seq = events.filter((e) => e.type === 'state' || e.type === 'attempt')
    .map((e) => e.type === 'state' ? { k: `state:${e.to}`, at: e.atMs, attempt: e.attempt } : { k: `attempt:${e.state}`, at: e.atMs, attempt: e.attempt });
  const kinds = seq.map((s) => s.k);
  assert.deepEqual(kinds.slice(0, 9), [
    'state:connecting', 'state:reconnecting', 'attempt:reconnecting', 'state:reconnecting', 'attempt:reconnecting',
    'state:reconnecting', 'attempt:reconnecting', 'state:failed', 'attempt:failed',
  ]);
  const at = seq.map((s) => s.at);
  const gap = (i: number) => at[i + 1]! - at[i]!;
  const slack = 2; // timers never fire early; allow clock rounding
  // Silence detection: one connection timeout after each connect.
  for (const i of [0, 2, 4, 6]) assert.ok(gap(i) >= 300 - slack && gap(i) < 300 + 1500, `timeout gap ${i}: ${gap(i).toFixed(0)}`);
  // Backoff before attempts 1, 2, 3: 200, 400, 400.
  [[1, 200], [3, 400], [5, 400]].forEach(([i, ms]) => assert.ok(gap(i!) >= ms! - slack && gap(i!) < ms! + 1500, `backoff gap ${i}: ${gap(i!).toFixed(0)} vs ${ms}`));
  assert.deepEqual(seq.slice(1, 7).map((s) => s.attempt), [1, 1, 2, 2, 3, 3]);
  assert.ok(gap(7) >= 700 - slack, `failed retry after ${gap(7).toFixed(0)} ms`);
});

test('max_concurrent_streams: a clear refusal, nothing registered; stopping one frees a slot; ids and sources checked', async () => {
  const m = new StreamManager({ maxConcurrentStreams: 2, connectionTimeoutMs: 60_000, bindAddress: '127.0.0.1', rtpPortRange: null });
  const ports = [await freeUdpPair(), await freeUdpPair(), await freeUdpPair()];
  m.add({ id: 's1', source: { kind: 'udp', port: ports[0]! } });
  m.add({ id: 's2', source: { kind: 'udp', port: ports[1]! } });
  assert.throws(() => m.add({ id: 's3', source: { kind: 'udp', port: ports[2]! } }),
    { name: 'StreamManagerError', code: 'STREAM_LIMIT', message: /max_concurrent_streams \(2\)/ });
  assert.deepEqual(m.list().map((s) => s.id), ['s1', 's2']);
  m.add({ id: 's3', source: { kind: 'udp', port: ports[2]! } }, { start: false });
  assert.equal(m.get('s3').state, 'idle');
  assert.throws(() => m.start('s3'), { code: 'STREAM_LIMIT' });
  assert.throws(() => m.add({ id: 's1', source: { kind: 'udp', port: 1 } }), { code: 'STREAM_EXISTS' });
  assert.throws(() => m.get('nope'), { code: 'STREAM_UNKNOWN' });
  await m.stop('s1');
  assert.equal(m.get('s1').state, 'stopped');
  assert.equal(m.start('s3').state, 'connecting');
  assert.equal(m.running, 2);
  await m.remove('s2');
  assert.deepEqual(m.list().map((s) => [s.id, s.state]), [['s1', 'stopped'], ['s3', 'connecting']]);
  await m.close();
  await m.close();
  assert.throws(() => m.add({ id: 's4', source: { kind: 'udp', port: 1 } }), { code: 'MANAGER_CLOSED' });
});

test('site.yaml cameras → stream definitions', () => {
  const cfg = parseSiteConfig(site([
    '- id: cam01', '  source: "rtsp://user:pw@10.0.0.11/stream1"',
    '- id: cam02', '  source: "rtsp://10.0.0.12/s"', '  rtp_config: {protocol: rtp_tcp}',
    '- id: cam03', '  source: "rtp://0.0.0.0:50004"', '  rtp_config: {codec: mjpeg, payload_type: 26}',
    '- id: cam04', '  source: "rtp://10.0.0.14:50006"', '  rtp_config: {port: 50006}', '  network_qos: {rtcp_interval_ms: 500}',
    '- id: cam05', '  source: "rtp://10.0.0.15:50010"', '  rtp_config: {protocol: rtp_tcp}',
    '- id: cam06', '  source: file:cam06.mkv',
    '- id: cam07', '  source: "rtsp://10.0.0.17/s"', '  rtp_config: {port: 50012}',
  ], ['network: {rtp_port_range: [50000, 50100]}']));
  assert.ok(cfg.ok, JSON.stringify(!cfg.ok && cfg.issues));
  const [c1, c2, c3, c4, c5, c6, c7] = cfg.value.cameras;
  assert.deepEqual(definitionFromCamera(c7!).source, { kind: 'rtsp', url: 'rtsp://10.0.0.17/s', transport: 'auto', clientPort: 50012 });
  assert.deepEqual(definitionFromCamera(c1!).source, { kind: 'rtsp', url: 'rtsp://user:pw@10.0.0.11/stream1', transport: 'auto' });
  assert.deepEqual(definitionFromCamera(c2!).source, { kind: 'rtsp', url: 'rtsp://10.0.0.12/s', transport: 'tcp' });
  const d3 = definitionFromCamera(c3!);
  assert.deepEqual([d3.source, d3.codec, d3.payloadType], [{ kind: 'udp', port: 50004, allowedSources: null }, 'mjpeg', 26]);
  const d4 = definitionFromCamera(c4!);
  assert.deepEqual([d4.source, d4.rtcpIntervalMs, d4.enableRtcp], [{ kind: 'udp', port: 50006, allowedSources: ['10.0.0.14'] }, 500, true]);
  assert.deepEqual(definitionFromCamera(c5!).source, { kind: 'tcp', host: '10.0.0.15', port: 50010 });
  assert.throws(() => definitionFromCamera(c6!), { code: 'STREAM_SOURCE' });
  const m = new StreamManager({ rtpPortRange: null });
  const snap = m.add(c1!, { start: false });
  assert.equal(snap.source, 'rtsp://10.0.0.11/stream1');
  assert.ok(!JSON.stringify(snap).includes('pw@'));
  void m.close();
});

test('state events: every change carries from/to; listener exceptions do not stop the manager', async () => {
  const port = await freeUdpPair();
  const m = new StreamManager({ connectionTimeoutMs: 60_000, bindAddress: '127.0.0.1', rtpPortRange: null });
  const seen: [StreamState, StreamState][] = [];
  m.on(() => {
    throw new Error('listener bug');
  });
  m.on((e) => e.type === 'state' && seen.push([e.from, e.to]));
  m.add({ id: 'x', source: { kind: 'udp', port } });
  await m.restart('x');
  await m.configure('x', { rtcpIntervalMs: 300 });
  await m.stop('x');
  await m.close();
  assert.deepEqual(seen, [['idle', 'connecting'], ['connecting', 'stopped'], ['stopped', 'connecting'], ['connecting', 'stopped'], ['stopped', 'connecting'], ['connecting', 'stopped']]);
  assert.ok(m.listenerErrors >= 6);
});
