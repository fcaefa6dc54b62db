/**
 * Alert zones: a GeoJSON FeatureCollection (RFC 7946: WGS84, positions [lon, lat]) of Polygon
 * features, each with an altitude band above the site origin and alert rules.
 * JSON is valid YAML, so the shared YAML validator gives line/column for every issue.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static, type TProperties } from 'typebox';
import { CAMERA_ID_PATTERN } from './schema.ts';
import { ConfigError, parseYamlWith, type Check, type ParseResult } from './validate.ts';

const closed = <P extends TProperties>(props: P) => Type.Object(props, { additionalProperties: false });

export const ZONE_EVENTS = ['enter', 'loiter', 'exit'] as const;
export const ZONE_CLASSES = ['drone', 'bird', 'unknown'] as const;

const Position = Type.Array(Type.Number(), { minItems: 2, maxItems: 3 }); // [lon, lat] or [lon, lat, alt]
const BBox = Type.Optional(Type.Array(Type.Number(), { minItems: 4, maxItems: 6 }));

export const ZonePropertiesSchema = closed({
  id: Type.String({ pattern: CAMERA_ID_PATTERN }),
  name: Type.Optional(Type.String()),
  /** Altitude band, metres above the site origin. */
  floor_m: Type.Number({ default: 0 }),
  ceiling_m: Type.Number(),
  alert_on: Type.Array(Type.Enum(ZONE_EVENTS), { minItems: 1, uniqueItems: true, default: ['enter'] }),
  /** Time inside the zone that counts as loitering. */
  loiter_s: Type.Number({ exclusiveMinimum: 0, default: 30 }),
  classes: Type.Array(Type.Enum(ZONE_CLASSES), { minItems: 1, uniqueItems: true, default: ['drone', 'unknown'] }),
  /** A track alerts only with at least this classification confidence (0..1). */
  min_confidence: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
  /** Boundary hysteresis, metres: a track inside leaves only once this far outside (default: the alert engine's). */
  hysteresis_m: Type.Optional(Type.Number({ minimum: 0 })),
});

export const ZoneFeatureSchema = closed({
  type: Type.Literal('Feature'),
  id: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  bbox: BBox,
  geometry: closed({
    type: Type.Literal('Polygon'),
    /** Outer ring first, then holes; each ring closed (last position = first), >= 4 positions. */
    coordinates: Type.Array(Type.Array(Position, { minItems: 4 }), { minItems: 1 }),
    bbox: BBox,
  }),
  properties: ZonePropertiesSchema,
});

export const ZoneCollectionSchema = closed({
  type: Type.Literal('FeatureCollection'),
  name: Type.Optional(Type.String()),
  /** Legacy GeoJSON 2008 member written by some tools (QGIS); ignored. */
  crs: Type.Optional(Type.Unknown()),
  bbox: BBox,
  features: Type.Array(ZoneFeatureSchema),
});

export type ZoneCollection = Static<typeof ZoneCollectionSchema>;
export type ZoneEvent = (typeof ZONE_EVENTS)[number];
export type ZoneClass = (typeof ZONE_CLASSES)[number];

export interface Zone {
  id: string;
  name: string;
  floor_m: number;
  ceiling_m: number;
  alert_on: ZoneEvent[];
  loiter_s: number;
  classes: ZoneClass[];
  min_confidence: number;
  hysteresis_m?: number;
  /** [lon, lat] degrees; rings[0] is the outer boundary, the rest are holes. Closed rings. */
  rings: [number, number][][];
}

export interface ZoneParseOptions {
  file?: string;
  /** Site origin: zones farther than `maxDistanceM` from it are refused (swapped lat/lon?). */
  origin?: { lat: number; lon: number };
  /** Default 100 km. */
  maxDistanceM?: number;
}

export function parseZones(text: string, opts: ZoneParseOptions = {}): ParseResult<Zone[]> {
  const checks: Check<ZoneCollection>[] = [checkZoneProperties, checkRings];
  if (opts.origin) checks.push(checkNearOrigin(opts.origin, opts.maxDistanceM ?? 100_000));
  const result = parseYamlWith(text, ZoneCollectionSchema, { file: opts.file ?? '<input>', checks });
  if (!result.ok) return result;
  return {
    ok: true,
    value: result.value.features.map(({ properties: p, geometry }) => ({
      ...p,
      name: p.name ?? p.id,
      rings: geometry.coordinates.map((ring) => ring.map((q): [number, number] => [q[0] ?? 0, q[1] ?? 0])),
    })),
  };
}

