/**
 * Zones in the site's ENU frame: one or more polygons (outer ring + holes each) in (east, north)
 * metres and an altitude band in up metres. Containment is the even–odd rule over a polygon's
 * rings (so holes are excluded) and "any polygon" over a MultiPolygon; points on an edge count as
 * inside (the zone is a closed set). `depth` is a signed penetration: ≥ 0 inside, and −d when the
 * point is d metres outside across the nearest boundary (horizontal edge, floor or ceiling).
 */
import { EnuFrame } from '../geometry/index.ts';
import type { Zone, ZoneClass, ZoneEvent } from '../config/index.ts';
import { AlertError } from './errors.ts';

export interface ZoneRules {
  alert_on: ZoneEvent[];
  classes: ZoneClass[];
  loiter_s: number;
  min_confidence: number;
  /** Per-zone boundary hysteresis, m (undefined: the engine's default). */
  hysteresis_m?: number;
}

export interface ZoneShape extends ZoneRules {
  id: string;
  name: string;
  floor_m: number;
  ceiling_m: number;
  /** polygons[p][r] is a ring as flat [e0, n0, e1, n1, …] without the closing repeat; r = 0 outer, others holes. */
  polygons: Float64Array[][];
  /** Horizontal bounding box of all rings: [minE, minN, maxE, maxN]. */
  bbox: [number, number, number, number];
}

export interface EnuZoneSpec extends Partial<ZoneRules> {
  id: string;
  name?: string;
  floor_m?: number;
  ceiling_m: number;
  /** Polygons → rings → [e, n] vertices (closing repeat optional). */
  polygons: [number, number][][][];
}

const RULE_DEFAULTS: ZoneRules = { alert_on: ['enter'], classes: ['drone', 'unknown'], loiter_s: 30, min_confidence: 0 };

