/** Faults of the preprocess stage: programmer misuse, never expected outcomes. */
export type PreprocessErrorCode =
  | 'PREPROCESS_OPTIONS' // invalid MotionOptions (caught at construction)
  | 'PREPROCESS_FRAME' // a frame or output buffer of the wrong size
  | 'PREPROCESS_STATE' // process() after close()
  | 'PREPROCESS_WASM'; // kernel: 'wasm' asked for but build/motion.wasm missing or unusable

export class PreprocessError extends Error {
  readonly code: PreprocessErrorCode;
  constructor(code: PreprocessErrorCode, message: string) {
    super(message);
    this.name = 'PreprocessError';
    this.code = code;
  }
}
