/**
 * Media protocol cores: RTP/RTCP/SDP/RTSP parsing, depacketizers, jitter buffer, key-frame gate
 * and RFC 3550 statistics. Pure and synchronous; transports live elsewhere.
 */
export { checkRange, fail, MediaError, ok, type MediaErrorCode, type ParseError, type ParseErrorCode, type ParseResult } from './errors.ts';
export * from './rtp/index.ts';
export * from './rtcp/index.ts';
export * from './sdp/index.ts';
export * from './rtsp/index.ts';
export * from './h264/index.ts';
export * from './h265/index.ts';
export * from './mjpeg/index.ts';
export * from './jitter/index.ts';
export * from './stats/index.ts';
export { concatBytes, FrameAssembler, type Depacketizer, type DepacketizerOptions, type DepacketizerPacket, type FrameCodec, type MediaFrame } from './frame.ts';
export { AnnexBBuilder, type NalTypes } from './annexb.ts';
export {
  createDepacketizer, receiverOptionsFromTrack, RtpReceiverCore,
  type LastSenderReport, type ReceiverCounters, type ReceiverPoll, type RtpPushOutcome, type RtpReceiverOptions,
} from './receiver.ts';
export * from './health/index.ts';
export * from './sync/index.ts';
export * from './transport/index.ts';
export * from './stream/index.ts';
export * from './manager/index.ts';
