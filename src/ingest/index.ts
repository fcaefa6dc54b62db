export { probeVideo, decodeGrayFrames, decodeAllGray, type ProbeInfo } from './ffmpeg-file.ts';
