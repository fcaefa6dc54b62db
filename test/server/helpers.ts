/** Shared helpers of the server tests: free ports, FFmpeg senders, site.yaml text, waiting, a WebSocket client. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until(cond: () => boolean | Promise<boolean>, ms: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(stepMs);
  }
  return cond();
}

export { freeUdpPair } from '../media/peer.ts';

/** A TCP port with nothing listening (bound then released). */
export async function closedTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface SenderOptions {
  size?: string;
  rate?: number;
  seconds: number;
  pktSize?: number;
  gop?: number;
}

/** FFmpeg H.264 over RTP (+ RTCP SRs on port + 1) to 127.0.0.1:port, in real time. */
export function ffmpegSender(port: number, o: SenderOptions): ChildProcess {
  const rate = o.rate ?? 15;
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${o.size ?? '160x120'}:rate=${rate}`,
    '-t', String(o.seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(o.gop ?? rate), '-pix_fmt', 'yuv420p',
    '-f', 'rtp', `rtp://127.0.0.1:${port}?rtcpport=${port + 1}&pkt_size=${o.pktSize ?? 1200}`], { stdio: 'ignore' });
}

export async function killAll(procs: Iterable<ChildProcess>): Promise<void> {
  await Promise.all([...procs].map((p) => new Promise<void>((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGKILL');
  })));
}

/** site.yaml text: the given media_server/monitoring lines and camera entries. */
export function siteYaml(o: { cameras: string[]; media?: string[]; monitoring?: string[] }): string {
  return [
    'site:', '  origin: {lat: 47.0, lon: 8.0, alt_m: 400}', '  volume: {min: [-500, -200, 0], max: [1500, 1800, 400], voxel_m: 4}',
    'api: {bind_address: 127.0.0.1, port: 8080}',
    'media_server:', '  network: {bind_address: 127.0.0.1, rtp_port_range: [1024, 65535]}', ...(o.media ?? []).map((l) => `  ${l}`),
    ...(o.monitoring ? ['monitoring:', ...o.monitoring.map((l) => `  ${l}`)] : []),
    'cameras:', ...o.cameras.map((l) => `  ${l}`),
  ].join('\n') + '\n';
}

/** Minimal surface of the `ws` client (the package ships without types here). */
export interface WsClient {
  on(event: 'message', fn: (data: Buffer) => void): void;
  on(event: 'open' | 'close', fn: () => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  close(): void;
  terminate(): void;
}

/** A real WebSocket client (the `ws` package that @fastify/websocket uses). */
export async function openWs(url: string): Promise<{ ws: WsClient; messages: Array<Record<string, unknown>> }> {
  const WebSocket = createRequire(import.meta.url)('ws') as new (u: string) => WsClient;
  const ws = new WebSocket(url);
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('error', reject);
  });
  return { ws, messages };
}
