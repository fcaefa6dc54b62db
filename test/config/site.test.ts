import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import {
  ConfigError,
  formatIssues,
  loadSiteConfig,
  parseSiteConfig,
  toSiteConfigInput,
  type ConfigIssue,
  type SiteConfig,
} from '../../src/config/index.ts';

// A small valid config; the mistake table below edits it line by line (1-based line numbers).
const BASE = [
  /*  1 */ 'site:',
  /*  2 */ '  origin: {lat: 47.0, lon: 8.0, alt_m: 400}',
  /*  3 */ '  volume: {min: [-500, -200, 0], max: [1500, 1800, 400], voxel_m: 4}',
  /*  4 */ 'media_server:',
  /*  5 */ '  max_concurrent_streams: 4',
  /*  6 */ '  network:',
  /*  7 */ '    rtp_port_range: [50000, 50100]',
  /*  8 */ 'cameras:',
  /*  9 */ '  - id: cam01',
  /* 10 */ '    source: "rtsp://user:pass@10.0.0.11/stream1"',
  /* 11 */ '    rtp_config:',
  /* 12 */ '      port: 50002',
  /* 13 */ '      resolution: [1920, 1080]',
  /* 14 */ '    intrinsics_guess: {fx: 1200, fy: 1200, cx: 959.5, cy: 539.5}',
  /* 15 */ '  - id: cam02',
  /* 16 */ '    source: "rtp://0.0.0.0:50004"',
  /* 17 */ '    rtp_config: {codec: h264}',
  /* 18 */ '  - id: cam03',
  /* 19 */ '    source: file:cam03.mkv',
];

/** BASE with line `n` replaced by `text` (several lines allowed; '' deletes). */
function edit(...edits: [number, string][]): string {
  const lines = [...BASE];
  for (const [n, text] of [...edits].sort((a, b) => b[0] - a[0])) lines.splice(n - 1, 1, ...(text === '' ? [] : text.split('\n')));
  return lines.join('\n') + '\n';
}

function refuse(text: string): ConfigIssue[] {
  const r = parseSiteConfig(text, { file: 'site.yaml' });
  assert.equal(r.ok, false, 'config should be refused');
  return r.ok ? [] : r.issues;
}

function accept(text: string, file = '/srv/dvs/site.yaml'): SiteConfig {
  const r = parseSiteConfig(text, { file });
  if (!r.ok) assert.fail(formatIssues(file, r.issues));
  return r.value;
}

test('the base config of the mistake table is valid', () => {
  const cfg = accept(edit());
  assert.equal(cfg.cameras.length, 3);
});

test('example configs load', () => {
  const site = loadSiteConfig('configs/site.example.yaml');
  assert.deepEqual(site.cameras.map((c) => c.id), ['cam01', 'cam02', 'cam03', 'cam04']);
  assert.equal(site.cameras[2]?.source, 'rtsp://user:pass@10.0.0.13:8554/live'); // from the legacy rtsp key
  const media = loadSiteConfig('configs/media-server.example.yaml');
  assert.equal(media.cameras.length, 16);
  assert.ok(media.cameras.every((c) => c.rtp_config.protocol === 'rtp_udp'));
  assert.equal(new Set(media.cameras.map((c) => c.rtp_config.port)).size, 16);
});

test('defaults are filled in as the spec (section 4) gives them', () => {
  const cfg = accept(BASE.slice(0, 3).join('\n') + '\ncameras:\n  - id: a\n    source: file:a.mkv\n    pose: {enu: [0, 0, 5], yaw: 0, pitch: 0}\n    intrinsics: {fx: 1000, fy: 1000, cx: 640, cy: 360}\n');
  const ms = cfg.media_server;
  assert.equal(ms.max_concurrent_streams, 16);
  assert.equal(ms.connection_timeout_ms, 5000);
  assert.equal(ms.reconnect_attempts, 3);
  assert.deepEqual(ms.reconnect_backoff_ms, [1000, 2000, 5000]);
  assert.equal(ms.load_balancing.strategy, 'least_loaded');
  assert.equal(ms.load_balancing.health_threshold, 70);
  assert.equal(ms.network.bind_address, '0.0.0.0');
  assert.deepEqual(ms.network.rtp_port_range, [50000, 50100]);
  assert.equal(ms.network.jitter_buffer_ms, 100);
  assert.equal(ms.network.enable_nagle, false);
  assert.equal(ms.performance.gpu_memory_pool_size_mb, 2048);
  const sp = cfg.stream_processing;
  assert.equal(sp.frame_buffer.max_frames_per_stream, 300);
  assert.equal(sp.quality_adaptation.adaptation_threshold, 0.8);
  assert.equal(sp.synchronization.max_timing_offset_ms, 16);
  assert.equal(sp.synchronization.ptp_priority, 128);
  const mon = cfg.monitoring;
  assert.equal(mon.stream_health.thresholds.packet_loss_rate, 0.05);
  assert.equal(mon.stream_health.metrics.length, 7);
  assert.equal(mon.stream_health.alerting.webhook_url, '');
  assert.equal(mon.performance.memory_utilization_threshold, 0.85);
  assert.deepEqual(cfg.api, { bind_address: '127.0.0.1', port: 8080 });
  const cam = cfg.cameras[0];
  assert.ok(cam);
  assert.equal(cam.enabled, true);
  assert.equal(cam.use_for_calib, true);
  assert.equal(cam.rtp_config.priority, 'medium');
  assert.equal(cam.rtp_config.protocol, 'file');
  assert.deepEqual(cam.privacy_masks, []);
  assert.equal(cam.network_qos.enable_rtcp, true);
  assert.equal(cam.pose?.roll, 0);
  assert.equal(cam.intrinsics?.k1, 0);
  assert.equal(cam.intrinsics?.p1, undefined);
  assert.equal(cam.clock, undefined);
});

