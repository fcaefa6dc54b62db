/**
 * SDP for one stream a sender pushes (RFC 4566, RFC 6184 §8.2.1, RFC 7798 §7.1, RFC 3551 for MJPEG's static
 * payload type 26), for receivers such as `ffmpeg -i stream.sdp` or the project's own.
 */
export interface SenderSdpOptions {
  codec: 'h264' | 'h265' | 'mjpeg';
  /** Where the receiver listens. */
  address: string;
  rtpPort: number;
  /** Default rtpPort + 1 (written as a=rtcp only when different). */
  rtcpPort?: number;
  payloadType: number;
  /** Session name. Default "dvs stream". */
  name?: string;
  /** H.264 sprop-parameter-sets (base64 SPS, PPS). Optional: parameter sets are also sent in band. */
  spropParameterSets?: string;
  /** Advertised frame rate (a=framerate). */
  fps?: number;
}

export function buildSenderSdp(o: SenderSdpOptions): string {
  const lines = [
    'v=0',
    `o=- 0 0 IN IP4 ${o.address}`,
    `s=${o.name ?? 'dvs stream'}`,
    `c=IN IP4 ${o.address}`,
    't=0 0',
    `m=video ${o.rtpPort} RTP/AVP ${o.payloadType}`,
  ];
  if (o.rtcpPort !== undefined && o.rtcpPort !== o.rtpPort + 1) lines.push(`a=rtcp:${o.rtcpPort}`);
  if (o.codec === 'h264') {
    lines.push(`a=rtpmap:${o.payloadType} H264/90000`);
    lines.push(`a=fmtp:${o.payloadType} packetization-mode=1${o.spropParameterSets ? `;sprop-parameter-sets=${o.spropParameterSets}` : ''}`);
  } else if (o.codec === 'h265') {
    lines.push(`a=rtpmap:${o.payloadType} H265/90000`);
  } else if (o.payloadType !== 26) lines.push(`a=rtpmap:${o.payloadType} JPEG/90000`);
  if (o.fps !== undefined) lines.push(`a=framerate:${o.fps}`);
  return `${lines.join('\r\n')}\r\n`;
}
