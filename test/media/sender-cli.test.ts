/**
 * `dvs stream` end to end over loopback: three simulated cameras (H.264, MJPEG, H.265) are rendered,
 * encoded and sent live to consecutive port pairs; the datagrams are depacketized by the project's
 * receivers, decoded by ffprobe and by StreamDecoder; the SDP files parse; the sender reports of
 * a camera given a 400 ms clock offset map its frames 400 ms after the other camera's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import {
  createH264Depacketizer, createH265Depacketizer, createMjpegDepacketizer, findVideoTrack, parseRtcp, parseRtp, parseSdp, unixMsFromNtp,
  type Depacketizer, type MediaFrame, type SenderReport,
} from '../../src/media/index.ts';
import { StreamDecoder } from '../../src/media/decode/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { probe, sleep } from './peer.ts';

const SCENARIO = `name: stream-test
seed: 5
duration_s: 2
site:
  origin: {lat: 47, lon: 8, alt_m: 400}
  volume: {min: [-100, 0, 0], max: [100, 300, 100], voxel_m: 4}
sky: {brightness: 170, gradient: 10, clouds: 0}
cameras:
  - id: cam01
    resolution: [160, 120]
    fps: 15
    pose: {enu: [0, 0, 5], yaw: 0, pitch: 10, roll: 0}
    intrinsics: {fx: 200, fy: 200, cx: 80, cy: 60}
    codec: h264
    bitrate_kbps: 500
  - id: cam02
    resolution: [160, 120]
    fps: 15
    pose: {enu: [20, 0, 5], yaw: -5, pitch: 10}
    intrinsics: {fx: 200, fy: 200, cx: 80, cy: 60}
    codec: mjpeg
    bitrate_kbps: 2000
  - id: cam03
    resolution: [160, 120]
    fps: 15
    pose: {enu: [-20, 0, 5], yaw: 5, pitch: 10}
    intrinsics: {fx: 200, fy: 200, cx: 80, cy: 60}
    codec: h265
    bitrate_kbps: 500
targets:
  - id: drone1
    class: drone
    size_m: 0.5
    intensity: -60
    path: [[0, 0, 100, 30], [2, 4, 104, 34]]
`;

interface Port { sock: Socket; got: Uint8Array[] }

/** Binds `n` consecutive UDP ports on 127.0.0.1 and records what arrives. */
async function bindBlock(n: number): Promise<{ base: number; ports: Port[] }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 10000);
    const ports: Port[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const sock = createSocket('udp4');
        const p: Port = { sock, got: [] };
        ports.push(p);
        await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(base + i, '127.0.0.1', () => resolve()); });
        sock.setRecvBufferSize(4 << 20);
        sock.on('message', (m) => p.got.push(new Uint8Array(m)));
      }
      return { base, ports };
    } catch {
      for (const p of ports) p.sock.close();
    }
  }
  throw new Error('no free block of UDP ports');
}

function depacketize(d: Depacketizer, datagrams: Uint8Array[]): MediaFrame[] {
  const pkts = datagrams.map((x) => { const r = parseRtp(x); assert.ok(r.ok); return r.value; });
  // No impairment here; loopback keeps order, but sort by sequence to be independent of it.
  const first = pkts[0]!.sequenceNumber;
  pkts.sort((a, b) => ((a.sequenceNumber - first + 65536) & 0xffff) - ((b.sequenceNumber - first + 65536) & 0xffff));
  const out: MediaFrame[] = [];
  for (const p of pkts) out.push(...d.push(p));
  out.push(...d.flush());
  return out;
}

