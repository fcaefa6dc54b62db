/**
 * Results and faults of the media protocol cores.
 *
 * Malformed input from the network is an expected outcome, so every parser returns a
 * `ParseResult` (a value or a `ParseError` with a stable code) and never throws on bytes it is
 * given. `MediaError` is reserved for programmer misuse (invalid options at construction).
 */

export type ParseErrorCode =
  | 'TRUNCATED' // fewer bytes than a header or length field requires
  | 'BAD_VERSION' // RTP/RTCP version field is not 2
  | 'BAD_LENGTH' // a length field points outside the buffer or is inconsistent
  | 'BAD_PADDING' // padding count of zero or larger than the payload
  | 'BAD_SYNTAX' // text protocol line that does not follow the grammar
  | 'TOO_LARGE' // input exceeds a configured bound (header block, body, line count)
  | 'UNSUPPORTED'; // well-formed but outside what this core handles

export interface ParseError {
  readonly code: ParseErrorCode;
  readonly message: string;
}

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ParseError };

export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: ParseErrorCode, message: string): ParseResult<T> {
  return { ok: false, error: { code, message } };
}

export type MediaErrorCode =
  | 'MEDIA_OPTIONS' // invalid options object (caught at construction)
  | 'MEDIA_ARGUMENT' // a value out of its documented domain passed to a builder
  | 'MEDIA_STATE'; // call after close()

export class MediaError extends Error {
  readonly code: MediaErrorCode;
  constructor(code: MediaErrorCode, message: string) {
    super(message);
    this.name = 'MediaError';
    this.code = code;
  }
}

/** Throws MEDIA_OPTIONS unless `v` is a finite number within [min, max] (integer when asked). */
export function checkRange(name: string, v: number, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new MediaError('MEDIA_OPTIONS', `${name} must be ${integer ? 'an integer ' : ''}in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}