test('defaults equal the spec values written out in site.example.yaml', () => {
  const minimal = accept(BASE.slice(0, 3).join('\n') + '\ncameras:\n  - {id: a, source: "file:a.mkv"}\n');
  const example = loadSiteConfig('configs/site.example.yaml');
  assert.deepEqual(minimal.media_server, example.media_server);
  assert.deepEqual(minimal.stream_processing, example.stream_processing);
  assert.deepEqual(minimal.monitoring, example.monitoring);
});

// [name, edited config, path, reason substring, line]
const MISTAKES: [string, string, string, string, number][] = [
  ['unknown key', edit([5, '  max_concurrent_stream: 4']), 'media_server.max_concurrent_stream', "unknown key 'max_concurrent_stream' (did you mean 'max_concurrent_streams'?)", 5],
  ['wrong type', edit([12, '      port: "50002"']), 'cameras[0].rtp_config.port', 'expected integer, got string', 12],
  ['out of range', edit([2, '  origin: {lat: 95, lon: 8.0, alt_m: 400}']), 'site.origin.lat', 'must be <= 90 (got 95)', 2],
  ['lon out of range', edit([2, '  origin: {lat: 47, lon: -181, alt_m: 400}']), 'site.origin.lon', 'must be >= -180 (got -181)', 2],
  ['missing required', edit([15, '  - enabled: true']), 'cameras[1]', "missing required key 'id'", 15],
  ['missing site', edit([1, ''], [2, ''], [3, '']), '', "missing required key 'site'", 1],
  ['bad enum', edit([17, '    rtp_config: {codec: vp8}']), 'cameras[1].rtp_config.codec', 'must be one of h264|h265|mjpeg', 17],
  ['bad camera id', edit([15, '  - id: "cam 02"']), 'cameras[1].id', 'must match ^[A-Za-z0-9_-]{1,64}$', 15],
  ['short tuple', edit([13, '      resolution: [1920]']), 'cameras[0].rtp_config.resolution', 'must have exactly 2 items (got 1)', 13],
  ['payload type', edit([17, '    rtp_config: {payload_type: 128}']), 'cameras[1].rtp_config.payload_type', 'must be <= 127 (got 128)', 17],
  ['jitter buffer', edit([7, '    rtp_port_range: [50000, 50100]\n    jitter_buffer_ms: 20']), 'media_server.network.jitter_buffer_ms', 'must be >= 50 (got 20)', 8],
  ['health threshold', edit([5, '  max_concurrent_streams: 4\n  load_balancing: {health_threshold: 120}']), 'media_server.load_balancing.health_threshold', 'must be <= 100 (got 120)', 6],
  ['empty backoff', edit([5, '  max_concurrent_streams: 4\n  reconnect_backoff_ms: []']), 'media_server.reconnect_backoff_ms', 'must have at least 1 item (got 0)', 6],
  ['voxel size zero', edit([3, '  volume: {min: [-500, -200, 0], max: [1500, 1800, 400], voxel_m: 0}']), 'site.volume.voxel_m', 'must be > 0 (got 0)', 3],
  ['YAML syntax error', edit([13, '      resolution: [1920, 1080']), '', 'YAML syntax error', 14],
  ['bad privacy polygon', edit([14, '    intrinsics_guess: {fx: 1200, fy: 1200, cx: 959.5, cy: 539.5}\n    privacy_masks: [[[0, 0], [100, 0]]]']), 'cameras[0].privacy_masks[0]', 'must have at least 3 items (got 2)', 15],
  ['infinite number', edit([12, '      port: .inf']), 'cameras[0].rtp_config.port', 'must be a finite number', 12],
  // semantic checks (schema passes)
  ['duplicate camera id', edit([15, '  - id: cam01']), 'cameras[1].id', "duplicate camera id 'cam01' (first defined at cameras[0].id, line 9)", 15],
  ['port outside range', edit([12, '      port: 40000']), 'cameras[0].rtp_config.port', 'port 40000 is outside media_server.network.rtp_port_range [50000, 50100]', 12],
  ['duplicate port', edit([16, '    source: "rtp://0.0.0.0:50002"']), 'cameras[1].source', "port 50002 is already used by camera 'cam01' (cameras[0].rtp_config.port, line 12)", 16],
  ['port range reversed', edit([7, '    rtp_port_range: [50100, 50000]']), 'media_server.network.rtp_port_range', 'min 50100 is greater than max 50000', 7],
  ['too many cameras', edit([5, '  max_concurrent_streams: 2']), 'cameras[2]', '3 enabled cameras exceed media_server.max_concurrent_streams (2)', 18],
  ['bad volume', edit([3, '  volume: {min: [-500, -200, 0], max: [1500, -300, 400], voxel_m: 4}']), 'site.volume.max[1]', 'max must be greater than min on axis n (north)', 3],
  ['too many voxels', edit([3, '  volume: {min: [-500, -200, 0], max: [1500, 1800, 400], voxel_m: 0.1}']), 'site.volume.voxel_m', 'more than 2^31', 3],
  ['bad source scheme', edit([10, '    source: "http://10.0.0.11/stream1"']), 'cameras[0].source', "unknown source scheme 'http:'", 10],
  ['rtp without port', edit([16, '    source: "rtp://0.0.0.0"']), 'cameras[1].source', 'rtp:// source needs a port', 16],
  ['no source', edit([19, '']), 'cameras[2]', "camera 'cam03' needs a 'source'", 18],
  ['protocol contradicts scheme', edit([17, '    rtp_config: {protocol: rtsp}']), 'cameras[1].rtp_config.protocol', "protocol 'rtsp' contradicts the rtp: source", 17],
  ['principal point outside image', edit([14, '    intrinsics_guess: {fx: 1200, fy: 1200, cx: 2500, cy: 539.5}']), 'cameras[0].intrinsics_guess.cx', 'principal point x 2500 is outside the image', 14],
  ['degenerate privacy polygon', edit([14, '    intrinsics_guess: {fx: 1200, fy: 1200, cx: 959.5, cy: 539.5}\n    privacy_masks: [[[0, 0], [10, 10], [20, 20]]]']), 'cameras[0].privacy_masks[0]', 'zero area', 15],
  ['bad webhook url', `${edit()}monitoring:\n  stream_health:\n    alerting: {webhook_url: "ftp://x"}\n`, 'monitoring.stream_health.alerting.webhook_url', 'must be empty or an http(s) URL', 22],
];

