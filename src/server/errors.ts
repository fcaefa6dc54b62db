/** Faults of the media server and its API, with stable codes, mapped once to HTTP status. */
import { StreamManagerError } from '../media/manager/errors.ts';

export type MediaServerErrorCode =
  | 'SERVER_OPTIONS' // invalid option or request value (lanes, strategy, rename)
  | 'SERVER_STATE' // start() twice
  | 'SERVER_CLOSED' // call after close()
  | 'WEBHOOK_SECRET' // webhook_url set without a signing secret
  | 'INVALID_CONFIG'; // a configure body that does not validate

export class MediaServerError extends Error {
  readonly code: MediaServerErrorCode;
  /** For INVALID_CONFIG: every offending field ("rtp_config.fps") with its reason. */
  readonly issues: Array<{ field: string; message: string }>;
  constructor(code: MediaServerErrorCode, message: string, issues: Array<{ field: string; message: string }> = []) {
    super(message);
    this.name = 'MediaServerError';
    this.code = code;
    this.issues = issues;
  }
}

const STATUS: Record<string, number> = {
  STREAM_UNKNOWN: 404, STREAM_LIMIT: 409, STREAM_EXISTS: 409, STREAM_SOURCE: 400, MANAGER_CLOSED: 503,
  SERVER_OPTIONS: 400, SERVER_STATE: 409, SERVER_CLOSED: 503, WEBHOOK_SECRET: 500, INVALID_CONFIG: 400,
};

/** HTTP status of a known fault, or null for anything else. */
export function httpStatusOf(err: unknown): number | null {
  if (err instanceof MediaServerError || err instanceof StreamManagerError) return STATUS[err.code] ?? 500;
  return null;
}
