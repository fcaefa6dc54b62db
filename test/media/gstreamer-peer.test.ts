/**
 * Real peer: GStreamer payloaders with non-default settings (400-byte MTU, SPS/PPS aggregated
 * with zero-latency aggregation, parameter sets repeated) send to a loopback socket. The
 * elementary streams come from FFmpeg files; ffprobe/ffmpeg judge what the cores rebuilt.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRtp, RtpReceiverCore, type MediaFrame, type RtpReceiverOptions } from '../../src/media/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { captureUdp, frameMd5, have, probe, run, type UdpCapture } from './peer.ts';

const FRAMES = 30;

// Decided when the file loads (setup.sh may install the packages), so that the suite below is
// skipped as a whole, with the reason printed here and given to the runner.
if (!have('gst-launch-1.0')) spawnSync('bash', ['scripts/setup.sh'], { stdio: 'inherit' });
const skipReason: string | false = have('gst-launch-1.0') ? false : 'gst-launch-1.0 is missing and scripts/setup.sh could not install GStreamer';
if (skipReason) console.log(`# skipping GStreamer peer tests: ${skipReason}`);

async function encode(dir: string, name: string, args: string[]): Promise<string> {
  const file = join(dir, name);
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-frames:v', String(FRAMES), ...args, '-y', file]);
  return file;
}

async function gstSend(pipeline: string): Promise<UdpCapture> {
  const cap = await captureUdp();
  await run('gst-launch-1.0', ['-q', ...`${pipeline} ! udpsink host=127.0.0.1 port=${cap.rtpPort} sync=true`.split(/\s+/)]);
  await new Promise((r) => setTimeout(r, 100));
  await cap.close();
  return cap;
}

function receive(cap: UdpCapture, opts: RtpReceiverOptions): MediaFrame[] {
  const rx = new RtpReceiverCore(opts);
  const frames: MediaFrame[] = [];
  let last = 0;
  for (const d of cap.rtp) {
    assert.equal(rx.pushRtp(d.data, d.arrivalMs), 'accepted');
    frames.push(...rx.poll(d.arrivalMs).frames);
    last = d.arrivalMs;
  }
  frames.push(...rx.poll(last + 1000).frames);
  assert.equal(rx.statistics().cumulativeLost, 0);
  return frames;
}

const payloadTypes = (cap: UdpCapture, typeOf: (p: Uint8Array) => number) =>
  new Set(cap.rtp.map((d) => {
    const p = parseRtp(d.data);
    return p.ok ? typeOf(p.value.payload) : -1;
  }));

// Independent senders: run concurrently (each spends ~2 s sending in real time).
describe('GStreamer payloaders as RTP senders', { concurrency: true, skip: skipReason }, () => {
  test('GStreamer rtph264pay mtu=400 aggregate-mode=zero-latency config-interval=1: STAP-A + FU-A, 30 frames decoded', async (t) => {
    const dir = tmpDir(t);
    const src = await encode(dir, 'in.mkv', ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-pix_fmt', 'yuv420p']);
    const cap = await gstSend(`filesrc location=${src} ! matroskademux ! h264parse ! rtph264pay mtu=400 aggregate-mode=zero-latency config-interval=1 pt=96`);
    assert.ok(cap.rtp.every((d) => d.data.length <= 400), 'MTU respected');
    const types = payloadTypes(cap, (p) => p[0]! & 0x1f);
    assert.ok(types.has(24), 'STAP-A used');
    assert.ok(types.has(28), 'FU-A used');
    const frames = receive(cap, { codec: 'h264', payloadType: 96 });
    assert.equal(frames.length, FRAMES);
    const file = join(dir, 'out.h264');
    writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
    assert.deepEqual(await probe(file, 'h264'), { frames: FRAMES, width: 320, height: 240 });
    // Same pictures as FFmpeg decodes from the source file.
    assert.deepEqual(await frameMd5(file, 'h264'), await frameMd5(src));
  });

  test('GStreamer rtph265pay mtu=400 aggregate-mode=zero-latency config-interval=-1: AP + FU, 30 frames decoded', async (t) => {
    const dir = tmpDir(t);
    const src = await encode(dir, 'in.mkv', ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=15:log-level=error', '-pix_fmt', 'yuv420p']);
    const cap = await gstSend(`filesrc location=${src} ! matroskademux ! h265parse ! rtph265pay mtu=400 aggregate-mode=zero-latency config-interval=-1 pt=97`);
    const types = payloadTypes(cap, (p) => (p[0]! >> 1) & 0x3f);
    assert.ok(types.has(48), 'aggregation packets used');
    assert.ok(types.has(49), 'fragmentation units used');
    const frames = receive(cap, { codec: 'h265', payloadType: 97 });
    assert.equal(frames.length, FRAMES);
    const file = join(dir, 'out.h265');
    writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
    assert.deepEqual(await probe(file, 'hevc'), { frames: FRAMES, width: 320, height: 240 });
    assert.deepEqual(await frameMd5(file, 'hevc'), await frameMd5(src));
  });

  test('GStreamer rtpjpegpay mtu=300 with 4:2:2 JPEGs from libjpeg: every rebuilt frame decodes to the source pixels', async (t) => {
    const dir = tmpDir(t);
    const ref = join(dir, 'ref%02d.jpg');
    const cap = await gstSend(
      `videotestsrc num-buffers=${FRAMES} pattern=ball ! video/x-raw,width=320,height=240,format=Y42B,framerate=15/1 ! jpegenc quality=70 ` +
      `! tee name=t ! queue ! multifilesink location=${ref} t. ! queue ! rtpjpegpay mtu=300 pt=26`,
    );
    assert.ok(cap.rtp.every((d) => d.data.length <= 300), 'MTU respected');
    assert.ok(cap.rtp.every((d) => d.data[12 + 4] === 0), 'RFC 2435 type 0 (4:2:2)');
    const frames = receive(cap, { codec: 'mjpeg', payloadType: 26 });
    assert.equal(frames.length, FRAMES);
    const ours = join(dir, 'out.mjpeg');
    writeFileSync(ours, Buffer.concat(frames.map((f) => f.data)));
    assert.deepEqual(await probe(ours, 'mjpeg'), { frames: FRAMES, width: 320, height: 240 });
    const refAll = join(dir, 'ref.mjpeg');
    writeFileSync(refAll, Buffer.concat(Array.from({ length: FRAMES }, (_, i) => readFileSync(join(dir, `ref${String(i).padStart(2, '0')}.jpg`)))));
    assert.deepEqual(await frameMd5(ours, 'mjpeg'), await frameMd5(refAll, 'mjpeg'));
  });
});
