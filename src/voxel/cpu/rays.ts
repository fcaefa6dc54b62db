/**
 * Per-camera pixel → ray direction, on demand or from a lazily filled per-pixel cache.
 * Rays of a pixel never change until the camera's geometry does, so the cache lives as long as
 * the Camera it was built from (setCamera replaces it).
 */
import type { Camera } from '../../geometry/index.ts';

const OK = 1, BAD = 2; // state 0: not computed yet

export class CameraRays {
  readonly cam: Camera;
  readonly pixels: number;
  private readonly dirs: Float32Array | null;
  private readonly state: Uint8Array | null;
  private readonly tmp = new Float64Array(3);

  constructor(cam: Camera, cache: boolean) {
    this.cam = cam;
    this.pixels = cam.width * cam.height;
    this.dirs = cache ? new Float32Array(3 * this.pixels) : null;
    this.state = cache ? new Uint8Array(this.pixels) : null;
  }

  /** Unit ENU direction of pixel index p (= v·width + u, p < pixels) into out; false if it cannot be undistorted. */
  dirInto(p: number, out: Float64Array): boolean {
    const dirs = this.dirs, state = this.state;
    if (dirs === null || state === null) return this.compute(p, out);
    const s = state[p]!;
    if (s === OK) {
      out[0] = dirs[3 * p]!; out[1] = dirs[3 * p + 1]!; out[2] = dirs[3 * p + 2]!;
      return true;
    }
    if (s === BAD) return false;
    if (!this.compute(p, out)) { state[p] = BAD; return false; }
    // Store as Float32 and hand out what was stored, so a cached ray equals its first use.
    dirs[3 * p] = out[0]!; dirs[3 * p + 1] = out[1]!; dirs[3 * p + 2] = out[2]!;
    out[0] = dirs[3 * p]!; out[1] = dirs[3 * p + 1]!; out[2] = dirs[3 * p + 2]!;
    state[p] = OK;
    return true;
  }

  private compute(p: number, out: Float64Array): boolean {
    const w = this.cam.width;
    const v = Math.floor(p / w);
    if (!this.cam.unprojectInto(p - v * w, v, this.tmp)) return false;
    out[0] = this.tmp[0]!; out[1] = this.tmp[1]!; out[2] = this.tmp[2]!;
    return true;
  }
}
