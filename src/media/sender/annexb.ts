/**
 * Annex-B elementary streams (ITU-T H.264 Annex B, H.265 Annex B) cut into NAL units and access
 * units, incrementally, as FFmpeg writes them to a pipe (`-f h264 pipe:1`, `-f hevc pipe:1`).
 *
 * A NAL unit is known to be complete only when the next start code arrives, so the last access
 * unit of a chunk is held until the first NAL unit of the next one appears (one frame of latency
 * for a live encoder), or until `flush()` at the end of the stream.
 */

export type AnnexBCodec = 'h264' | 'h265';

export interface AccessUnit {
  /** NAL units without start codes, copies (safe to keep). */
  nals: Uint8Array[];
  /** Contains an IDR slice (H.264 type 5) or an IRAP picture (H.265 types 16–23). */
  keyframe: boolean;
}

/** Splits a whole Annex-B buffer into NAL unit views (start codes and trailing zeros removed). */
export function splitAnnexB(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  const n = buf.length;
  while (i + 2 < n) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      if (start >= 0) pushNal(out, buf, start, i);
      i += 3;
      start = i;
    } else i++;
  }
  if (start >= 0) pushNal(out, buf, start, n);
  return out;
}

function pushNal(out: Uint8Array[], buf: Uint8Array, start: number, end: number): void {
  // Zero bytes before a start code are the next start code's leading zero or trailing_zero_8bits.
  while (end > start && buf[end - 1] === 0) end--;
  if (end > start) out.push(buf.subarray(start, end));
}

/** NAL unit type (H.264: 5 bits of byte 0; H.265: 6 bits of byte 0 after the F bit). */
export function nalType(codec: AnnexBCodec, nal: Uint8Array): number {
  const b = nal[0] ?? 0;
  return codec === 'h264' ? b & 0x1f : (b >> 1) & 0x3f;
}

export function isVclNal(codec: AnnexBCodec, type: number): boolean {
  return codec === 'h264' ? type >= 1 && type <= 5 : type <= 31;
}

export function isKeyNal(codec: AnnexBCodec, type: number): boolean {
  return codec === 'h264' ? type === 5 : type >= 16 && type <= 23;
}

/**
 * Whether a VCL NAL unit starts a new picture: H.264 first_mb_in_slice = 0 (ue(v) 0 is the single
 * bit 1, §7.3.3); H.265 first_slice_segment_in_pic_flag (§7.3.6.1).
 */
function startsPicture(codec: AnnexBCodec, nal: Uint8Array): boolean {
  const b = nal[codec === 'h264' ? 1 : 2];
  return b !== undefined && (b & 0x80) !== 0;
}

/**
 * NAL units that may only come before the first VCL unit of an access unit, so they close the
 * previous one (H.264 §7.4.1.2.3: AUD, SPS, PPS, SEI, 14–18; H.265 §7.4.2.4.4: AUD, VPS, SPS, PPS,
 * prefix SEI, 41–44, 48–55).
 */
function opensAccessUnit(codec: AnnexBCodec, type: number): boolean {
  if (codec === 'h264') return type === 9 || type === 7 || type === 8 || type === 6 || (type >= 14 && type <= 18);
  return type === 35 || type === 32 || type === 33 || type === 34 || type === 39 || (type >= 41 && type <= 44) || (type >= 48 && type <= 55);
}

/** Incremental access-unit splitter over a byte stream delivered in arbitrary chunks. */
export class AccessUnitSplitter {
  private buf = new Uint8Array(1 << 16);
  private len = 0;
  /** Scan position: bytes before it hold no start code that is not yet accounted for. */
  private scan = 0;
  /** Start of the current (incomplete) NAL unit's payload, −1 before the first start code. */
  private nalStart = -1;
  private au: Uint8Array[] = [];
  private auHasVcl = false;
  private auKey = false;

  constructor(readonly codec: AnnexBCodec) {}

  /** Consumes a chunk; returns the access units it completed, in order. */
  push(chunk: Uint8Array): AccessUnit[] {
    this.append(chunk);
    const out: AccessUnit[] = [];
    const b = this.buf;
    let i = this.scan;
    while (i + 2 < this.len) {
      if (b[i + 2]! > 1) { i += 3; continue; } // fast skip: no start code can cover this byte pair
      if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
        if (this.nalStart >= 0) {
          let end = i;
          while (end > this.nalStart && b[end - 1] === 0) end--;
          if (end > this.nalStart) this.onNal(b.slice(this.nalStart, end), out);
        }
        i += 3;
        this.nalStart = i;
      } else i++;
    }
    this.scan = i;
    this.compact();
    return out;
  }

  /** End of stream: the held NAL unit and access unit are complete. */
  flush(): AccessUnit[] {
    const out: AccessUnit[] = [];
    if (this.nalStart >= 0) {
      let end = this.len;
      while (end > this.nalStart && this.buf[end - 1] === 0) end--;
      if (end > this.nalStart) this.onNal(this.buf.slice(this.nalStart, end), out);
    }
    this.len = 0;
    this.scan = 0;
    this.nalStart = -1;
    this.closeAu(out);
    return out;
  }

  private onNal(nal: Uint8Array, out: AccessUnit[]): void {
    const t = nalType(this.codec, nal);
    const vcl = isVclNal(this.codec, t);
    if (this.auHasVcl && (opensAccessUnit(this.codec, t) || (vcl && startsPicture(this.codec, nal)))) this.closeAu(out);
    this.au.push(nal);
    if (vcl) this.auHasVcl = true;
    if (isKeyNal(this.codec, t)) this.auKey = true;
  }

  private closeAu(out: AccessUnit[]): void {
    if (this.au.length > 0) out.push({ nals: this.au, keyframe: this.auKey });
    this.au = [];
    this.auHasVcl = false;
    this.auKey = false;
  }

  private append(chunk: Uint8Array): void {
    this.buf = appendBytes(this.buf, this.len, chunk);
    this.len += chunk.length;
  }

  /** Drops bytes before the current NAL unit (keeping a possible partial start code). */
  private compact(): void {
    const keepFrom = this.nalStart >= 0 ? this.nalStart : Math.max(0, this.len - 2);
    if (keepFrom < 4096 && keepFrom * 2 < this.buf.length) return;
    this.buf.copyWithin(0, keepFrom, this.len);
    this.len -= keepFrom;
    this.scan -= keepFrom;
    if (this.nalStart >= 0) this.nalStart -= keepFrom;
  }
}

/** Annex-B bytes of an access unit (4-byte start codes), e.g. for a decoder's stdin. */
export function annexBBytes(nals: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const x of nals) n += 4 + x.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const x of nals) {
    out[o + 3] = 1;
    out.set(x, o + 4);
    o += 4 + x.length;
  }
  return out;
}

/**
 * `chunk` written at `len` of `buf`, which doubles (contents kept) when it has no room; returns
 * the buffer to keep using. The caller advances its length by chunk.length.
 */
export function appendBytes(buf: Uint8Array<ArrayBuffer>, len: number, chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  if (len + chunk.length > buf.length) {
    let cap = buf.length;
    while (cap < len + chunk.length) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(buf.subarray(0, len));
    buf = nb;
  }
  buf.set(chunk, len);
  return buf;
}
