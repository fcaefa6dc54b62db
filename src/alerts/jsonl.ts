/** alerts.jsonl: one alert per line, keys in a fixed order (CONTRACTS §6 style, beside tracks.jsonl). */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Alert } from './engine.ts';

/** One alerts.jsonl line (without the newline). Keys always in the same order. */
export function formatAlert(a: Alert): string {
  const o: Record<string, unknown> = {
    alert_id: a.alert_id, kind: a.kind, track_id: a.track_id, zone: a.zone, t: a.t,
    enu: a.enu, class: a.class, confidence: a.confidence,
  };
  if (a.t_cross !== undefined) o.t_cross = a.t_cross;
  if (a.reason !== undefined) o.reason = a.reason;
  return JSON.stringify(o);
}

/** Appends alerts to a file as JSON lines. close() flushes; safe to call twice. */
export class AlertJsonlWriter {
  private readonly stream: WriteStream;
  private closing: Promise<void> | undefined;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'w' });
  }

  write(alerts: readonly Alert[]): void {
    if (this.closing) return;
    for (const a of alerts) this.stream.write(formatAlert(a) + '\n');
  }

  close(): Promise<void> {
    this.closing ??= new Promise((resolve, reject) => {
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
    return this.closing;
  }
}