/** A zone given directly in ENU metres (tests, tools, zones drawn on the site map). */
export function zoneFromEnu(spec: EnuZoneSpec): ZoneShape {
  const bad = (what: string): never => { throw new AlertError('ALERT_OPTIONS', `zone '${spec.id}': ${what}`); };
  const floor = spec.floor_m ?? 0;
  if (!(spec.ceiling_m > floor)) bad(`ceiling_m ${spec.ceiling_m} must be above floor_m ${floor}`);
  const rules = { ...RULE_DEFAULTS, ...stripUndefined(spec) };
  if (!(rules.loiter_s > 0)) bad(`loiter_s must be > 0, got ${rules.loiter_s}`);
  if (!(rules.min_confidence >= 0 && rules.min_confidence <= 1)) bad(`min_confidence must be in [0, 1], got ${rules.min_confidence}`);
  if (rules.hysteresis_m !== undefined && !(rules.hysteresis_m >= 0)) bad(`hysteresis_m must be ≥ 0, got ${rules.hysteresis_m}`);
  if (!spec.polygons.length) bad('no polygon');
  const bbox: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  const polygons = spec.polygons.map((rings, p) => {
    if (!rings.length) bad(`polygon ${p} has no ring`);
    return rings.map((ring, r) => {
      const pts = ring.filter((q, k) => !(k === ring.length - 1 && k > 0 && q[0] === ring[0]![0] && q[1] === ring[0]![1]));
      if (pts.length < 3) bad(`polygon ${p} ring ${r} has fewer than 3 distinct vertices`);
      const flat = new Float64Array(2 * pts.length);
      pts.forEach(([e, n], k) => {
        if (!Number.isFinite(e) || !Number.isFinite(n)) bad(`polygon ${p} ring ${r} vertex ${k} is not finite`);
        flat[2 * k] = e; flat[2 * k + 1] = n;
        bbox[0] = Math.min(bbox[0], e); bbox[1] = Math.min(bbox[1], n); bbox[2] = Math.max(bbox[2], e); bbox[3] = Math.max(bbox[3], n);
      });
      return flat;
    });
  });
  return {
    id: spec.id, name: spec.name ?? spec.id, floor_m: floor, ceiling_m: spec.ceiling_m,
    alert_on: [...rules.alert_on], classes: [...rules.classes], loiter_s: rules.loiter_s, min_confidence: rules.min_confidence,
    ...(rules.hysteresis_m !== undefined ? { hysteresis_m: rules.hysteresis_m } : {}),
    polygons, bbox,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Zones loaded from GeoJSON (src/config/zones.ts) into the ENU frame of the site origin. Ring
 * vertices are placed at the origin's height: only their east/north matter, and the Earth's
 * curvature shifts those by under a millimetre per kilometre.
 */
export function zonesFromConfig(zones: readonly Zone[], origin: { lat: number; lon: number; alt_m: number }): ZoneShape[] {
  const frame = new EnuFrame(origin);
  return zones.map((z) => zoneFromEnu({
    id: z.id, name: z.name, floor_m: z.floor_m, ceiling_m: z.ceiling_m, alert_on: z.alert_on, classes: z.classes,
    loiter_s: z.loiter_s, min_confidence: z.min_confidence ?? 0, hysteresis_m: z.hysteresis_m,
    polygons: [z.rings.map((ring) => ring.map(([lon, lat]): [number, number] => {
      const p = frame.geodeticToEnu({ lat, lon, alt_m: origin.alt_m });
      return [p[0], p[1]];
    }))],
  }));
}

/** Even–odd crossing test of one ring (flat e, n pairs). */
function ringCrosses(ring: Float64Array, e: number, n: number): boolean {
  let inside = false;
  const m = ring.length >> 1;
  for (let i = 0, j = m - 1; i < m; j = i++) {
    const ei = ring[2 * i]!, ni = ring[2 * i + 1]!, ej = ring[2 * j]!, nj = ring[2 * j + 1]!;
    // Half-open rule on n: each edge counts for ni ≤ n < nj or nj ≤ n < ni, so vertices are not counted twice.
    if ((ni > n) !== (nj > n) && e < ((ej - ei) * (n - ni)) / (nj - ni) + ei) inside = !inside;
  }
  return inside;
}

/** Distance from (e, n) to the nearest edge of a ring. */
function ringDistance(ring: Float64Array, e: number, n: number): number {
  let best = Infinity;
  const m = ring.length >> 1;
  for (let i = 0, j = m - 1; i < m; j = i++) {
    const ax = ring[2 * j]!, ay = ring[2 * j + 1]!, bx = ring[2 * i]!, by = ring[2 * i + 1]!;
    const dx = bx - ax, dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const s = len2 > 0 ? Math.min(1, Math.max(0, ((e - ax) * dx + (n - ay) * dy) / len2)) : 0;
    best = Math.min(best, Math.hypot(e - ax - s * dx, n - ay - s * dy));
  }
  return best;
}

/** Horizontal signed distance to the zone's boundary: + inside, − outside, 0 on an edge. */
export function signedDistanceXY(z: ZoneShape, e: number, n: number): number {
  let inside = false, dist = Infinity;
  for (const rings of z.polygons) {
    let inPoly = false;
    for (const ring of rings) {
      if (ringCrosses(ring, e, n)) inPoly = !inPoly;
      dist = Math.min(dist, ringDistance(ring, e, n));
    }
    if (inPoly) inside = true;
  }
  if (dist <= 1e-9) return 0; // on an edge: inside (closed set), whatever the crossing rule said
  return inside ? dist : -dist;
}

/** Signed penetration into the zone volume: min(horizontal signed distance, u − floor, ceiling − u). */
export function zoneDepth(z: ZoneShape, e: number, n: number, u: number): number {
  return Math.min(signedDistanceXY(z, e, n), u - z.floor_m, z.ceiling_m - u);
}

/** True when (e, n, u) lies in the zone (boundary included). */
export function zoneContains(z: ZoneShape, e: number, n: number, u: number): boolean {
  return zoneDepth(z, e, n, u) >= 0;
}
