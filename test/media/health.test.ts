import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HEALTH_THRESHOLDS, HealthMonitor, healthScore, type HealthInput } from '../../src/media/health/index.ts';

const near = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

const perfect: HealthInput = {
  packetLossRate: 0, jitterMs: { current: 0, min: 0, max: 0, mean: 0 }, frameDropRate: 0, networkLatencyMs: null,
  bitrateKbps: 4000, width: 1920, height: 1080, fps: 30, resolutionChanges: 0, codecSwitches: 0, secondsSinceLastFrame: 0.03, state: 'active',
};

test('default thresholds are the spec monitoring defaults (5 %, 50 ms, 10 %, 200 ms)', () => {
  assert.deepEqual(DEFAULT_HEALTH_THRESHOLDS, { packet_loss_rate: 0.05, jitter_ms: 50, frame_drop_rate: 0.1, network_latency_ms: 200 });
});

test('worked example 1 (docs): mild loss, jitter and latency, one resolution change → 80.875', () => {
  const h = healthScore({ ...perfect, packetLossRate: 0.02, jitterMs: { current: 10, min: 2, max: 30, mean: 12 }, networkLatencyMs: 45, expectedFps: 30, resolutionChanges: 1 });
  // By hand: loss r = 0.4 → 80; jitter r = 0.2 → 90; drop → 100; latency r = 0.225 → 88.75; fps 30/30 → 100.
  // M = (3·80 + 2·90 + 2·100 + 1·88.75 + 2·100) / 10 = 908.75 / 10 = 90.875; cap 80 + 40 = 120; − 10 (one change).
  near(h.components.packet_loss_rate!.score, 80);
  near(h.components.jitter_ms!.score, 90);
  near(h.components.network_latency_ms!.score, 88.75);
  near(h.components.fps!.score, 100);
  near(h.mean, 90.875);
  assert.equal(h.penalty, 10);
  near(h.score, 80.875);
  assert.equal(h.worst, 'packet_loss_rate');
});

test('worked example 2 (docs): 8 % loss alone is capped by the worst component → 60, below the 70 threshold', () => {
  const h = healthScore({ ...perfect, packetLossRate: 0.08 });
  // loss r = 1.6 → 20; jitter, drop 100; latency unknown (no component); M = (60 + 200 + 200)/7 = 65.71…; cap 20 + 40 = 60.
  near(h.mean, 460 / 7);
  near(h.score, 60);
  assert.equal(h.components.network_latency_ms, undefined);
  assert.equal(h.worst, 'packet_loss_rate');
});

test('fps shortfall of 20 % scores 50 for that component; loss at twice the threshold scores 0 for it', () => {
  const a = healthScore({ ...perfect, fps: 24, expectedFps: 30 });
  near(a.components.fps!.score, 50);
  near(a.score, 800 / 9); // (3+2+2)·100 + 2·50 over weight 9; cap 50 + 40 = 90 does not bite
  const b = healthScore({ ...perfect, packetLossRate: 0.1 });
  near(b.components.packet_loss_rate!.score, 0);
  near(b.score, 40); // M = 400/7 = 57.1, cap 0 + 40
});

test('stalled or not active → 0; penalties are capped; metrics list restricts the components', () => {
  assert.equal(healthScore({ ...perfect, secondsSinceLastFrame: 5 }).score, 0);
  assert.equal(healthScore({ ...perfect, secondsSinceLastFrame: 5 }).worst, 'stalled');
  assert.equal(healthScore({ ...perfect, secondsSinceLastFrame: Infinity }).score, 0);
  assert.equal(healthScore({ ...perfect, state: 'reconnecting' }).worst, 'state');
  const sw = healthScore({ ...perfect, codecSwitches: 3 });
  assert.equal(sw.penalty, 50); // 3·20 = 60, capped at 50
  near(sw.score, 50);
  const only = healthScore({ ...perfect, packetLossRate: 0.025, jitterMs: { current: 500, min: 0, max: 0, mean: 0 }, codecSwitches: 2 }, DEFAULT_HEALTH_THRESHOLDS, { metrics: ['packet_loss_rate'] });
  assert.deepEqual(Object.keys(only.components), ['packet_loss_rate']);
  near(only.score, 75); // r = 0.5 → 75, no penalty since codec_switches is not listed
});

