/**
 * `DecoderBank`: one {@link StreamDecoder} per live stream, created at the stream's first frame
 * with that frame's codec (a codec switch replaces the decoder). Whole coded frames go in with
 * their receiver arrival time; every decoded grey picture comes out through `onFrame` with the
 * arrival time of the coded frame it came from (paired by RTP timestamp), and belongs to the
 * consumer until it calls the `release` it was handed.
 *
 * Incomplete frames (a packet missing) are never decoded: they are counted, and the frames after
 * one are dropped until the next key frame (they may refer to it), so the consumer sees a gap,
 * never damaged pixels.
 */
import { checkRange, MediaError } from '../errors.ts';
import type { MediaFrame } from '../frame.ts';
import { StreamDecoder, type DecoderPushOutcome, type DecoderStats, type StreamDecoderOptions } from './decoder.ts';
import type { DecodedFrame } from './ring.ts';

export interface BankFrame {
  streamId: string;
  frame: DecodedFrame;
  /** Arrival of the coded frame (the caller's clock as given to push), or null when unknown. */
  arrivalMs: number | null;
  /** Gives the picture's buffer back to its decoder's pool; call once. */
  release: () => void;
}

export interface DecoderBankOptions extends Omit<StreamDecoderOptions, 'codec' | 'onFrame'> {
  /** Receives every decoded picture (exceptions are caught and counted). */
  onFrame: (f: BankFrame) => void;
  /** Arrival times remembered per stream for pairing (frames inside a decoder). Default 256. */
  maxPendingArrivals?: number;
}

export interface BankStreamStats extends DecoderStats {
  codec: MediaFrame['codec'] | null;
  /** Coded frames refused because a packet was missing (`complete` false). */
  incomplete: number;
  /** Frames dropped after an incomplete one while waiting for a key frame. */
  afterDamage: number;
  /** Decoders replaced because the stream changed codec. */
  codecSwitches: number;
  state: StreamDecoder['state'] | 'none';
}

interface Slot {
  decoder: StreamDecoder | null;
  codec: MediaFrame['codec'] | null;
  arrivals: Map<number, number>;
  incomplete: number;
  afterDamage: number;
  needKey: boolean;
  /** The decoder was started by prepare() and has had no frame yet. */
  prepared: boolean;
  codecSwitches: number;
  /** Counters of decoders already replaced, so the stream's totals survive a codec switch. */
  retired: DecoderStats | null;
}

export class DecoderBank {
  private readonly slots = new Map<string, Slot>();
  private readonly maxArrivals: number;
  private closed = false;
  /** Exceptions thrown by onFrame. */
  listenerErrors = 0;

  constructor(private readonly o: DecoderBankOptions) {
    if (typeof o.onFrame !== 'function') throw new MediaError('MEDIA_OPTIONS', 'onFrame is required');
    this.maxArrivals = checkRange('maxPendingArrivals', o.maxPendingArrivals ?? 256, 1, 1e6, true);
  }

  /** One whole coded frame of a stream (in stream order). */
  push(streamId: string, frame: MediaFrame, arrivalMs: number | null = null): DecoderPushOutcome | 'incomplete' {
    if (this.closed) return 'closed';
    const slot = this.slot(streamId);
    if (!frame.complete) { slot.incomplete++; slot.needKey = true; return 'incomplete'; }
    if (slot.needKey) {
      if (!frame.keyframe) { slot.afterDamage++; return 'awaiting-keyframe'; }
      slot.needKey = false;
    }
    if (slot.decoder && slot.codec !== frame.codec) {
      this.retire(slot);
      // A decoder prepared from the configuration with a codec the stream does not use is no switch.
      if (!slot.prepared) slot.codecSwitches++;
    }
    slot.prepared = false;
    if (!slot.decoder) {
      slot.codec = frame.codec;
      slot.decoder = this.spawn(streamId, slot, frame.codec);
    }
    if (arrivalMs !== null) {
      slot.arrivals.set(frame.timestamp >>> 0, arrivalMs);
      if (slot.arrivals.size > this.maxArrivals) slot.arrivals.delete(slot.arrivals.keys().next().value!);
    }
    return slot.decoder.push({ data: frame.data, timestamp: frame.timestamp, keyframe: frame.keyframe });
  }

