export { probeVideo, probeDuration, decodeGrayFrames, decodeAllGray, greyOutputArgs, type ProbeInfo } from './ffmpeg-file.ts';
export { FramePool, frameTimes, type FrameSource, type GreyFrame } from './frame-source.ts';
export { FileFrameSource, type FileSourceOptions } from './file-source.ts';
export { DirectFrameReader, type DirectReaderOptions } from './direct-reader.ts';
