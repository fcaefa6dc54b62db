import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnuFrame, WGS84_A, WGS84_B, ecefToGeodetic, geodeticToEcef } from '../../src/geometry/index.ts';

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

test('geodetic→ECEF at the equator, prime meridian and poles matches the ellipsoid axes', () => {
  const e0 = geodeticToEcef({ lat: 0, lon: 0, alt_m: 0 });
  close(e0[0], WGS84_A, 1e-6); close(e0[1], 0, 1e-6); close(e0[2], 0, 1e-6);
  const e90 = geodeticToEcef({ lat: 0, lon: 90, alt_m: 100 });
  close(e90[0], 0, 1e-6); close(e90[1], WGS84_A + 100, 1e-6);
  const np = geodeticToEcef({ lat: 90, lon: 0, alt_m: 0 });
  close(np[2], 6356752.314245, 1e-5, 'semi-minor axis'); // published WGS84 b
  close(WGS84_B, 6356752.314245, 1e-5);
});

test('geodetic→ECEF at 45°N agrees with the textbook closed form (N = a/sqrt(1−e²sin²φ))', () => {
  // Independent numbers: a = 6378137, e² = 0.00669437999014 (published WGS84 value).
  const e2 = 0.00669437999014;
  const phi = Math.PI / 4;
  const N = 6378137 / Math.sqrt(1 - e2 * 0.5);
  const x = geodeticToEcef({ lat: 45, lon: 0, alt_m: 1000 });
  close(x[0], (N + 1000) * Math.SQRT1_2, 1e-3);
  close(x[2], (N * (1 - e2) + 1000) * Math.sin(phi), 1e-3);
});

test('ECEF→geodetic round trip is sub-millimetre from the pole to the equator', () => {
  for (const lat of [-89.9999, -60, -12.5, 0, 33.3, 47, 89.99]) {
    for (const lon of [-179, -8, 0, 8, 123.4]) {
      for (const alt of [-100, 0, 400, 12000]) {
        const x = geodeticToEcef({ lat, lon, alt_m: alt });
        const g = ecefToGeodetic(x[0], x[1], x[2]);
        close(g.lat, lat, 1e-10, 'lat'); close(g.lon, lon, 1e-10, 'lon'); close(g.alt_m, alt, 1e-6, 'alt');
      }
    }
  }
  const pole = ecefToGeodetic(0, 0, WGS84_B + 50);
  close(pole.lat, 90, 1e-12); close(pole.alt_m, 50, 1e-6);
});

test('ENU: straight up is +u, a small step in longitude is +e by (N+h)·cosφ·Δλ', () => {
  const origin = { lat: 47, lon: 8, alt_m: 400 };
  const f = new EnuFrame(origin);
  const up = f.geodeticToEnu({ lat: 47, lon: 8, alt_m: 500 });
  close(up[0], 0, 1e-6); close(up[1], 0, 1e-6); close(up[2], 100, 1e-6);
  const dlon = 1e-4; // degrees
  const s = Math.sin((47 * Math.PI) / 180);
  const N = WGS84_A / Math.sqrt(1 - 0.00669437999014 * s * s);
  const east = f.geodeticToEnu({ lat: 47, lon: 8 + dlon, alt_m: 400 });
  close(east[0], (N + 400) * Math.cos((47 * Math.PI) / 180) * ((dlon * Math.PI) / 180), 1e-4, 'east');
  close(east[1], 0, 1e-3); // the meridians converge: tiny north component, well under a millimetre
  // A step north along the meridian: M = a(1−e²)/(1−e² sin²φ)^1.5 metres per radian.
  const M = (WGS84_A * (1 - 0.00669437999014)) / Math.pow(1 - 0.00669437999014 * s * s, 1.5);
  const north = f.geodeticToEnu({ lat: 47 + 1e-4, lon: 8, alt_m: 400 });
  close(north[1], (M + 400) * ((1e-4 * Math.PI) / 180), 1e-3, 'north');
});

test('ENU ⇄ geodetic round trip over a 20 km site', () => {
  const f = new EnuFrame({ lat: -33.9, lon: 151.2, alt_m: 30 });
  for (const p of [[0, 0, 0], [1500, -200, 80], [-10000, 10000, 3000], [20000, 5, -10]] as const) {
    const g = f.enuToGeodetic(p[0], p[1], p[2]);
    const back = f.geodeticToEnu(g);
    for (let i = 0; i < 3; i++) close(back[i]!, p[i]!, 1e-6);
  }
});
