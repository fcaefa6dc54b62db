/**
 * A terminal progress bar for long jobs. On a TTY it redraws one line (≤10 times a second);
 * elsewhere (CI logs, pipes) it prints a plain line at every 10 %.
 */
export class Progress {
  private done = 0;
  private lastDraw = 0;
  private lastDecile = -1;
  private readonly start = performance.now();
  private readonly tty: boolean;
  private finished = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = 'frames',
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  /** Advance by `n` units. */
  tick(n = 1): void {
    this.done += n;
    if (this.quiet) return;
    const now = performance.now();
    if (this.tty) {
      if (now - this.lastDraw >= 100 || this.done >= this.total) { this.lastDraw = now; this.draw(now); }
    } else if (this.total > 0) {
      const decile = Math.floor((10 * this.done) / this.total);
      if (decile !== this.lastDecile) { this.lastDecile = decile; this.out.write(`${this.line(now)}\n`); }
    } else if (now - this.lastDraw >= 10_000) {
      // Unknown total: a line every 10 s.
      this.lastDraw = now;
      this.out.write(`${this.line(now)}\n`);
    }
  }

  /** Final line with the elapsed time and rate. Safe to call twice. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.quiet) return;
    const now = performance.now();
    if (this.tty) this.out.write(`\r${this.line(now)}\x1b[K\n`);
    else if (this.total <= 0 || this.lastDecile < 10) this.out.write(`${this.line(now)}\n`);
  }

  /** Units per second so far. */
  rate(now = performance.now()): number {
    return this.done / Math.max(1e-9, (now - this.start) / 1000);
  }

  private draw(now: number): void {
    this.out.write(`\r${this.line(now)}\x1b[K`);
  }

  private line(now: number): string {
    if (this.total <= 0) return `${this.label} ${this.done} ${this.unit} ${this.rate(now).toFixed(1)}/s`;
    const frac = Math.min(1, this.done / this.total);
    const width = 28;
    const full = Math.round(frac * width);
    const bar = '█'.repeat(full) + '░'.repeat(width - full);
    const rate = this.rate(now);
    const eta = rate > 0 ? (this.total - this.done) / rate : 0;
    return `${this.label} ${bar} ${(100 * frac).toFixed(0).padStart(3)}% ${this.done}/${this.total} ${this.unit} ${rate.toFixed(1)}/s ETA ${formatSeconds(eta)}`;
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
}