for (const [name, text, path, reason, line] of MISTAKES) {
  test(`refused: ${name}`, () => {
    const issues = refuse(text);
    const hit = issues.find((i) => i.path === path && i.message.includes(reason));
    assert.ok(hit, `no issue at '${path}' containing '${reason}'; got:\n${formatIssues('site.yaml', issues)}`);
    assert.equal(hit.line, line, `line of ${path}`);
    assert.equal(issues.length, 1, `exactly one issue expected; got:\n${formatIssues('site.yaml', issues)}`);
  });
}

test('several schema mistakes are all reported, in line order', () => {
  const issues = refuse(edit(
    [2, '  origin: {lat: 95, lon: 8.0, alt_m: 400}'],
    [5, '  max_concurrent_stream: 4'],
    [12, '      port: "50002"'],
    [15, '  - enabled: true'],
    [17, '    rtp_config: {codec: vp8}'],
  ));
  assert.deepEqual(issues.map((i) => [i.path, i.line]), [
    ['site.origin.lat', 2],
    ['media_server.max_concurrent_stream', 5],
    ['cameras[0].rtp_config.port', 12],
    ['cameras[1]', 15],
    ['cameras[1].rtp_config.codec', 17],
  ]);
});

test('several semantic mistakes are all reported', () => {
  const issues = refuse(edit([12, '      port: 40000'], [15, '  - id: cam01'], [19, '    source: "ftp://x/y"']));
  assert.deepEqual(issues.map((i) => i.path), ['cameras[0].rtp_config.port', 'cameras[1].id', 'cameras[2].source']);
});

test('ConfigError from loadSiteConfig lists every issue as file:line:col path: reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dvs-config-'));
  const file = join(dir, 'site.yaml');
  writeFileSync(file, edit([12, '      port: 40000'], [15, '  - id: cam01']));
  assert.throws(() => loadSiteConfig(file), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.deepEqual(err.message.split('\n'), [
      `${file}:12:7 cameras[0].rtp_config.port: port 40000 is outside media_server.network.rtp_port_range [50000, 50100]`,
      `${file}:15:5 cameras[1].id: duplicate camera id 'cam01' (first defined at cameras[0].id, line 9)`,
    ]);
    return true;
  });
  assert.throws(() => loadSiteConfig(join(dir, 'missing.yaml')), (err: unknown) => err instanceof ConfigError && /cannot read/.test(err.message));
});