/** Read and validate a zones GeoJSON file; throws ConfigError listing every issue. */
export function loadZones(path: string, opts: Omit<ZoneParseOptions, 'file'> = {}): Zone[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '', message: `cannot read zones file: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  const result = parseZones(text, { ...opts, file: path });
  if (!result.ok) throw new ConfigError(path, result.issues);
  return result.value;
}

const checkZoneProperties: Check<ZoneCollection> = (fc, report, locate) => {
  const first = new Map<string, number>();
  fc.features.forEach((f, i) => {
    const p = f.properties;
    const base = `features[${i}].properties`;
    const j = first.get(p.id);
    if (j === undefined) first.set(p.id, i);
    else {
      const line = locate(`features[${j}].properties.id`)?.line;
      report(`${base}.id`, `duplicate zone id '${p.id}' (first defined at features[${j}]${line !== undefined ? `, line ${line}` : ''})`);
    }
    if (p.ceiling_m <= p.floor_m) report(`${base}.ceiling_m`, `ceiling_m ${p.ceiling_m} must be above floor_m ${p.floor_m}`);
  });
};

const checkRings: Check<ZoneCollection> = (fc, report) => {
  fc.features.forEach((f, i) => {
    f.geometry.coordinates.forEach((ring, r) => {
      const path = `features[${i}].geometry.coordinates[${r}]`;
      let ok = true;
      ring.forEach((q, k) => {
        const [lon = 0, lat = 0] = q;
        if (lon < -180 || lon > 180) { ok = false; report(`${path}[${k}][0]`, `longitude ${lon} out of range -180..180 (GeoJSON order is [lon, lat])`); }
        if (lat < -90 || lat > 90) { ok = false; report(`${path}[${k}][1]`, `latitude ${lat} out of range -90..90 (GeoJSON order is [lon, lat])`); }
      });
      if (!ok) return;
      const a = ring[0] ?? [];
      const b = ring[ring.length - 1] ?? [];
      if (a[0] !== b[0] || a[1] !== b[1]) {
        report(path, 'ring is not closed (the last position must equal the first)');
        return;
      }
      // Repeated consecutive positions are legal GeoJSON; drop them before the geometry tests.
      const pts = ring
        .slice(0, -1)
        .map((q): [number, number] => [q[0] ?? 0, q[1] ?? 0])
        .filter((q, k, all) => k === 0 || q[0] !== all[k - 1]?.[0] || q[1] !== all[k - 1]?.[1]);
      const cross = firstSelfIntersection(pts);
      if (cross) report(path, `ring crosses itself (edges ${cross[0]} and ${cross[1]})`);
      else if (Math.abs(signedArea(pts)) < 1e-14) report(path, 'ring has zero area');
    });
  });
};

function checkNearOrigin(origin: { lat: number; lon: number }, maxM: number): Check<ZoneCollection> {
  return (fc, report) => {
    fc.features.forEach((f, i) => {
      const ring = f.geometry.coordinates[0] ?? [];
      const n = Math.max(1, ring.length - 1);
      const lon = ring.slice(0, n).reduce((s, q) => s + (q[0] ?? 0), 0) / n;
      const lat = ring.slice(0, n).reduce((s, q) => s + (q[1] ?? 0), 0) / n;
      const d = haversineM(origin.lat, origin.lon, lat, lon);
      if (d > maxM) {
        report(`features[${i}].geometry`, `zone is ${(d / 1000).toFixed(1)} km from the site origin (limit ${maxM / 1000} km; GeoJSON order is [lon, lat])`);
      }
    });
  };
}

function signedArea(pts: readonly [number, number][]): number {
  let s = 0;
  pts.forEach(([x1, y1], j) => {
    const [x2, y2] = pts[(j + 1) % pts.length] ?? [x1, y1];
    s += x1 * y2 - x2 * y1;
  });
  return s / 2;
}

/** Indices of the first pair of non-adjacent edges that intersect; O(n²), zones are small. */
function firstSelfIntersection(pts: readonly [number, number][]): [number, number] | undefined {
  const n = pts.length;
  const edge = (k: number): [[number, number], [number, number]] => [pts[k] ?? [0, 0], pts[(k + 1) % n] ?? [0, 0]];
  for (let a = 0; a < n; a++) {
    for (let b = a + 2; b < n; b++) {
      if (a === 0 && b === n - 1) continue; // adjacent through the closing vertex
      if (segmentsIntersect(...edge(a), ...edge(b))) return [a, b];
    }
  }
  return undefined;
}

function segmentsIntersect(p: [number, number], q: [number, number], r: [number, number], s: [number, number]): boolean {
  const orient = (a: [number, number], b: [number, number], c: [number, number]): number =>
    Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
  const onSeg = (a: [number, number], b: [number, number], c: [number, number]): boolean =>
    Math.min(a[0], b[0]) <= c[0] && c[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= c[1] && c[1] <= Math.max(a[1], b[1]);
  const o1 = orient(p, q, r), o2 = orient(p, q, s), o3 = orient(r, s, p), o4 = orient(r, s, q);
  if (o1 !== o2 && o3 !== o4 && o1 !== 0 && o2 !== 0 && o3 !== 0 && o4 !== 0) return true;
  return (o1 === 0 && onSeg(p, q, r)) || (o2 === 0 && onSeg(p, q, s)) || (o3 === 0 && onSeg(r, s, p)) || (o4 === 0 && onSeg(r, s, q));
}

/** Great-circle distance on a sphere of mean Earth radius; only used for a sanity bound. */
function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}
