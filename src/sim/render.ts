/**
 * Renders one camera's frames: background, targets (with rolling shutter and the camera's true
 * clock), Gaussian sensor noise, 8-bit quantisation. Deterministic: frame k of camera c depends
 * only on the scenario and (seed, c, k), never on render order.
 */
import { Camera } from '../geometry/index.ts';
import { gaussianTable, hashSeed } from '../util/rng.ts';
import { FootprintRenderer } from './footprint.ts';
import type { SimCamera } from './scenario.ts';
import type { SkyRenderer } from './sky.ts';
import type { SimulatedTarget, TargetAppearance } from './targets.ts';

/** The true camera of a scenario camera. */
export function cameraFromSim(spec: SimCamera): Camera {
  return new Camera({ id: spec.id, resolution: spec.resolution, pose: spec.pose, intrinsics: spec.intrinsics, rolling_shutter: spec.rolling_shutter, clock: spec.clock });
}

/** The camera after a bump (scenario extension `bump`): from site time `tS` on it renders with `cam` and `sky`. */
export interface BumpedView {
  tS: number;
  cam: Camera;
  sky: SkyRenderer;
}

/** The true pose of a scenario camera after its bump (null when it has none). */
export function bumpedSimCamera(spec: SimCamera): SimCamera | null {
  const b = spec.bump;
  if (!b) return null;
  return { ...spec, pose: { ...spec.pose, yaw: spec.pose.yaw + b.yaw_deg, pitch: spec.pose.pitch + b.pitch_deg, roll: spec.pose.roll + b.roll_deg } };
}

export class CameraRenderer {
  private readonly acc: Float32Array;
  private readonly noise: Float32Array;
  private readonly footprint = new FootprintRenderer();
  private readonly look: TargetAppearance = { widthM: 0, heightM: 0, contrast: 0 };
  private readonly pos = new Float64Array(3);
  private readonly pos2 = new Float64Array(3);
  private readonly uv = new Float64Array(3);
  private readonly uv2 = new Float64Array(3);

  constructor(
    readonly spec: SimCamera,
    readonly cam: Camera,
    private readonly sky: SkyRenderer,
    private readonly targets: readonly SimulatedTarget[],
    private readonly seed: number,
    private readonly camIndex: number,
    private readonly bumped: BumpedView | null = null,
  ) {
    this.acc = new Float32Array(this.cam.width * this.cam.height);
    this.noise = gaussianTable(hashSeed(seed, 0x5e75, camIndex));
  }

  get frameBytes(): number {
    return this.cam.width * this.cam.height;
  }

  /** Camera-clock timestamp of frame k (CONTRACTS §2). */
  frameCameraTime(k: number): number {
    return k / this.spec.fps;
  }

  /** Render frame k into `out` (width×height grey bytes). */
  renderInto(k: number, out: Uint8Array): void {
    const W = this.cam.width, H = this.cam.height;
    const tCam = this.frameCameraTime(k);
    const tSite = this.cam.clock.siteTime(tCam);
    // A bump takes effect from the first frame that starts at or after its time.
    const after = this.bumped !== null && tSite >= this.bumped.tS ? this.bumped : null;
    const cam = after ? after.cam : this.cam;
    (after ? after.sky : this.sky).renderInto(this.acc, tSite);
    for (const target of this.targets) this.drawTarget(cam, target, tCam);
    // Sensor noise and quantisation. xorshift32 indexes the Gaussian table.
    const sigma = this.spec.noise_sigma, g = this.noise, acc = this.acc;
    let x = hashSeed(this.seed, this.camIndex, k) | 1;
    for (let i = 0, n = W * H; i < n; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      const val = acc[i]! + sigma * g[x >>> 16]!;
      out[i] = val <= 0 ? 0 : val >= 255 ? 255 : (val + 0.5) | 0;
    }
  }

  /**
   * Rolling shutter: find the time at which the row the target falls on is exposed (fixed
   * point: row → time → position → row), then shear the footprint by its image velocity.
   */
  private drawTarget(cam: Camera, target: SimulatedTarget, tCam: number): void {
    const traj = target.trajectory;
    let tSite = cam.clock.siteTime(tCam);
    let v = cam.height / 2;
    for (let it = 0; it < 3; it++) {
      tSite = cam.clock.siteTime(cam.rowTime(tCam, Math.min(Math.max(v, 0), cam.height - 1)));
      if (!traj.isActive(tSite)) return;
      traj.positionInto(tSite, this.pos);
      if (!cam.projectInto(this.pos[0]!, this.pos[1]!, this.pos[2]!, this.uv)) return;
      v = this.uv[1]!;
    }
    const depth = this.uv[2]!;
    // Image velocity from a 1 ms step.
    const dt = 1e-3;
    traj.positionInto(tSite + dt, this.pos2);
    if (!cam.projectInto(this.pos2[0]!, this.pos2[1]!, this.pos2[2]!, this.uv2)) return;
    const look = target.appearanceAt(tSite, this.look);
    const a = (cam.fx * look.widthM) / 2 / depth, b = (cam.fy * look.heightM) / 2 / depth;
    const margin = a + b + 10;
    if (this.uv[0]! < -margin || this.uv[0]! > cam.width + margin || v < -margin || v > cam.height + margin) return;
    const rowDelay = (cam.rsDirection === 'down' ? cam.lineS : -cam.lineS) / cam.clock.a;
    this.footprint.draw(this.acc, cam.width, cam.height, {
      u: this.uv[0]!, v,
      a, b,
      du: (this.uv2[0]! - this.uv[0]!) / dt, dv: (this.uv2[1]! - this.uv[1]!) / dt,
      rowDelayS: rowDelay,
      contrast: look.contrast,
      psfSigma: this.spec.psf_sigma_px,
    });
  }
}
