/**
 * Whole frames out of RTP: the common part of every depacketizer. Packets must arrive in
 * sequence order (after the jitter buffer, or over TCP); a gap in sequence numbers marks the
 * frame(s) it may belong to as incomplete. Codec files implement `FrameCodec` only.
 */
import { checkRange } from './errors.ts';
import type { VideoCodec } from './sdp/media.ts';

export interface DepacketizerPacket {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payload: Uint8Array;
}

export interface MediaFrame {
  codec: VideoCodec;
  /** RTP timestamp shared by the frame's packets. */
  timestamp: number;
  /** H.264/H.265: Annex-B byte stream (4-byte start codes); MJPEG: a complete JPEG file. */
  data: Uint8Array;
  /**
   * True only when every packet of the frame arrived, the frame was closed by the marker bit
   * (or by the next timestamp with no sequence gap), and the payload was well-formed.
   */
  complete: boolean;
  /** Decodable on its own: H.264 IDR, H.265 IRAP, every JPEG. */
  keyframe: boolean;
  /** Sequence numbers of the first and last packet seen (16-bit). */
  firstSeq: number;
  lastSeq: number;
  packets: number;
  /**
   * Receiver core only: arrival time (caller's clock) of the earliest packet of the frame, for
   * arrival-time synchronisation and latency figures.
   */
  arrivalMs?: number;
  /** Picture size: MJPEG from the RTP header; H.264/H.265 from the current SPS (in band or SDP). */
  width?: number;
  height?: number;
}

export interface Depacketizer {
  readonly codec: VideoCodec;
  /** Consumes one packet in sequence order; returns the frames it completed (0, 1 or 2). */
  push(p: DepacketizerPacket): MediaFrame[];
  /** Optional: `push` appending the completed frames to `out` instead (no array per packet). */
  pushInto?(p: DepacketizerPacket, out: MediaFrame[]): void;
  /** Emits the frame under construction (incomplete, as its end was not seen). */
  flush(): MediaFrame[];
  /** Forgets all state except out-of-band parameter sets. */
  reset(): void;
}

export interface DepacketizerOptions {
  /** Frames larger than this are dropped as incomplete (hostile or broken input). Default 16 MiB. */
  maxFrameBytes?: number;
}

/** Codec-specific half: turns payloads into output bytes for one frame. */
export interface FrameCodec {
  /** Starts a new frame. */
  begin(): void;
  /** Adds one payload; returns false when it is malformed or inconsistent (frame broken). */
  add(payload: Uint8Array): boolean;
  /** Output byte count so far (for the size bound). */
  readonly size: number;
  /**
   * Finishes the frame; `ok` false when the codec saw it cut (e.g. an unfinished fragment).
   * `broken` frames may return empty data (they are never decoded).
   */
  end(broken: boolean): { data: Uint8Array; keyframe: boolean; ok: boolean; width?: number; height?: number };
}

export class FrameAssembler implements Depacketizer {
  private readonly maxBytes: number;
  private active = false;
  private ts = 0;
  private broken = false;
  private firstSeq = 0;
  private count = 0;
  private prevSeq = -1; // last sequence number pushed, −1 at start
  private prevMarker = true;

  constructor(readonly codec: VideoCodec, private readonly impl: FrameCodec, opts: DepacketizerOptions = {}) {
    this.maxBytes = checkRange('maxFrameBytes', opts.maxFrameBytes ?? 16 << 20, 1024, 1 << 30, true);
  }

  push(p: DepacketizerPacket): MediaFrame[] {
    const out: MediaFrame[] = [];
    this.pushInto(p, out);
    return out;
  }

  /** `push`, appending the completed frames to `out` (no array per packet). */
  pushInto(p: DepacketizerPacket, out: MediaFrame[]): void {
    const seq = p.sequenceNumber & 0xffff;
    const gap = this.prevSeq >= 0 && ((seq - this.prevSeq) & 0xffff) !== 1;
    if (this.active && (p.timestamp >>> 0) !== this.ts) {
      // Timestamp changed without a marker: some cameras never set M (RFC 6184 §5.1 makes it
      // mandatory, but e.g. older Axis firmware omits it). Whole only if nothing went missing.
      if (gap) this.broken = true;
      out.push(this.emit(false));
    }
    if (!this.active) {
      this.active = true;
      this.ts = p.timestamp >>> 0;
      this.firstSeq = seq;
      this.count = 0;
      // A gap right before the first packet may have carried this frame's head.
      this.broken = gap;
      this.impl.begin();
    } else if (gap) {
      this.broken = true;
    }
    this.prevSeq = seq;
    this.prevMarker = p.marker;
    this.count++;
    // Once broken, the frame's bytes are useless: skip the work and the memory.
    if (!this.broken && (!this.impl.add(p.payload) || this.impl.size > this.maxBytes)) this.broken = true;
    if (p.marker) out.push(this.emit(false));
  }

  flush(): MediaFrame[] {
    return this.active ? [this.emit(true)] : [];
  }

  reset(): void {
    this.active = false;
    this.prevSeq = -1;
    this.prevMarker = true;
  }

  /** Whether the previous packet closed a frame with its marker bit. */
  get lastMarker(): boolean {
    return this.prevMarker;
  }

  private emit(truncated: boolean): MediaFrame {
    const r = this.impl.end(this.broken);
    this.active = false;
    const f: MediaFrame = {
      codec: this.codec,
      timestamp: this.ts,
      data: r.data,
      complete: !this.broken && r.ok && !truncated,
      keyframe: r.keyframe,
      firstSeq: this.firstSeq,
      lastSeq: this.prevSeq,
      packets: this.count,
    };
    if (r.width !== undefined) f.width = r.width;
    if (r.height !== undefined) f.height = r.height;
    return f;
  }
}

/** Concatenates byte pieces into one new buffer. */
export function concatBytes(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
