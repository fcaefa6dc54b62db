export { createH264Depacketizer, H264_TYPES, type H264DepacketizerOptions } from './depacketizer.ts';
export { decodeSpropList, h264ParametersFromFmtp, type H264Parameters } from './parameters.ts';
export { parseH264Sps, unescapeRbsp, type H264SpsInfo } from './sps.ts';
