/**
 * Real peer: FFmpeg's RTP muxer sends H.264 in real time (-re) to a LiveStream listening on a
 * UDP pair. Judges: ffprobe decodes the Annex-B the stream handed out (frame count and size
 * as FFmpeg encoded them), the encoder's frame rate (RTP timestamps 6000 ticks apart at 15 fps),
 * and FFmpeg's own RTCP sender reports (packet count sent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { MediaFrame } from '../../src/media/index.ts';
import { LiveStream, type LiveStreamEvent } from '../../src/media/stream/index.ts';
import { run, sleep, freeUdpPair } from './peer.ts';

const FRAMES = 90; // 6 s at 15 fps: FFmpeg sends its second SR (with a real packet count) after 5 s

/** ffprobe reading an Annex-B H.264 stream from its stdin: decoded frames and size. */
function probeStdin(data: Uint8Array): Promise<{ frames: number; width: number; height: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffprobe', ['-v', 'error', '-f', 'h264', '-count_frames', '-select_streams', 'v:0',
      '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json', '-i', 'pipe:0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffprobe ${code}: ${err}`));
      const s = (JSON.parse(out) as { streams: { nb_read_frames: string; width: number; height: number }[] }).streams[0]!;
      resolve({ frames: Number(s.nb_read_frames), width: s.width, height: s.height });
    });
    p.stdin.end(data);
  });
}

test('FFmpeg -re H.264 over RTP/UDP into a LiveStream: all frames decode; fps, size, loss, RTCP from the real stream', async () => {
  const port = await freeUdpPair();
  const frames: MediaFrame[] = [];
  const events: LiveStreamEvent[] = [];
  const s = new LiveStream({
    id: 'cam01', source: { kind: 'udp', port, bindAddress: '127.0.0.1', allowedSources: ['127.0.0.1'] },
    codec: 'h264', rtcpIntervalMs: 200, connectionTimeoutMs: 4000, metricsWindowMs: 10_000,
    onFrame: (f) => frames.push(f), onEvent: (e) => events.push(e),
  });
  await s.connect();
  assert.equal(s.state, 'waiting');
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-frames:v', String(FRAMES),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-pix_fmt', 'yuv420p',
    '-f', 'rtp', `rtp://127.0.0.1:${port}?rtcpport=${port + 1}&pkt_size=1200`]);
  // The last frame leaves the jitter buffer 100 ms after its arrival (later on a loaded machine).
  for (let i = 0; i < 100 && frames.length < FRAMES; i++) await sleep(20);
  await sleep(100);
  const m = s.metrics();
  await s.disconnect();
  await s.disconnect(); // idempotent
  assert.equal(s.state, 'idle');

  assert.equal(frames.length, FRAMES);
  assert.deepEqual(await probeStdin(Buffer.concat(frames.map((f) => f.data))), { frames: FRAMES, width: 320, height: 240 });
  assert.deepEqual(events.map((e) => e.type), ['ready', 'receiving']);
  assert.equal(m.state, 'receiving');
  assert.equal(m.codec, 'h264');
  assert.deepEqual(m.resolution, [320, 240]);
  assert.ok(m.fps !== null && Math.abs(m.fps - 15) < 1e-6, `fps ${m.fps}`);
  assert.equal(m.packets_lost, 0);
  assert.equal(m.packet_loss_rate, 0);
  assert.equal(m.packet_loss_rate_cumulative, 0);
  assert.equal(m.frame_drop_rate, 0);
  assert.equal(m.frames_delivered, FRAMES);
  const sr = m.last_sender_report;
  assert.ok(sr, 'FFmpeg sent an RTCP sender report');
  assert.ok(m.packets_received >= sr.packetCount && sr.packetCount > 300, `received ${m.packets_received}, SR says ${sr.packetCount} sent`);
  assert.equal(sr.ssrc, m.ssrc);
  assert.ok(m.stream_bitrate_kbps > 0);
  assert.ok(m.jitter_ms.current !== null && m.jitter_ms.min! <= m.jitter_ms.mean! && m.jitter_ms.mean! <= m.jitter_ms.max!);
  // 30 periods of 200 ms; a loaded machine may skip late ticks, so only a floor well below that.
  assert.ok(m.transport.rtcpSent >= 10, `${m.transport.rtcpSent} receiver reports sent in 6 s at 200 ms`);
  assert.equal(m.transport.sendErrors, 0);
  assert.equal(m.transport.notAllowed + m.transport.unknownSource + m.transport.oversize, 0);
  assert.equal(m.network_latency_ms, null, 'no SR of ours, so no LSR-based RTT');
  assert.ok(m.last_frame_ms !== null && m.last_packet_ms !== null && m.last_frame_ms >= m.last_packet_ms, 'the last frame left after its last packet came');
});
