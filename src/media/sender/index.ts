/**
 * RTP sender for tests and the live demo: H.264 (RFC 6184), H.265 (RFC 7798) and MJPEG (RFC 2435) packetizers,
 * Annex-B and JPEG splitting of FFmpeg output, a seeded network impairment, sender reports on a
 * shared clock with a per-sender offset, and the UDP adapter.
 */
export { AccessUnitSplitter, annexBBytes, isKeyNal, isVclNal, nalType, splitAnnexB, type AccessUnit, type AnnexBCodec } from './annexb.ts';
export { H264Packetizer, type H264PacketizerOptions, type RtpPayload } from './h264.ts';
export { H265Packetizer, type H265PacketizerOptions } from './h265.ts';
export { JpegSplitter, MjpegPacketizer, parseJpeg, type MjpegPacketizerOptions, type ParsedJpeg } from './mjpeg.ts';
export { Impairment, type ImpairmentOptions, type PacketFate } from './impair.ts';
export { ManualClock, systemClock, type SharedClock } from './clock.ts';
export { RtpSenderCore, type RtpSenderCoreOptions, type SenderCodec, type SenderCounters } from './core.ts';
export { RtpSender, type RtpSenderOptions, type SenderWireStats } from './sender.ts';
export { buildSenderSdp, type SenderSdpOptions } from './sdp.ts';
