export { createH265Depacketizer, H265_TYPES, type H265DepacketizerOptions } from './depacketizer.ts';
export { h265ParametersFromFmtp, type H265Parameters } from './parameters.ts';
export { parseH265Sps, type H265SpsInfo } from './sps.ts';
