/**
 * What the manager needs to run one stream, and how a camera entry of site.yaml maps to it:
 * - `rtp://host:port` with protocol rtp_udp (default): listen for pushed RTP on
 *   `rtp_config.port` (else the URL's port) at `bind_address`; a host other than a wildcard
 *   (0.0.0.0, ::) is the only sender accepted (allow-list).
 * - `rtp://host:port` with protocol rtp_tcp, or `tcp://host:port`: RFC 4571 client to host:port.
 * - `rtsp://…`: RTSP; protocol rtsp → UDP with fallback to TCP, rtp_udp → UDP only, rtp_tcp →
 *   TCP-interleaved only; `rtp_config.port` is then the fixed client RTP port for UDP.
 * `file:` and `rtsps://` are not live sources here (STREAM_SOURCE).
 */
import { isIP } from 'node:net';
import type { CameraConfig } from '../../config/site.ts';
import type { VideoCodec } from '../sdp/media.ts';
import type { StreamSource } from '../stream/source.ts';
import { StreamManagerError } from './errors.ts';

export interface StreamDefinition {
  id: string;
  source: StreamSource;
  /** Codec of pushed RTP (RTSP takes it from SDP). */
  codec?: VideoCodec;
  payloadType?: number | null;
  ssrc?: number | null;
  /** Default true (config `network_qos.enable_rtcp`). */
  enableRtcp?: boolean;
  /** Default 1000 (config `network_qos.rtcp_interval_ms`). */
  rtcpIntervalMs?: number;
  /** Config `rtp_config.priority`, kept for load balancing. Default 'medium'. */
  priority?: 'high' | 'medium' | 'low';
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '*']);

export function definitionFromCamera(cam: CameraConfig): StreamDefinition {
  const src = cam.source;
  const rc = cam.rtp_config;
  const common = {
    id: cam.id,
    ...(rc.codec !== undefined ? { codec: rc.codec } : {}),
    ...(rc.payload_type !== undefined ? { payloadType: rc.payload_type } : {}),
    ...(rc.ssrc !== undefined ? { ssrc: rc.ssrc } : {}),
    enableRtcp: cam.network_qos.enable_rtcp,
    rtcpIntervalMs: cam.network_qos.rtcp_interval_ms,
    priority: rc.priority,
  };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(src)?.[1]?.toLowerCase();
  if (scheme === 'rtsp') {
    const transport = rc.protocol === 'rtp_udp' ? 'udp' : rc.protocol === 'rtp_tcp' ? 'tcp' : 'auto';
    // rtp_config.port on an RTSP camera: the client RTP port to ask for in SETUP (UDP).
    return { ...common, source: { kind: 'rtsp', url: src, transport, ...(rc.port !== undefined ? { clientPort: rc.port } : {}) } };
  }
  if (scheme === 'rtp' || scheme === 'tcp') {
    let url: URL;
    try {
      url = new URL(src);
    } catch {
      throw new StreamManagerError('STREAM_SOURCE', `camera ${cam.id}: invalid ${scheme}:// source`);
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const urlPort = url.port === '' ? undefined : Number(url.port);
    if (scheme === 'tcp' || rc.protocol === 'rtp_tcp') {
      if (urlPort === undefined) throw new StreamManagerError('STREAM_SOURCE', `camera ${cam.id}: ${scheme}:// source needs a port`);
      return { ...common, source: { kind: 'tcp', host, port: urlPort } };
    }
    const port = rc.port ?? urlPort;
    if (port === undefined) throw new StreamManagerError('STREAM_SOURCE', `camera ${cam.id}: rtp:// source needs a port`);
    const allowed = !WILDCARDS.has(host) && isIP(host) !== 0 ? [host] : null;
    return { ...common, source: { kind: 'udp', port, allowedSources: allowed } };
  }
  throw new StreamManagerError('STREAM_SOURCE', `camera ${cam.id}: source scheme '${scheme ?? '?'}:' is not a live source (rtsp://, rtp://, tcp://)`);
}
