/**
 * Per-stream decoding: coded frames from the depacketizers → FFmpeg child process → grey frames
 * in a pre-allocated pool and a bounded ring, paired with their RTP timestamps.
 */
export { StreamDecoder, type DecoderInput, type DecoderPushOutcome, type DecoderState, type DecoderStats, type StreamDecoderOptions } from './decoder.ts';
export { FrameRing, type DecodedFrame, type FrameMeta, type FrameRingCounters, type FrameRingOptions } from './ring.ts';
export { isDisposable, jpegSize, pictureSize, type DecoderCodec, type PictureSize } from './inspect.ts';
export { DecoderBank, type BankFrame, type BankStreamStats, type DecoderBankOptions } from './bank.ts';
