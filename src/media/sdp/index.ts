export * from './types.ts';
export { parseFmtpParams, parseSdp, SDP_MAX_BYTES, SDP_MAX_FORMATS, SDP_MAX_LINES, SDP_MAX_MEDIA } from './parse.ts';
export { codecOf, findVideoTrack, resolveControlUrl, type VideoCodec, type VideoTrack } from './media.ts';
