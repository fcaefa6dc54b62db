/** JSON shapes of the API (spec 5.1 / 5.2 field names), built from the media server's state. */
import { redactCredentials, redactCredentialsInText } from '../config/redact.ts';
import type { MediaServer, ServerAlert } from './media-server.ts';

const UNIX_OFFSET = performance.timeOrigin;
const r = (v: number | null | undefined, d = 4): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10 ** d) / 10 ** d);
const iso = (perfMs: number | null): string | null => (perfMs === null ? null : new Date(UNIX_OFFSET + perfMs).toISOString());

/** One stream as GET /api/v1/streams lists it. */
export function streamView(srv: MediaServer, id: string) {
  const s = srv.snapshot(id);
  const h = srv.health(id);
  const m = s.metrics;
  const j = m.jitter_ms;
  return {
    id,
    status: s.state,
    /** Same as status (the stream manager's name for it). */
    state: s.state,
    health_score: h.score,
    health_state: h.health_state,
    health_worst: h.worst,
    codec: s.codec,
    resolution: m.resolution,
    fps: r(m.fps, 2),
    source: redactCredentials(s.source),
    kind: s.kind,
    carrier: m.carrier,
    ssrc: m.ssrc,
    priority: s.priority,
    lane: srv.lane(id),
    metrics: {
      packet_loss_rate: r(m.packet_loss_rate),
      packet_loss_rate_cumulative: r(m.packet_loss_rate_cumulative),
      jitter_ms: r(j.current, 3),
      jitter: { current: r(j.current, 3), min: r(j.min, 3), max: r(j.max, 3), mean: r(j.mean, 3) },
      frame_drop_rate: r(m.frame_drop_rate),
      network_latency_ms: r(m.network_latency_ms, 2),
      current_bitrate_kbps: r(m.stream_bitrate_kbps, 1),
      current_resolution: m.resolution,
      current_fps: r(m.fps, 2),
      packets_received: m.packets_received,
      packets_lost: m.packets_lost,
      frames_delivered: m.frames_delivered,
      frames_dropped: m.frames_dropped,
      resolution_changes: m.resolution_changes,
      codec_switches: m.codec_switches,
      keyframe_requests: m.keyframe_requests,
      window_ms: Math.round(m.window_ms),
    },
    uptime_seconds: s.active_since_ms === null ? 0 : Math.max(0, Math.round((performance.now() - s.active_since_ms) / 100) / 10),
    last_frame_timestamp: iso(m.last_frame_ms),
    reconnect_count: s.reconnect_count,
    attempt: s.attempt,
    last_error: s.last_error === null ? null : redactCredentialsInText(s.last_error),
  };
}

export type StreamView = ReturnType<typeof streamView>;

/** One /ws/stream-health message for a stream (spec 5.2 shape plus type/status). */
export function healthMessage(srv: MediaServer, id: string, alerts: readonly ServerAlert[]) {
  const v = streamView(srv, id);
  return {
    type: 'health' as const,
    stream_id: id,
    timestamp: new Date().toISOString(),
    status: v.status,
    health_score: v.health_score,
    health_state: v.health_state,
    metrics: {
      packet_loss_rate: v.metrics.packet_loss_rate,
      jitter_ms: v.metrics.jitter_ms,
      frame_drop_rate: v.metrics.frame_drop_rate,
      network_latency_ms: v.metrics.network_latency_ms,
      current_bitrate_kbps: v.metrics.current_bitrate_kbps,
      current_fps: v.metrics.current_fps,
    },
    alerts: alerts.map((a) => alertView(a)),
  };
}

export function alertView(a: ServerAlert) {
  return {
    type: a.type,
    stream_id: a.streamId,
    health_score: r(a.score, 2),
    worst: a.worst,
    since: new Date(a.sinceMs).toISOString(),
    timestamp: new Date(a.at).toISOString(),
  };
}

