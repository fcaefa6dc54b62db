export { isRtcpPacket, parseRtp, readU32, rtpPayloadBounds, serializeRtp, writeU32, type RtpHeaderExtension, type RtpPacket, type RtpPacketInit } from './packet.ts';
export { SequenceUnwrapper, seqDiff, seqNewer } from './sequence.ts';
export { frameRfc4571, Rfc4571Deframer } from './framing.ts';
