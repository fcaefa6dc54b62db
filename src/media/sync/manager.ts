/**
 * Multi-stream synchronisation: per stream a ClockMapper and a bounded ring of recent frames;
 * groups, for a time T, the frame of each stream nearest T within ±maxTimingOffsetMs; keeps a
 * master stream chosen by health and replaced (with hysteresis) when it degrades.
 *
 * Timeline: each frame's capture time on its stream's reference clock, minus that stream's clock
 * offset to the master. With clockAlignment 'shared' (default) every reference clock is taken to
 * be the same (senders on one NTP/PTP time, as RFC 3550 sender reports and RFC 7273 intend), so
 * offsets are 0. With 'arrival', a sender's clock offset to the master is estimated as the
 * difference of their minimum transit (arrival − capture) over the ring, which assumes equal
 * minimum network delay (a LAN): it corrects a sender whose wall clock is wrong.
 */
import { MediaError, checkRange } from '../errors.ts';
import { TypedEmitter } from '../health/emitter.ts';
import type { SdpMedia, SessionDescription } from '../sdp/types.ts';
import { ClockMapper, type CaptureMethod, type ClockMapperOptions } from './clock.ts';

export interface SyncFrameInput<P = unknown> {
  streamId: string;
  rtpTimestamp: number;
  /** Receiver clock, ms (Unix ms when the arrival fallback should be comparable with reference clocks). */
  arrivalMs: number;
  payload?: P;
}

export interface SyncedFrame<P = unknown> {
  streamId: string;
  rtpTimestamp: number;
  /** Unwrapped RTP timestamp. */
  extTimestamp: number;
  arrivalMs: number;
  /** Capture time on the stream's reference clock (Unix ms). */
  captureMs: number;
  /** captureMs − the stream's clock offset to the master: the common timeline. */
  syncMs: number;
  method: CaptureMethod;
  uncertaintyMs: number;
  payload: P | undefined;
}

export interface SyncSlot<P = unknown> {
  streamId: string;
  /** The frame nearest T when within ±maxTimingOffsetMs, else null. */
  frame: SyncedFrame<P> | null;
  /** syncMs − T of the nearest frame (even when out of tolerance); null without frames. */
  deltaMs: number | null;
}

export interface SyncGroup<P = unknown> {
  t: number;
  master: string | null;
  /** One slot per stream, in registration order. */
  slots: SyncSlot<P>[];
  /** Every stream has a frame within tolerance. */
  complete: boolean;
}

export interface StreamOffset {
  streamId: string;
  /** How far this stream's reference clock is ahead of the master's (0 in 'shared' mode). */
  clockOffsetMs: number;
  /** Median over the master's recent frames of (nearest frame of this stream − master frame), ms; null without overlap. */
  framePhaseMs: number | null;
  method: CaptureMethod | null;
  driftPpm: number | null;
}

export interface MasterChange {
  previous: string | null;
  current: string | null;
  reason: 'initial' | 'degraded' | 'removed';
  atMs: number;
}

export interface SyncManagerEvents {
  master: MasterChange;
}

export interface SyncManagerOptions {
  /** Frame grouping tolerance (stream_processing.synchronization.max_timing_offset_ms). Default 16. */
  maxTimingOffsetMs?: number;
  /** Recent frames kept per stream (stream_processing.frame_buffer.max_frames_per_stream). Default 300. */
  ringSize?: number;
  /** 'shared' (default) or 'arrival'; see the file header. */
  clockAlignment?: 'shared' | 'arrival';
  /** The master is replaced after its health stays below this for masterDwellMs. Default 70 (load_balancing.health_threshold). */
  degradeBelow?: number;
  /** A replacement must score at least this much above the degraded master. Default 10. */
  masterMargin?: number;
  /** Default 2000 ms. */
  masterDwellMs?: number;
  /** Pull-style health source (e.g. a HealthMonitor's status().score); overrides setHealth values it answers. */
  healthOf?: (streamId: string) => number | undefined;
  /** Clock for calls without nowMs. Default Date.now. */
  now?: () => number;
}

