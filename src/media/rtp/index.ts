export { isRtcpPacket, parseRtp, readU32, serializeRtp, writeU32, type RtpHeaderExtension, type RtpPacket, type RtpPacketInit } from './packet.ts';
export { SequenceUnwrapper, seqDiff, seqNewer } from './sequence.ts';
