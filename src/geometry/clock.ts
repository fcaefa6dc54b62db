/**
 * Camera clocks (CONTRACTS §2): camera_time = a·site_time + b with b = offset_ms/1000 and
 * a = 1 + drift_ppm·1e-6.
 */

export interface ClockParams {
  offset_ms: number;
  drift_ppm: number;
}

export class CameraClock {
  /** Rate a (dimensionless). */
  readonly a: number;
  /** Offset b, seconds. */
  readonly b: number;

  constructor(c: ClockParams = { offset_ms: 0, drift_ppm: 0 }) {
    this.a = 1 + c.drift_ppm * 1e-6;
    this.b = c.offset_ms / 1000;
  }

  cameraTime(siteTime: number): number {
    return this.a * siteTime + this.b;
  }

  siteTime(cameraTime: number): number {
    return (cameraTime - this.b) / this.a;
  }

  get params(): ClockParams {
    return { offset_ms: this.b * 1000, drift_ppm: (this.a - 1) * 1e6 };
  }
}
