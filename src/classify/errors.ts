/** Faults of the classify stage: programmer misuse, never expected outcomes. */
export type ClassifyErrorCode =
  | 'CLASSIFY_OPTIONS' // invalid options (caught at construction)
  | 'CLASSIFY_INPUT' // series of mismatched lengths, non-finite or decreasing times
  | 'CLASSIFY_STATE'; // use after close()

export class ClassifyError extends Error {
  readonly code: ClassifyErrorCode;
  constructor(code: ClassifyErrorCode, message: string) {
    super(message);
    this.name = 'ClassifyError';
    this.code = code;
  }
}