/** GET /api/v1/sync: master, clock offsets and the latest group around the master's newest frame. */
export function syncView(srv: MediaServer) {
  const sync = srv.sync;
  const times = sync.masterFrameTimes();
  const t = times.length > 0 ? times[times.length - 1]! : null;
  const group = t === null ? null : sync.getSynchronizedFrames(t);
  return {
    master: sync.master,
    max_timing_offset_ms: sync.maxTimingOffsetMs,
    offsets: sync.offsets().map((o) => ({
      stream_id: o.streamId, clock_offset_ms: r(o.clockOffsetMs, 3), frame_phase_ms: r(o.framePhaseMs, 3), method: o.method, drift_ppm: r(o.driftPpm, 2),
    })),
    latest_group: group === null ? null : {
      t: new Date(group.t).toISOString(),
      complete: group.complete,
      slots: group.slots.map((s) => ({
        stream_id: s.streamId, delta_ms: r(s.deltaMs, 3), matched: s.frame !== null,
        rtp_timestamp: s.frame?.rtpTimestamp ?? null, method: s.frame?.method ?? null, uncertainty_ms: r(s.frame?.uncertaintyMs, 3),
      })),
    },
  };
}

/** GET /api/v1/pipeline: whether the live pipeline runs, its counters and the latest frame group. */
export function pipelineView(srv: MediaServer) {
  const p = srv.pipeline;
  if (!p) return { enabled: false, reason: srv.pipelineState.reason };
  const g = p.latestGroup;
  const c = p.counters;
  return {
    enabled: true,
    reason: null,
    time_source: p.timeSource,
    epoch_unix_ms: p.epochUnixMs,
    max_timing_offset_ms: p.toleranceMs,
    cameras: p.cameras.map((cam) => {
      const d = p.decoderStats(cam.id);
      return { id: cam.id, resolution: [cam.camera.width, cam.camera.height], decoder: d === null ? null : { state: d.state, codec: d.codec, decoded: d.decoded, incomplete: d.incomplete, crashes: d.crashes, skipped: d.skippedInput + d.skippedOutput, expired: d.expired } };
    }),
    counters: { ...c },
    max_spread_ms: r(p.maxSpreadMs, 3),
    last_tick: p.lastTick,
    detections: c.detections,
    track_updates: c.trackUpdates,
    live_tracks: p.liveTracks().length,
    latest_group: g === null ? null : {
      t: r(g.t, 6),
      t_unix: new Date(p.epochUnixMs + g.t * 1000).toISOString(),
      anchor: g.anchor,
      complete: g.complete,
      spread_ms: r(g.spreadMs, 3),
      frames: g.frames.map((f, i) => (f === null ? { camera_id: p.cameras[i]!.id, matched: false } : {
        camera_id: f.cameraId, matched: true, site_time: r(f.siteTime, 6), camera_time: r(f.cameraTime, 6), delta_ms: r((f.siteTime - g.t) * 1000, 3),
        capture_unix_ms: r(f.captureUnixMs, 3), method: f.method, uncertainty_ms: r(f.uncertaintyMs, 3), rtp_timestamp: f.rtpTimestamp,
        age_ms: r(Date.now() - f.arrivalUnixMs, 1), // since the coded frame arrived
      })),
    },
  };
}

/** GET /api/v1/tracks: the latest update of every track not lost (CONTRACTS §6 record shape). */
export function tracksView(srv: MediaServer) {
  const p = srv.pipeline;
  return { enabled: p !== null, t: p?.lastTick ?? null, epoch_unix_ms: p?.epochUnixMs ?? null, tracks: p?.liveTracks() ?? [] };
}

/** GET /api/v1/detections?since=T: recent 3D detections with t > T (site seconds). */
export function detectionsView(srv: MediaServer, since: number) {
  const p = srv.pipeline;
  return { enabled: p !== null, epoch_unix_ms: p?.epochUnixMs ?? null, detections: p?.detections(since) ?? [] };
}
