/** Faults of the stream registry, with stable codes (for the API's HTTP mapping). */

export type StreamManagerErrorCode =
  | 'STREAM_LIMIT' // max_concurrent_streams reached
  | 'STREAM_EXISTS' // add() with an id already registered
  | 'STREAM_UNKNOWN' // no stream with that id
  | 'STREAM_SOURCE' // the camera's source cannot be received live (file:, rtsps://, invalid)
  | 'MANAGER_CLOSED'; // call after close()

export class StreamManagerError extends Error {
  readonly code: StreamManagerErrorCode;
  constructor(code: StreamManagerErrorCode, message: string) {
    super(message);
    this.name = 'StreamManagerError';
    this.code = code;
  }
}