interface StreamState<P> {
  id: string;
  mapper: ClockMapper;
  ext: Float64Array;
  rtp: Uint32Array;
  arrival: Float64Array;
  payload: (P | undefined)[];
  head: number;
  count: number;
  health: number | undefined;
}

export class SyncManager<P = unknown> extends TypedEmitter<SyncManagerEvents> {
  readonly maxTimingOffsetMs: number;
  private readonly ringSize: number;
  private readonly alignment: 'shared' | 'arrival';
  private readonly degradeBelow: number;
  private readonly margin: number;
  private readonly dwellMs: number;
  private readonly healthOf: ((id: string) => number | undefined) | null;
  private readonly now: () => number;
  private readonly streams = new Map<string, StreamState<P>>();
  private masterId: string | null = null;
  private masterBelowSince: number | null = null;
  private closed = false;

  constructor(opts: SyncManagerOptions = {}) {
    super();
    this.maxTimingOffsetMs = checkRange('maxTimingOffsetMs', opts.maxTimingOffsetMs ?? 16, 0, 10000);
    this.ringSize = checkRange('ringSize', opts.ringSize ?? 300, 1, 100000, true);
    this.alignment = opts.clockAlignment ?? 'shared';
    if (this.alignment !== 'shared' && this.alignment !== 'arrival') throw new MediaError('MEDIA_OPTIONS', 'clockAlignment must be shared or arrival');
    this.degradeBelow = checkRange('degradeBelow', opts.degradeBelow ?? 70, 0, 100);
    this.margin = checkRange('masterMargin', opts.masterMargin ?? 10, 0, 100);
    this.dwellMs = checkRange('masterDwellMs', opts.masterDwellMs ?? 2000, 0, 3600000);
    this.healthOf = opts.healthOf ?? null;
    this.now = opts.now ?? Date.now;
  }

  get master(): string | null {
    return this.masterId;
  }

  /** Register a stream; RFC 7273 signalling and the clock rate can come from its SDP. */
  addStream(id: string, opts: ClockMapperOptions & { sdp?: { media: SdpMedia; session?: SessionDescription; payloadType?: number } } = {}, nowMs: number = this.now()): ClockMapper {
    this.assertOpen();
    if (this.streams.has(id)) throw new MediaError('MEDIA_ARGUMENT', `stream ${id} already registered`);
    const { sdp, ...mapperOpts } = opts;
    const fromSdp = sdp ? ClockMapper.optionsFromSdp(sdp.media, sdp.session, sdp.payloadType) : {};
    const mapper = new ClockMapper({ ...fromSdp, ...mapperOpts });
    const n = this.ringSize;
    this.streams.set(id, {
      id, mapper, ext: new Float64Array(n), rtp: new Uint32Array(n), arrival: new Float64Array(n),
      payload: new Array<P | undefined>(n).fill(undefined), head: 0, count: 0, health: undefined,
    });
    this.electMaster(nowMs);
    return mapper;
  }

  removeStream(id: string, nowMs: number = this.now()): boolean {
    if (!this.streams.delete(id)) return false;
    if (this.masterId === id) {
      const prev = this.masterId;
      this.masterId = null;
      this.masterBelowSince = null;
      const next = this.best(null);
      this.masterId = next;
      this.emit('master', { previous: prev, current: next, reason: 'removed', atMs: nowMs });
    }
    return true;
  }

  /** Forget a stream's frames and clock fits (its sender restarted with a new SSRC). */
  resetStream(id: string): boolean {
    const s = this.streams.get(id);
    if (!s) return false;
    s.mapper.reset();
    s.head = 0;
    s.count = 0;
    s.payload.fill(undefined);
    return true;
  }

  mapper(id: string): ClockMapper | undefined {
    return this.streams.get(id)?.mapper;
  }