test('dvs stream: three cameras live over RTP/UDP, decodable, SDP files, sender reports 400 ms apart', async (t) => {
  const dir = tmpDir(t);
  const scen = join(dir, 's.yaml');
  writeFileSync(scen, SCENARIO);
  const { base, ports } = await bindBlock(6);
  t.after(() => { for (const p of ports) p.sock.close(); });
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['stream', '--scenario', scen, '--to', `127.0.0.1:${base}`, '--seconds', '2', '--sdp', dir, '--clock-offset-ms', 'cam02=400'],
    { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); } });
  await sleep(200);
  assert.equal(code, 0, err.join(''));
  const text = out.join('');
  assert.match(text, /cam01: 30 frames/);
  assert.match(text, /cam02: 30 frames/);
  assert.match(text, /cam03: 30 frames/);
  assert.match(text, /\d+\.\d s {2}cam01 .* fps .* Mb\/s/, 'per-second lines');

  // SDP files describe what was sent.
  for (const [id, codec, port] of [['cam01', 'h264', base], ['cam02', 'mjpeg', base + 2], ['cam03', 'h265', base + 4]] as const) {
    const sdp = parseSdp(readFileSync(join(dir, `${id}.sdp`), 'utf8'));
    assert.ok(sdp.ok);
    const track = findVideoTrack(sdp.value);
    assert.equal(track?.codec, codec);
    assert.equal(track?.media.port, port);
  }

  const h264 = depacketize(createH264Depacketizer(), ports[0]!.got);
  const mjpeg = depacketize(createMjpegDepacketizer(), ports[2]!.got);
  const h265 = depacketize(createH265Depacketizer(), ports[4]!.got);
  for (const [frames, name, fmt] of [[h264, 'h264', 'h264'], [mjpeg, 'mjpeg', 'mjpeg'], [h265, 'h265', 'hevc']] as const) {
    assert.equal(frames.length, 30, name);
    assert.ok(frames.every((f) => f.complete), name);
    const file = join(dir, `rx.${name}`);
    writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
    const p = await probe(file, fmt);
    assert.deepEqual(p, { frames: 30, width: 160, height: 120 }, name);
  }
  // RTP timestamps follow the 15 fps capture times: 6000 ticks apart.
  for (let k = 1; k < 30; k++) assert.equal((h264[k]!.timestamp - h264[k - 1]!.timestamp) >>> 0, 6000);

  // The receiving half of the project: StreamDecoder turns the received frames into pictures.
  const dec = new StreamDecoder({ codec: 'h264', enableFrameSkipping: false });
  t.after(() => dec.close());
  for (const f of h264) dec.push(f);
  await dec.flush();
  let n = 0;
  for (let f = dec.read(); f; f = dec.read()) { assert.equal(f.rtpTimestamp, h264[f.inputIndex]!.timestamp); n++; dec.release(f); }
  assert.equal(n, 30);

  // Sender reports: frame k of each camera has the same capture instant (same fps, true clocks
  // zero), so mapping both through their SRs must give cam02 = cam01 + 400 ms.
  const srOf = (p: Port) => p.got.flatMap((d) => { const r = parseRtcp(d); return r.ok ? r.value : []; }).filter((x): x is SenderReport => x.type === 'sr');
  const sr1 = srOf(ports[1]!), sr2 = srOf(ports[3]!);
  assert.ok(sr1.length >= 2 && sr2.length >= 2, `${sr1.length}, ${sr2.length} SRs`);
  const ntpOf = (sr: SenderReport, rtp: number) => unixMsFromNtp(sr.ntpSec, sr.ntpFrac) + ((rtp - sr.rtpTimestamp) | 0) / 90;
  for (let k = 0; k < 30; k += 7) {
    const d = ntpOf(sr2.at(-1)!, mjpeg[k]!.timestamp) - ntpOf(sr1.at(-1)!, h264[k]!.timestamp);
    assert.ok(Math.abs(d - 400) < 1, `frame ${k}: cam02 − cam01 = ${d.toFixed(3)} ms`);
  }
});

test('dvs stream: usage mistakes exit 2', async () => {
  const err: string[] = [];
  const io = { stdout: () => {}, stderr: (s: string) => { err.push(s); } };
  assert.equal(await main(['stream'], io), 2);
  assert.equal(await main(['stream', '--scenario', 'x.yaml', '--to', 'nonsense'], io), 2);
  assert.equal(await main(['stream', '--scenario', 'x.yaml', '--loss', '150'], io), 2);
  assert.equal(await main(['stream', '--scenario', 'x.yaml', '--clock-offset-ms', 'cam01'], io), 2);
  assert.match(err.join(''), /--scenario is required/);
});