  /**
   * Starts a stream's decoder ahead of its first frame when codec and picture size are known
   * (StreamDecoder.prepare); a first frame of another codec replaces it as a codec switch would.
   */
  prepare(streamId: string, codec: MediaFrame['codec'], size: { width: number; height: number }): void {
    if (this.closed) return;
    const slot = this.slot(streamId);
    if (slot.decoder) return;
    slot.codec = codec;
    slot.decoder = this.spawn(streamId, slot, codec);
    slot.decoder.prepare(size);
    slot.prepared = true;
  }

  /** A new receiver session of the stream (sender restart): the decoder starts afresh at the next key frame. */
  reset(streamId: string): void {
    const slot = this.slots.get(streamId);
    if (!slot) return;
    this.retire(slot);
    slot.codec = null;
    slot.needKey = false;
  }

  /** End of a stream's input: its decoder hands out the pictures FFmpeg still holds (StreamDecoder.flush). */
  async flush(streamId: string): Promise<void> {
    await this.slots.get(streamId)?.decoder?.flush();
  }

  /** Stops and forgets a stream's decoder. */
  async remove(streamId: string): Promise<void> {
    const slot = this.slots.get(streamId);
    if (!slot) return;
    this.slots.delete(streamId);
    await slot.decoder?.close();
  }

  ids(): string[] {
    return [...this.slots.keys()];
  }

  stats(streamId: string): BankStreamStats | null {
    const slot = this.slots.get(streamId);
    if (!slot) return null;
    const cur = slot.decoder?.stats ?? null;
    const base = slot.retired;
    const sum = {} as DecoderStats;
    for (const k of Object.keys(cur ?? base ?? {}) as (keyof DecoderStats)[]) {
      sum[k] = k === 'longestSkipRun' ? Math.max(cur?.[k] ?? 0, base?.[k] ?? 0) : (cur?.[k] ?? 0) + (base?.[k] ?? 0);
    }
    return { ...sum, codec: slot.codec, incomplete: slot.incomplete, afterDamage: slot.afterDamage, codecSwitches: slot.codecSwitches, state: slot.decoder?.state ?? 'none' };
  }

  /** Closes every decoder (their pictures not yet released are dropped). Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(all.map((s) => s.decoder?.close()));
  }

  private slot(id: string): Slot {
    let s = this.slots.get(id);
    if (!s) {
      s = { decoder: null, codec: null, arrivals: new Map(), incomplete: 0, afterDamage: 0, needKey: false, prepared: false, codecSwitches: 0, retired: null };
      this.slots.set(id, s);
    }
    return s;
  }

  private retire(slot: Slot): void {
    const d = slot.decoder;
    if (!d) return;
    slot.decoder = null;
    const st = { ...d.stats };
    if (slot.retired) for (const k of Object.keys(st) as (keyof DecoderStats)[]) st[k] = k === 'longestSkipRun' ? Math.max(st[k], slot.retired[k]) : st[k] + slot.retired[k];
    slot.retired = st;
    slot.arrivals.clear();
    void d.close();
  }

  private spawn(id: string, slot: Slot, codec: MediaFrame['codec']): StreamDecoder {
    const { onFrame: _f, maxPendingArrivals: _m, ...decOpts } = this.o;
    const dec: StreamDecoder = new StreamDecoder({
      ...decOpts,
      codec,
      // Take every picture out of the decoder's ring at once: the consumer decides what to hold.
      onFrame: () => {
        for (let f = dec.read(); f; f = dec.read()) {
          const frame = f;
          const ts = frame.rtpTimestamp >>> 0;
          const arrivalMs = slot.arrivals.get(ts) ?? null;
          slot.arrivals.delete(ts);
          let released = false;
          const release = () => { if (!released) { released = true; dec.release(frame); } };
          try {
            this.o.onFrame({ streamId: id, frame, arrivalMs, release });
          } catch {
            this.listenerErrors++;
            release();
          }
        }
      },
    });
    return dec;
  }
}