  /** A decoded or depacketized frame; returns it with its capture time, or null for an unknown stream or a non-finite field. */
  pushFrame(f: SyncFrameInput<P>): SyncedFrame<P> | null {
    this.assertOpen();
    const s = this.streams.get(f.streamId);
    if (!s || !Number.isFinite(f.rtpTimestamp) || !Number.isFinite(f.arrivalMs)) return null;
    const ext = s.mapper.onArrival(f.rtpTimestamp, f.arrivalMs);
    s.ext[s.head] = ext;
    s.rtp[s.head] = f.rtpTimestamp >>> 0;
    s.arrival[s.head] = f.arrivalMs;
    s.payload[s.head] = f.payload;
    const at = s.head;
    s.head = (s.head + 1) % this.ringSize;
    s.count = Math.min(this.ringSize, s.count + 1);
    return this.frameAt(s, at, this.clockOffset(s));
  }

  /** An RTCP sender report of the stream's source. */
  pushSenderReport(streamId: string, sr: { ntpSec: number; ntpFrac: number; rtpTimestamp: number }): 'accepted' | 'reset' | 'rejected' | 'unknown-stream' {
    this.assertOpen();
    const s = this.streams.get(streamId);
    return s ? s.mapper.onSenderReport(sr) : 'unknown-stream';
  }

  /** Push-style health (0..100) for master election. */
  setHealth(streamId: string, score: number, nowMs: number = this.now()): void {
    const s = this.streams.get(streamId);
    if (!s) return;
    s.health = score;
    this.electMaster(nowMs);
  }

  /**
   * Re-evaluate the master: the first one is the healthiest stream (registration order breaks
   * ties, unknown health ranks last); it is replaced by the healthiest other stream once its
   * score has stayed below degradeBelow for masterDwellMs and that stream scores at least
   * masterMargin more. Returns the master.
   */
  electMaster(nowMs: number = this.now()): string | null {
    if (this.masterId === null) {
      const b = this.best(null);
      if (b !== null) {
        this.masterId = b;
        this.masterBelowSince = null;
        this.emit('master', { previous: null, current: b, reason: 'initial', atMs: nowMs });
      }
      return this.masterId;
    }
    const m = this.healthOfStream(this.masterId);
    if (m === undefined || m >= this.degradeBelow) {
      this.masterBelowSince = null;
      return this.masterId;
    }
    this.masterBelowSince ??= nowMs;
    if (nowMs - this.masterBelowSince < this.dwellMs) return this.masterId;
    const b = this.best(this.masterId);
    const bs = b === null ? undefined : this.healthOfStream(b);
    if (b !== null && bs !== undefined && bs >= m + this.margin) {
      const prev = this.masterId;
      this.masterId = b;
      this.masterBelowSince = null;
      this.emit('master', { previous: prev, current: b, reason: 'degraded', atMs: nowMs });
    }
    return this.masterId;
  }

  /** For each stream, the frame nearest T (common timeline, ms) within ±maxTimingOffsetMs. */
  getSynchronizedFrames(t: number, nowMs?: number): SyncGroup<P> {
    this.assertOpen();
    if (this.healthOf) this.electMaster(nowMs ?? this.now());
    const slots: SyncSlot<P>[] = [];
    let complete = this.streams.size > 0;
    for (const s of this.streams.values()) {
      const off = this.clockOffset(s);
      let bestI = -1;
      let bestD = Infinity;
      let bestSigned = 0;
      for (let k = 0; k < s.count; k++) {
        const c = s.mapper.captureTimeExt(s.ext[k]!, s.arrival[k]!);
        if (!c) continue;
        const d = c.captureMs - off - t;
        if (Math.abs(d) < bestD) {
          bestD = Math.abs(d);
          bestSigned = d;
          bestI = k;
        }
      }
      const frame = bestI >= 0 && bestD <= this.maxTimingOffsetMs ? this.frameAt(s, bestI, off) : null;
      if (!frame) complete = false;
      slots.push({ streamId: s.id, frame, deltaMs: bestI >= 0 ? bestSigned : null });
    }
    return { t, master: this.masterId, slots, complete };
  }