test('custom thresholds (site.yaml monitoring.stream_health.thresholds) and a minimum bitrate', () => {
  const h = healthScore({ ...perfect, packetLossRate: 0.05, bitrateKbps: 384 }, { packet_loss_rate: 0.1, jitter_ms: 50, frame_drop_rate: 0.1, network_latency_ms: 200 }, { minBitrateKbps: 512 });
  near(h.components.packet_loss_rate!.score, 75); // 0.05 / 0.1 = 0.5
  near(h.components.stream_bitrate_kbps!.score, 75); // shortfall 0.25 / 0.5 = 0.5
  near(h.score, (3 * 75 + 200 + 200 + 75) / 8);
});

test('HealthMonitor: degrade after 3 s below 70, recover after 3 s at ≥ 80, scores in between reset the timer', () => {
  let t = 0;
  const m = new HealthMonitor({ degradeBelow: 70, recoverMargin: 10, minDwellMs: 3000, now: () => t });
  const seen: string[] = [];
  m.on('degraded', (e) => seen.push(`degraded@${e.atMs} since ${e.sinceMs}`));
  m.on('recovered', (e) => seen.push(`recovered@${e.atMs} since ${e.sinceMs}`));
  const steps: [number, number][] = [
    [0, 90], [1000, 65], [2000, 72], [3000, 60], [5000, 50], [6000, 55], // dip at 1000 reset by 72; 3000→6000 below
    [7000, 75], [8000, 85], [10000, 79], [11000, 80], [13000, 99], [14000, 95],
  ];
  for (const [when, s] of steps) {
    t = when;
    m.update('cam01', s);
  }
  assert.deepEqual(seen, ['degraded@6000 since 3000', 'recovered@14000 since 11000']);
  assert.equal(m.status('cam01')!.state, 'healthy');
  assert.equal(m.status('cam01')!.sinceMs, 14000);
});

test('HealthMonitor: a throwing listener is counted and does not stop the others; detail carries the worst metric', () => {
  const m = new HealthMonitor({ minDwellMs: 0 });
  let got = '';
  m.on('degraded', () => { throw new Error('boom'); });
  m.on('degraded', (e) => { got = String(e.worst); });
  const tr = m.update('cam02', healthScore({ ...perfect, packetLossRate: 0.2 }), 10);
  assert.equal(tr?.type, 'degraded');
  assert.equal(got, 'packet_loss_rate');
  assert.equal(m.listenerErrors, 1);
  m.close();
  m.close();
  assert.throws(() => m.update('cam02', 50, 20), /closed/);
});

test('settings from site.yaml: thresholds, metrics and health_threshold reach the scorer and the monitor', async () => {
  const { parseSiteConfig } = await import('../../src/config/index.ts');
  const { healthSettingsFromConfig } = await import('../../src/media/health/index.ts');
  const yaml = [
    'site:', '  origin: {lat: 47.0, lon: 8.0, alt_m: 400}', '  volume: {min: [-500, -200, 0], max: [1500, 1800, 400], voxel_m: 4}',
    'media_server:', '  load_balancing: {health_threshold: 60}',
    'cameras:', '  - {id: a, source: "file:a.mkv"}',
    'monitoring:', '  stream_health:', '    metrics: [packet_loss_rate, jitter_ms]',
    '    thresholds: {packet_loss_rate: 0.02, jitter_ms: 20}', '    alerting: {webhook_url: "http://127.0.0.1:9/hook"}', '',
  ].join('\n');
  const cfg = parseSiteConfig(yaml);
  assert.ok(cfg.ok);
  const s = healthSettingsFromConfig(cfg.value);
  assert.deepEqual(s.thresholds, { packet_loss_rate: 0.02, jitter_ms: 20, frame_drop_rate: 0.1, network_latency_ms: 200 });
  assert.equal(s.webhookUrl, 'http://127.0.0.1:9/hook');
  const h = healthScore({ ...perfect, packetLossRate: 0.01, jitterMs: { current: 30, min: 0, max: 0, mean: 0 }, frameDropRate: 0.5, codecSwitches: 1 }, s.thresholds, s.score);
  // Only loss (0.01/0.02 → 75) and jitter (30/20 → 25) count: M = (225 + 50)/5 = 55, cap 25 + 40 = 65 → 55.
  near(h.score, 55);
  const m = new HealthMonitor({ ...s.monitor, minDwellMs: 0 });
  assert.equal(m.update('a', 59, 0)?.type, 'degraded');
  assert.equal(m.update('a', 69, 1), null); // recovery needs 60 + 10
  assert.equal(m.update('a', 70, 2)?.type, 'recovered');
});
