/**
 * Motion JPEG RTP depacketizer (RFC 2435): main JPEG header, restart marker header (types
 * 64–127), in-band quantisation tables (Q 128–255), fragments by offset; each frame becomes a
 * complete JPEG file with the standard Huffman tables.
 */
import { concatBytes, FrameAssembler, type Depacketizer, type DepacketizerOptions, type FrameCodec } from '../frame.ts';
import { buildJpegHeader } from './header.ts';
import { qTablesForQ } from './tables.ts';

type Tables = { data: Uint8Array; precision16: boolean }[];

class JpegCodec implements FrameCodec {
  private parts: Uint8Array[] = [];
  private len = 0;
  private started = false;
  private type: 0 | 1 = 0;
  private width = 0;
  private height = 0;
  private dri = 0;
  private tables: Tables | null = null;
  /** RFC 2435 §3.1.8: tables for Q 128–254 are static and may be sent only once. */
  private readonly qCache = new Map<number, Tables>();

  get size(): number {
    return this.len;
  }

  begin(): void {
    this.parts = [];
    this.len = 0;
    this.started = false;
    this.tables = null;
    this.dri = 0;
  }

  add(p: Uint8Array): boolean {
    if (p.length < 8) return false;
    const offset = (p[1]! << 16) | (p[2]! << 8) | p[3]!;
    const rawType = p[4]!;
    const q = p[5]!;
    const width = p[6]! * 8;
    const height = p[7]! * 8;
    let off = 8;
    let dri = 0;
    if (rawType >= 64 && rawType <= 127) {
      if (p.length < off + 4) return false;
      dri = (p[off]! << 8) | p[off + 1]!;
      off += 4; // F, L and restart count are for partial-frame decoding; the whole frame is kept
    }
    const type = rawType & 0x3f;
    if (rawType > 127 || type > 1 || width === 0 || height === 0 || q === 0) return false;
    if (offset !== this.len) return false; // fragments must abut (in-order delivery)
    if (offset === 0) {
      let tables: Tables | null = null;
      if (q >= 128) {
        if (p.length < off + 4) return false;
        const precision = p[off + 1]!;
        const length = (p[off + 2]! << 8) | p[off + 3]!;
        off += 4;
        if (p.length < off + length) return false;
        if (length > 0) {
          tables = splitTables(p.subarray(off, off + length), precision);
          if (!tables) return false;
          if (q < 255) this.qCache.set(q, tables);
          off += length;
        } else {
          tables = q < 255 ? (this.qCache.get(q) ?? null) : null;
          if (!tables) return false; // Q=255 must carry tables; 128–254 unknown yet
        }
      } else {
        const t = qTablesForQ(q);
        tables = [{ data: t.subarray(0, 64), precision16: false }, { data: t.subarray(64), precision16: false }];
      }
      this.started = true;
      this.type = type as 0 | 1;
      this.width = width;
      this.height = height;
      this.dri = dri;
      this.tables = tables;
    } else if (!this.started || type !== this.type || width !== this.width || height !== this.height) {
      return false;
    }
    const data = p.subarray(off);
    this.parts.push(data);
    this.len += data.length;
    return true;
  }

  end(broken: boolean): { data: Uint8Array; keyframe: boolean; ok: boolean; width?: number; height?: number } {
    if (broken || !this.started || !this.tables) {
      this.begin();
      return { data: new Uint8Array(0), keyframe: false, ok: false };
    }
    const header = buildJpegHeader({ type: this.type, width: this.width, height: this.height, tables: this.tables, restartInterval: this.dri });
    const last = this.parts[this.parts.length - 1];
    const hasEoi = last !== undefined && last.length >= 2 && last[last.length - 2] === 0xff && last[last.length - 1] === 0xd9;
    const parts = [header, ...this.parts];
    let total = header.length + this.len;
    if (!hasEoi) {
      parts.push(Uint8Array.of(0xff, 0xd9));
      total += 2;
    }
    const out = { data: concatBytes(parts, total), keyframe: true, ok: true, width: this.width, height: this.height };
    this.begin();
    return out;
  }
}

/** Splits an in-band table block: bit i of `precision` set means table i has 16-bit entries. */
function splitTables(block: Uint8Array, precision: number): Tables | null {
  const out: Tables = [];
  let o = 0;
  for (let i = 0; o < block.length && i < 4; i++) {
    const p16 = ((precision >> i) & 1) === 1;
    const n = p16 ? 128 : 64;
    if (o + n > block.length) return null;
    out.push({ data: block.slice(o, o + n), precision16: p16 });
    o += n;
  }
  return o === block.length && out.length > 0 ? out : null;
}

export function createMjpegDepacketizer(opts: DepacketizerOptions = {}): Depacketizer {
  return new FrameAssembler('mjpeg', new JpegCodec(), opts);
}