  /** Common-timeline times of the master's frames in the ring, oldest first (candidate T values). */
  masterFrameTimes(): number[] {
    const s = this.masterId === null ? undefined : this.streams.get(this.masterId);
    if (!s) return [];
    const off = this.clockOffset(s);
    const out: number[] = [];
    for (let k = 0; k < s.count; k++) {
      const c = s.mapper.captureTimeExt(s.ext[k]!, s.arrival[k]!);
      if (c) out.push(c.captureMs - off);
    }
    return out.sort((a, b) => a - b);
  }

  /** Clock offsets to the master and typical frame phase per stream (registration order). */
  offsets(): StreamOffset[] {
    const times = this.masterFrameTimes();
    const out: StreamOffset[] = [];
    for (const s of this.streams.values()) {
      const off = this.clockOffset(s);
      const mine: number[] = [];
      for (let k = 0; k < s.count; k++) {
        const c = s.mapper.captureTimeExt(s.ext[k]!, s.arrival[k]!);
        if (c) mine.push(c.captureMs - off);
      }
      mine.sort((a, b) => a - b);
      const phases: number[] = [];
      if (mine.length > 0) {
        let j = 0;
        for (const t of times) {
          if (t < mine[0]! || t > mine[mine.length - 1]!) continue; // only where the rings overlap
          while (j + 1 < mine.length && Math.abs(mine[j + 1]! - t) <= Math.abs(mine[j]! - t)) j++;
          phases.push(mine[j]! - t);
        }
      }
      phases.sort((a, b) => a - b);
      const framePhaseMs = phases.length === 0 ? null
        : phases.length % 2 === 1 ? phases[phases.length >> 1]! : (phases[phases.length / 2 - 1]! + phases[phases.length / 2]!) / 2;
      out.push({ streamId: s.id, clockOffsetMs: off, framePhaseMs, method: s.mapper.method, driftPpm: s.mapper.driftPpm });
    }
    return out;
  }

  /** Safe to call twice. */
  close(): void {
    this.closed = true;
    this.streams.clear();
    this.masterId = null;
    this.removeAllListeners();
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('MEDIA_STATE', 'SyncManager is closed');
  }

  private healthOfStream(id: string): number | undefined {
    return this.healthOf?.(id) ?? this.streams.get(id)?.health;
  }

  /** Healthiest stream other than `except`; registration order breaks ties; unknown health ranks last. */
  private best(except: string | null): string | null {
    let bestId: string | null = null;
    let bestScore = -Infinity;
    for (const id of this.streams.keys()) {
      if (id === except) continue;
      const h = this.healthOfStream(id) ?? -1;
      if (bestId === null || h > bestScore) {
        bestId = id;
        bestScore = h;
      }
    }
    return bestId;
  }

  /** Minimum of arrival − capture over the ring (minimum transit), or null. */
  private minTransit(s: StreamState<P>): number | null {
    let m = Infinity;
    for (let k = 0; k < s.count; k++) {
      const c = s.mapper.captureTimeExt(s.ext[k]!, s.arrival[k]!);
      if (c) m = Math.min(m, s.arrival[k]! - c.captureMs);
    }
    return Number.isFinite(m) ? m : null;
  }

  /** How far this stream's reference clock is ahead of the master's. */
  private clockOffset(s: StreamState<P>): number {
    if (this.alignment === 'shared' || this.masterId === null || s.id === this.masterId) return 0;
    const master = this.streams.get(this.masterId);
    if (!master) return 0;
    const ds = this.minTransit(s);
    const dm = this.minTransit(master);
    return ds === null || dm === null ? 0 : dm - ds;
  }

  private frameAt(s: StreamState<P>, k: number, offset: number): SyncedFrame<P> | null {
    const c = s.mapper.captureTimeExt(s.ext[k]!, s.arrival[k]!);
    if (!c) return null;
    return {
      streamId: s.id, rtpTimestamp: s.rtp[k]!, extTimestamp: s.ext[k]!, arrivalMs: s.arrival[k]!,
      captureMs: c.captureMs, syncMs: c.captureMs - offset, method: c.method, uncertaintyMs: c.uncertaintyMs, payload: s.payload[k],
    };
  }
}
