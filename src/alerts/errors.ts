/** Faults of the alerts stage: programmer misuse, never expected outcomes. */
export type AlertErrorCode =
  | 'ALERT_OPTIONS' // invalid engine options or zone definitions (caught at construction)
  | 'ALERT_INPUT' // a track update with non-finite time or position, or an unknown status
  | 'ALERT_STATE'; // use after close()

export class AlertError extends Error {
  readonly code: AlertErrorCode;
  constructor(code: AlertErrorCode, message: string) {
    super(message);
    this.name = 'AlertError';
    this.code = code;
  }
}
