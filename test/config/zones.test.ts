import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, formatIssues, loadSiteConfig, loadZones, parseZones, type ConfigIssue } from '../../src/config/index.ts';

const ORIGIN = { lat: 47.0, lon: 8.0 };

// Two zones near ORIGIN; the table edits it line by line (1-based line numbers).
const BASE = [
  /*  1 */ '{"type": "FeatureCollection", "features": [',
  /*  2 */ '  {"type": "Feature",',
  /*  3 */ '   "properties": {"id": "school", "floor_m": 0, "ceiling_m": 120, "alert_on": ["enter", "exit"]},',
  /*  4 */ '   "geometry": {"type": "Polygon", "coordinates": [',
  /*  5 */ '     [[8.001, 47.001], [8.003, 47.001], [8.003, 47.002], [8.001, 47.002], [8.001, 47.001]]',
  /*  6 */ '   ]}},',
  /*  7 */ '  {"type": "Feature",',
  /*  8 */ '   "properties": {"id": "substation", "ceiling_m": 200, "alert_on": ["loiter"], "loiter_s": 20, "classes": ["drone"]},',
  /*  9 */ '   "geometry": {"type": "Polygon", "coordinates": [',
  /* 10 */ '     [[7.998, 46.998], [7.999, 46.998], [7.999, 46.999], [7.998, 46.998]]',
  /* 11 */ '   ]}}',
  /* 12 */ ']}',
];

function edit(...edits: [number, string][]): string {
  const lines = [...BASE];
  for (const [n, text] of edits) lines[n - 1] = text;
  return lines.join('\n') + '\n';
}

function refuse(text: string): ConfigIssue[] {
  const r = parseZones(text, { file: 'zones.geojson', origin: ORIGIN });
  assert.equal(r.ok, false, 'zones should be refused');
  return r.ok ? [] : r.issues;
}

test('zone base file is valid; defaults filled', () => {
  const r = parseZones(edit(), { origin: ORIGIN });
  if (!r.ok) assert.fail(formatIssues('zones', r.issues));
  const [school, sub] = r.value;
  assert.equal(school?.name, 'school');
  assert.deepEqual(school?.classes, ['drone', 'unknown']);
  assert.equal(school?.loiter_s, 30);
  assert.deepEqual(school?.rings[0]?.[0], [8.001, 47.001]);
  assert.equal(sub?.floor_m, 0);
  assert.deepEqual(sub?.alert_on, ['loiter']);
});

test('example zones load near the example site origin', () => {
  const site = loadSiteConfig('configs/site.example.yaml');
  const zones = loadZones('configs/zones.example.geojson', { origin: site.site.origin, maxDistanceM: 5000 });
  assert.ok(zones.length >= 2 && zones.length <= 3);
  assert.ok(zones.some((z) => z.rings.length === 2), 'one example zone has a hole');
  assert.ok(zones.every((z) => z.ceiling_m > z.floor_m));
});

const MISTAKES: [string, string, string, string, number][] = [
  ['not a polygon', edit([4, '   "geometry": {"type": "Point", "coordinates": [']), 'features[0].geometry.type', 'must be "Polygon" (got "Point")', 4],
  ['ring not closed', edit([5, '     [[8.001, 47.001], [8.003, 47.001], [8.003, 47.002], [8.001, 47.002], [8.001, 47.0015]]']), 'features[0].geometry.coordinates[0]', 'ring is not closed', 5],
  ['too few positions', edit([10, '     [[7.998, 46.998], [7.999, 46.998], [7.998, 46.998]]']), 'features[1].geometry.coordinates[0]', 'must have at least 4 items (got 3)', 10],
  ['latitude out of range (lat/lon swapped)', edit([10, '     [[7.998, 46.998], [7.999, 96.998], [7.999, 46.999], [7.998, 46.998]]']), 'features[1].geometry.coordinates[0][1][1]', 'latitude 96.998 out of range', 10],
  ['self-crossing ring', edit([5, '     [[8.001, 47.001], [8.003, 47.002], [8.003, 47.001], [8.001, 47.002], [8.001, 47.001]]']), 'features[0].geometry.coordinates[0]', 'ring crosses itself', 5],
  ['ceiling below floor', edit([3, '   "properties": {"id": "school", "floor_m": 150, "ceiling_m": 120}},'.replace('}},', '},')]), 'features[0].properties.ceiling_m', 'ceiling_m 120 must be above floor_m 150', 3],
  ['bad alert event', edit([3, '   "properties": {"id": "school", "ceiling_m": 120, "alert_on": ["enter", "leave"]},']), 'features[0].properties.alert_on[1]', 'must be one of enter|loiter|exit (got "leave")', 3],
  ['bad class', edit([8, '   "properties": {"id": "substation", "ceiling_m": 200, "classes": ["plane"]},']), 'features[1].properties.classes[0]', 'must be one of drone|bird|unknown', 8],
  ['unknown property', edit([8, '   "properties": {"id": "substation", "ceiling_m": 200, "colour": "red"},']), 'features[1].properties.colour', "unknown key 'colour'", 8],
  ['missing ceiling', edit([8, '   "properties": {"id": "substation"},']), 'features[1].properties', "missing required key 'ceiling_m'", 8],
  ['duplicate zone id', edit([8, '   "properties": {"id": "school", "ceiling_m": 200},']), 'features[1].properties.id', "duplicate zone id 'school' (first defined at features[0], line 3)", 8],
  ['far from the site origin', edit([10, '     [[46.998, 7.998], [46.998, 7.999], [46.999, 7.999], [46.998, 7.998]]']), 'features[1].geometry', 'km from the site origin', 9],
  ['JSON syntax error', edit([5, '     [[8.001, 47.001] [8.003, 47.001], [8.003, 47.002], [8.001, 47.002], [8.001, 47.001]]']), '', 'YAML syntax error', 5],
];

for (const [name, text, path, reason, line] of MISTAKES) {
  test(`zones refused: ${name}`, () => {
    const issues = refuse(text);
    const hit = issues.find((i) => i.path === path && i.message.includes(reason));
    assert.ok(hit, `no issue at '${path}' containing '${reason}'; got:\n${formatIssues('zones.geojson', issues)}`);
    assert.equal(hit.line, line);
  });
}

test('repeated consecutive positions are accepted', () => {
  const r = parseZones(edit([5, '     [[8.001, 47.001], [8.003, 47.001], [8.003, 47.001], [8.003, 47.002], [8.001, 47.002], [8.001, 47.001]]']), { origin: ORIGIN });
  assert.ok(r.ok);
});

test('several zone mistakes are reported together', () => {
  const issues = refuse(edit(
    [3, '   "properties": {"id": "school", "ceiling_m": 120, "alert_on": ["leave"]},'],
    [8, '   "properties": {"id": "substation", "colour": "red"},'],
  ));
  assert.deepEqual(issues.map((i) => i.path), ['features[0].properties.alert_on[0]', 'features[1].properties', 'features[1].properties.colour']);
});

test('loadZones throws ConfigError', () => {
  assert.throws(() => loadZones('configs/does-not-exist.geojson'), (err: unknown) => err instanceof ConfigError && err.code === 'CONFIG_INVALID');
});
