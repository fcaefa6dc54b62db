import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertError, signedDistanceXY, zoneContains, zoneFromEnu, zonesFromConfig } from '../../src/alerts/index.ts';
import { loadZones, parseZones } from '../../src/config/index.ts';
import { WGS84_A, WGS84_E2 } from '../../src/geometry/index.ts';

const close = (a: number, b: number, tol: number, what = ''): void => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);
const SQ: [number, number][] = [[0, 0], [100, 0], [100, 100], [0, 100]];
const HOLE: [number, number][] = [[40, 40], [40, 60], [60, 60], [60, 40], [40, 40]];

test('signed horizontal distance by hand: square, corner, edge, hole', () => {
  const z = zoneFromEnu({ id: 'sq', ceiling_m: 120, polygons: [[SQ]] });
  close(signedDistanceXY(z, 50, 50), 50, 1e-12);
  close(signedDistanceXY(z, 10, 70), 10, 1e-12);
  close(signedDistanceXY(z, -3, 50), -3, 1e-12);
  close(signedDistanceXY(z, 103, 104), -5, 1e-12); // 3-4-5 from the corner (100, 100)
  assert.equal(signedDistanceXY(z, 100, 30), 0); // on an edge
  assert.equal(signedDistanceXY(z, 0, 0), 0); // on a vertex
  const h = zoneFromEnu({ id: 'holed', ceiling_m: 120, polygons: [[SQ, HOLE]] });
  close(signedDistanceXY(h, 50, 50), -10, 1e-12, 'hole centre');
  close(signedDistanceXY(h, 30, 50), 10, 1e-12, 'between hole and rim');
  close(signedDistanceXY(h, 50, 95), 5, 1e-12);
  assert.equal(zoneContains(h, 40, 50, 10), true); // the hole's edge belongs to the zone
});

test('altitude band: inside only between floor and ceiling (both included)', () => {
  const z = zoneFromEnu({ id: 'band', floor_m: 50, ceiling_m: 120, polygons: [[SQ]] });
  assert.equal(zoneContains(z, 50, 50, 49.9), false);
  assert.equal(zoneContains(z, 50, 50, 50), true);
  assert.equal(zoneContains(z, 50, 50, 120), true);
  assert.equal(zoneContains(z, 50, 50, 120.1), false);
});

test('concave polygon and MultiPolygon: point-in-polygon against hand-drawn cases', () => {
  // A "U": the notch (40..60, 30..100) is outside.
  const U: [number, number][] = [[0, 0], [100, 0], [100, 100], [60, 100], [60, 30], [40, 30], [40, 100], [0, 100]];
  const z = zoneFromEnu({ id: 'u', ceiling_m: 100, polygons: [[U], [[[200, 0], [220, 0], [220, 20], [200, 20]]]] });
  const cases: [number, number, boolean][] = [
    [20, 80, true], [80, 80, true], [50, 80, false], [50, 20, true], [50, 30, true], [50, 31, false],
    [210, 10, true], [150, 10, false], [221, 10, false], [60, 100, true], [-0.001, 50, false],
    // A ray from (20, 30) crosses the vertex level n = 30 of the notch: the half-open rule must not double count.
    [20, 30, true], [70, 30, true],
  ];
  for (const [e, n, want] of cases) assert.equal(zoneContains(z, e, n, 10), want, `(${e}, ${n})`);
});

test('GeoJSON zones land in ENU where the WGS84 radii of curvature put them', () => {
  const text = JSON.stringify({
    type: 'FeatureCollection',
    features: [{
      type: 'Feature', properties: { id: 'z', ceiling_m: 100, min_confidence: 0.6 },
      geometry: { type: 'Polygon', coordinates: [[[8, 47], [8.001, 47], [8.001, 47.001], [8, 47.001], [8, 47]]] },
    }],
  });
  const r = parseZones(text);
  assert.ok(r.ok);
  const [z] = zonesFromConfig(r.value, { lat: 47, lon: 8, alt_m: 400 });
  assert.ok(z);
  assert.equal(z.min_confidence, 0.6);
  const phi = (47 * Math.PI) / 180, s2 = Math.sin(phi) ** 2;
  const N = WGS84_A / Math.sqrt(1 - WGS84_E2 * s2); // prime vertical radius
  const M = (WGS84_A * (1 - WGS84_E2)) / (1 - WGS84_E2 * s2) ** 1.5; // meridian radius
  const east = N * Math.cos(phi) * (0.001 * Math.PI / 180), north = M * (0.001 * Math.PI / 180);
  close(z.bbox[0], 0, 0.01); close(z.bbox[1], 0, 0.01);
  close(z.bbox[2], east, 0.05, 'east extent'); // ≈ 76.0 m
  close(z.bbox[3], north, 0.05, 'north extent'); // ≈ 111.2 m
});

test('the example zones: the approach corridor excludes its hangar hole and anything below 50 m', () => {
  const origin = { lat: 47.3969, lon: 8.5456, alt_m: 410 };
  const zones = zonesFromConfig(loadZones('configs/zones.example.geojson'), origin);
  const air = zones.find((z) => z.id === 'airfield-approach');
  assert.ok(air);
  assert.equal(air.polygons[0]?.length, 2);
  assert.ok(zones.every((z) => z.min_confidence === 0), 'min_confidence defaults to 0');
  assert.equal(zones.find((z) => z.id === 'substation')?.loiter_s, 20);
  // Hole centre (8.5569535, 47.39755) and a point in the corridor (8.555, 47.399), converted by hand
  // with the local radii (east 75.4 m per 0.001° lon, north 111.2 m per 0.001° lat at 47.4°).
  const phi = (origin.lat * Math.PI) / 180, s2 = Math.sin(phi) ** 2;
  const deg = Math.PI / 180;
  const N = WGS84_A / Math.sqrt(1 - WGS84_E2 * s2), M = (WGS84_A * (1 - WGS84_E2)) / (1 - WGS84_E2 * s2) ** 1.5;
  const toEnu = (lon: number, lat: number): [number, number] => [N * Math.cos(phi) * (lon - origin.lon) * deg, M * (lat - origin.lat) * deg];
  const hole = toEnu(8.5569535, 47.39755), corridor = toEnu(8.555, 47.399);
  assert.equal(zoneContains(air, hole[0], hole[1], 100), false, 'hangar hole');
  assert.equal(zoneContains(air, corridor[0], corridor[1], 100), true, 'corridor');
  assert.equal(zoneContains(air, corridor[0], corridor[1], 30), false, 'below the 50 m floor');
});

test('bad zone definitions are refused with ALERT_OPTIONS', () => {
  const code = (fn: () => unknown): void => assert.throws(fn, (e: unknown) => e instanceof AlertError && e.code === 'ALERT_OPTIONS');
  code(() => zoneFromEnu({ id: 'a', floor_m: 10, ceiling_m: 5, polygons: [[SQ]] }));
  code(() => zoneFromEnu({ id: 'a', ceiling_m: 5, polygons: [] }));
  code(() => zoneFromEnu({ id: 'a', ceiling_m: 5, polygons: [[[[0, 0], [1, 1], [0, 0]]]] }));
  code(() => zoneFromEnu({ id: 'a', ceiling_m: 5, loiter_s: 0, polygons: [[SQ]] }));
  code(() => zoneFromEnu({ id: 'a', ceiling_m: 5, min_confidence: 2, polygons: [[SQ]] }));
});
