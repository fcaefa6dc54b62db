/**
 * WGS84 geodetic ⇄ ECEF ⇄ local ENU conversions (CONTRACTS §1: the world frame is ENU metres
 * about `site.origin`). Pure functions over plain numbers; no allocation in the `*Into` forms.
 */

/** WGS84 semi-major axis, metres. */
export const WGS84_A = 6378137.0;
/** WGS84 flattening. */
export const WGS84_F = 1 / 298.257223563;
/** First eccentricity squared. */
export const WGS84_E2 = WGS84_F * (2 - WGS84_F);
/** Semi-minor axis, metres. */
export const WGS84_B = WGS84_A * (1 - WGS84_F);

export interface Geodetic {
  /** Latitude, degrees (north positive). */
  lat: number;
  /** Longitude, degrees (east positive). */
  lon: number;
  /** Height above the WGS84 ellipsoid, metres. */
  alt_m: number;
}

export type Vec3 = [number, number, number];

const DEG = Math.PI / 180;

/** Geodetic (lat, lon in degrees, ellipsoidal height in metres) → ECEF metres. */
export function geodeticToEcef(g: Geodetic): Vec3 {
  const phi = g.lat * DEG;
  const lam = g.lon * DEG;
  const sphi = Math.sin(phi);
  const cphi = Math.cos(phi);
  const n = WGS84_A / Math.sqrt(1 - WGS84_E2 * sphi * sphi);
  return [
    (n + g.alt_m) * cphi * Math.cos(lam),
    (n + g.alt_m) * cphi * Math.sin(lam),
    (n * (1 - WGS84_E2) + g.alt_m) * sphi,
  ];
}

/**
 * ECEF → geodetic by Newton iteration on latitude (converges to sub-micrometre in a few steps
 * for any point outside the Earth's core; the poles are handled explicitly).
 */
export function ecefToGeodetic(x: number, y: number, z: number): Geodetic {
  const p = Math.hypot(x, y);
  const lon = Math.atan2(y, x) / DEG;
  if (p < 1e-9) {
    // On the polar axis: latitude ±90°, height from the semi-minor axis.
    return { lat: z >= 0 ? 90 : -90, lon: 0, alt_m: Math.abs(z) - WGS84_B };
  }
  let phi = Math.atan2(z, p * (1 - WGS84_E2));
  let h = 0;
  for (let i = 0; i < 10; i++) {
    const s = Math.sin(phi);
    const n = WGS84_A / Math.sqrt(1 - WGS84_E2 * s * s);
    h = p / Math.cos(phi) - n;
    const next = Math.atan2(z, p * (1 - (WGS84_E2 * n) / (n + h)));
    if (Math.abs(next - phi) < 1e-15) {
      phi = next;
      break;
    }
    phi = next;
  }
  const s = Math.sin(phi);
  const n = WGS84_A / Math.sqrt(1 - WGS84_E2 * s * s);
  // Height from whichever formula is well conditioned at this latitude.
  h = Math.abs(phi) < Math.PI / 4 ? p / Math.cos(phi) - n : z / s - n * (1 - WGS84_E2);
  return { lat: phi / DEG, lon, alt_m: h };
}

/**
 * A local ENU frame anchored at a geodetic origin. The rotation rows are the east, north and up
 * unit vectors expressed in ECEF.
 */
export class EnuFrame {
  readonly origin: Geodetic;
  readonly originEcef: Vec3;
  /** Row-major ECEF→ENU rotation: rows = east, north, up. */
  readonly R: Float64Array;

  constructor(origin: Geodetic) {
    this.origin = { ...origin };
    this.originEcef = geodeticToEcef(origin);
    const phi = origin.lat * DEG;
    const lam = origin.lon * DEG;
    const sp = Math.sin(phi), cp = Math.cos(phi), sl = Math.sin(lam), cl = Math.cos(lam);
    this.R = new Float64Array([
      -sl, cl, 0,
      -sp * cl, -sp * sl, cp,
      cp * cl, cp * sl, sp,
    ]);
  }

  /** ECEF → ENU metres. */
  ecefToEnu(x: number, y: number, z: number): Vec3 {
    const R = this.R;
    const dx = x - this.originEcef[0], dy = y - this.originEcef[1], dz = z - this.originEcef[2];
    return [
      R[0]! * dx + R[1]! * dy + R[2]! * dz,
      R[3]! * dx + R[4]! * dy + R[5]! * dz,
      R[6]! * dx + R[7]! * dy + R[8]! * dz,
    ];
  }

  /** ENU metres → ECEF. */
  enuToEcef(e: number, n: number, u: number): Vec3 {
    const R = this.R;
    return [
      this.originEcef[0] + R[0]! * e + R[3]! * n + R[6]! * u,
      this.originEcef[1] + R[1]! * e + R[4]! * n + R[7]! * u,
      this.originEcef[2] + R[2]! * e + R[5]! * n + R[8]! * u,
    ];
  }

  geodeticToEnu(g: Geodetic): Vec3 {
    const x = geodeticToEcef(g);
    return this.ecefToEnu(x[0], x[1], x[2]);
  }

  enuToGeodetic(e: number, n: number, u: number): Geodetic {
    const x = this.enuToEcef(e, n, u);
    return ecefToGeodetic(x[0], x[1], x[2]);
  }
}
