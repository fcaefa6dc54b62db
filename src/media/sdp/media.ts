/** Helpers over a parsed SDP: codec detection and RTSP control URLs. */
import type { SdpMedia, SessionDescription } from './types.ts';

export type VideoCodec = 'h264' | 'h265' | 'mjpeg';

/**
 * Codec of payload type `pt` in a media section: from `a=rtpmap` (H264, H265/HEVC, JPEG), or
 * the static assignment of RFC 3551 (26 = JPEG) when no rtpmap names it. Null if unknown.
 */
export function codecOf(media: SdpMedia, pt: number): VideoCodec | null {
  const map = media.rtpmap.get(pt);
  if (map) {
    const e = map.encoding.toUpperCase();
    if (e === 'H264') return 'h264';
    if (e === 'H265' || e === 'HEVC') return 'h265';
    if (e === 'JPEG') return 'mjpeg';
    return null;
  }
  return pt === 26 ? 'mjpeg' : null;
}

export interface VideoTrack {
  media: SdpMedia;
  payloadType: number;
  codec: VideoCodec;
  clockRate: number;
  fmtp: Map<string, string>;
}

/** The first video section with a payload type whose codec is known, or null. */
export function findVideoTrack(sdp: SessionDescription): VideoTrack | null {
  for (const media of sdp.media) {
    if (media.type !== 'video') continue;
    for (const pt of media.payloadTypes) {
      const codec = codecOf(media, pt);
      if (codec) return { media, payloadType: pt, codec, clockRate: media.rtpmap.get(pt)?.clockRate ?? 90000, fmtp: media.fmtp.get(pt) ?? new Map() };
    }
  }
  return null;
}

/**
 * Request URL for a media section (RFC 2326 §C.1.1): an absolute `a=control` is used as is,
 * `*` or a missing control means the aggregate base, anything else is appended to the base
 * (Content-Base, else Content-Location, else the DESCRIBE URL). Appending with a '/' rather than
 * strict RFC 3986 resolution: many cameras send a base without the trailing slash.
 */
export function resolveControlUrl(base: string, control: string | null): string {
  if (control === null || control === '' || control === '*') return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  return (base.endsWith('/') ? base : `${base}/`) + control.replace(/^\/+/, '');
}
