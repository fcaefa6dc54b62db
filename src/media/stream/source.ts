/** Where a live stream's RTP comes from, and how to open a transport for it. */
import type { Clock } from '../transport/clock.ts';
import type { PortAllocator } from '../transport/ports.ts';
import { splitUrl } from '../rtsp/client.ts';
import { RtspTransport } from '../transport/rtsp.ts';
import { TcpRtpTransport } from '../transport/tcp.ts';
import type { RtpTransport, TransportHandlers } from '../transport/types.ts';
import { UdpRtpTransport } from '../transport/udp.ts';

export type StreamSource =
  /** Pushed RTP: listen on `port` (RTCP on port + 1 unless `rtcpMux`). */
  | { kind: 'udp'; port: number; bindAddress?: string; rtcpMux?: boolean; allowedSources?: readonly string[] | null }
  /** RTP over TCP (RFC 4571), connecting to the sender. */
  | { kind: 'tcp'; host: string; port: number }
  /** RTSP camera; the URL may carry credentials (never reported). */
  | { kind: 'rtsp'; url: string; transport?: 'auto' | 'udp' | 'tcp'; username?: string; password?: string; udpFallbackMs?: number; clientPort?: number };

export interface OpenOptions {
  maxPacketSize: number;
  connectTimeoutMs: number;
  nagle: boolean;
  bindAddress: string;
  ports?: PortAllocator | undefined;
  clock: Clock;
}

export function openTransport(src: StreamSource, o: OpenOptions, handlers: TransportHandlers): Promise<RtpTransport> {
  switch (src.kind) {
    case 'udp':
      return UdpRtpTransport.open({
        port: src.port, bindAddress: src.bindAddress ?? o.bindAddress, rtcpMux: src.rtcpMux ?? false,
        allowedSources: src.allowedSources ?? null, maxPacketSize: o.maxPacketSize, clock: o.clock,
      }, handlers);
    case 'tcp':
      return TcpRtpTransport.open({
        host: src.host, port: src.port, maxPacketSize: o.maxPacketSize, connectTimeoutMs: o.connectTimeoutMs, nagle: o.nagle, clock: o.clock,
      }, handlers);
    case 'rtsp':
      return RtspTransport.open({
        url: src.url, transport: src.transport ?? 'auto', maxPacketSize: o.maxPacketSize, requestTimeoutMs: o.connectTimeoutMs,
        nagle: o.nagle, bindAddress: o.bindAddress, clock: o.clock,
        ...(o.ports ? { ports: o.ports } : {}),
        ...(src.username !== undefined ? { username: src.username } : {}),
        ...(src.password !== undefined ? { password: src.password } : {}),
        ...(src.udpFallbackMs !== undefined ? { udpFallbackMs: src.udpFallbackMs } : {}),
        ...(src.clientPort !== undefined ? { clientPort: src.clientPort } : {}),
      }, handlers);
  }
}

/** The source as text for logs and snapshots: credentials and query secrets removed. */
export function describeSource(src: StreamSource): string {
  switch (src.kind) {
    case 'udp':
      return `rtp://${src.bindAddress ?? '*'}:${src.port}${src.rtcpMux ? ' (rtcp-mux)' : ''}`;
    case 'tcp':
      return `tcp://${src.host}:${src.port}`;
    case 'rtsp': {
      const u = splitUrl(src.url);
      return u ? u.url.replace(/([?&;](?:user(?:name)?|pass(?:word|wd)?|pwd|token|key|secret|auth|signature)=)[^&;#]*/gi, '$1***') : 'rtsp://(invalid url)';
    }
  }
}