test('file: sources resolve against the config folder; protocol is derived from the scheme', () => {
  const cfg = accept(edit([19, '    source: file:videos/cam03.mkv']), '/srv/dvs/site.yaml');
  const [c1, c2, c3] = cfg.cameras;
  assert.equal(c3?.source, 'file:videos/cam03.mkv');
  assert.equal(c3?.resolvedSource, 'file:/srv/dvs/videos/cam03.mkv');
  assert.equal(c3?.rtp_config.protocol, 'file');
  assert.equal(c1?.rtp_config.protocol, 'rtsp');
  assert.equal(c1?.resolvedSource, c1?.source);
  assert.equal(c2?.rtp_config.protocol, 'rtp_udp');
  const other = parseSiteConfig(edit(), { file: 'x/site.yaml', baseDir: '/data/run1' });
  assert.ok(other.ok);
  assert.equal(other.value.cameras[2]?.resolvedSource, 'file:/data/run1/cam03.mkv');
  const abs = accept(edit([19, '    source: file:/media/cam03.mkv']));
  assert.equal(abs.cameras[2]?.resolvedSource, 'file:/media/cam03.mkv');
  const rel = parseSiteConfig(edit(), {});
  assert.ok(rel.ok);
  assert.equal(rel.value.cameras[2]?.resolvedSource, `file:${resolve('cam03.mkv')}`);
});

test('the spec example (rtsp key + rtp_udp protocol) is accepted', () => {
  const cfg = accept(edit([10, '    rtsp: "rtsp://user:pass@10.0.0.11/stream1"'], [11, '    rtp_config:\n      protocol: "rtp_udp"']));
  assert.equal(cfg.cameras[0]?.source, 'rtsp://user:pass@10.0.0.11/stream1');
  assert.equal(cfg.cameras[0]?.rtp_config.protocol, 'rtp_udp');
});

test('a loaded config written back as YAML loads to the same value', () => {
  const cfg = loadSiteConfig('configs/site.example.yaml');
  const again = parseSiteConfig(stringify(toSiteConfigInput(cfg)), { file: resolve('configs/site.example.yaml') });
  if (!again.ok) assert.fail(formatIssues('roundtrip', again.issues));
  assert.deepEqual(again.value, cfg);
});

test('credentials never appear in issues', () => {
  const issues = refuse(edit([10, '    source: "rtsp://admin:hunter2@[::1/x"'], [16, '    source: "rtp://admin:hunter2@0.0.0.0"']));
  const text = formatIssues('site.yaml', issues);
  assert.equal(issues.length, 2);
  assert.doesNotMatch(text, /hunter2/);
  const typed = refuse(edit([15, '  - id: "rtsp://admin:hunter2@cam"']));
  assert.doesNotMatch(formatIssues('site.yaml', typed), /hunter2/);
});

test('fuzz: mutated example configs never throw; every issue has a message and a position', async () => {
  const { readFileSync } = await import('node:fs');
  const original = readFileSync('configs/site.example.yaml', 'utf8');
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31; // fixed LCG: reproducible
    return seed % n;
  };
  const junk = [':', '-', '[', ']', '{', '}', '"', "'", '#', '&a', '*a', ' ', '\n', '0', '-1', 'x', '1e400', '.nan', '<<'];
  let refused = 0;
  for (let k = 0; k < 300; k++) {
    let text = original;
    for (let m = 0, count = 1 + rand(3); m < count; m++) {
      const at = rand(text.length);
      const op = rand(3);
      if (op === 0) text = text.slice(0, at) + text.slice(at + 1 + rand(8));
      else if (op === 1) text = text.slice(0, at) + (junk[rand(junk.length)] ?? '') + text.slice(at);
      else {
        const lines = text.split('\n');
        const i = rand(lines.length);
        lines.splice(rand(lines.length), 0, lines[i] ?? '');
        text = lines.join('\n');
      }
    }
    const r = parseSiteConfig(text, { file: 'fuzz.yaml' });
    if (r.ok) continue;
    refused++;
    assert.ok(r.issues.length > 0);
    for (const i of r.issues) {
      assert.ok(i.message.length > 0);
      assert.ok(i.line === undefined || (i.line >= 1 && i.line <= text.split('\n').length + 1), `line ${i.line}`);
      assert.doesNotMatch(i.message, /user:pass/);
    }
  }
  assert.ok(refused > 100, `only ${refused} of 300 mutants refused`);
});
