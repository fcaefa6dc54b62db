/**
 * MJPEG RTP packetizer (RFC 2435): a baseline JPEG whose layout RFC 2435 can describe (three
 * components 1/2/3, luma 2×1 or 2×2 and chroma 1×1, T.81 Annex K Huffman tables) is cut into
 * fragments of its entropy-coded scan, each with the 8-byte main header; the first one carries the
 * quantisation tables in band (Q = 255, §3.1.8), and a DRI restart interval gives types 64/65
 * with the restart marker header (§3.1.7). Anything else is refused with a typed error, because
 * a receiver would rebuild a different picture.
 */
import { checkRange, fail, ok, type ParseResult } from '../errors.ts';
import { STANDARD_HUFFMAN } from '../mjpeg/tables.ts';
import { appendBytes } from './annexb.ts';
import type { RtpPayload } from './h264.ts';

export interface ParsedJpeg {
  /** RFC 2435 type without the restart flag: 0 = 4:2:2 (luma 2×1), 1 = 4:2:0 (luma 2×2). */
  type: 0 | 1;
  width: number;
  height: number;
  /** Quantisation tables by id 0 (luma) and 1 (chroma), as stored in DQT (zig-zag order). */
  tables: { data: Uint8Array; precision16: boolean }[];
  /** Restart interval in MCUs (DRI), 0 when absent. */
  restartInterval: number;
  /** Entropy-coded data between the SOS header and EOI. */
  scan: Uint8Array;
}

/** Reads what RFC 2435 needs from a JPEG file. Never throws. */
export function parseJpeg(buf: Uint8Array): ParseResult<ParsedJpeg> {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return fail('BAD_SYNTAX', 'not a JPEG (no SOI)');
  const tables: ({ data: Uint8Array; precision16: boolean } | undefined)[] = [];
  let sof: { type: 0 | 1; width: number; height: number; qIds: number[] } | null = null;
  let restartInterval = 0;
  let o = 2;
  for (;;) {
    while (o < buf.length && buf[o] === 0xff && buf[o + 1] === 0xff) o++; // fill bytes (T.81 B.1.1.2)
    if (o + 4 > buf.length) return fail('TRUNCATED', 'JPEG ends before its scan');
    if (buf[o] !== 0xff) return fail('BAD_SYNTAX', `no marker at byte ${o}`);
    const m = buf[o + 1]!;
    const len = (buf[o + 2]! << 8) | buf[o + 3]!;
    const body = buf.subarray(o + 4, o + 2 + len);
    if (len < 2 || o + 2 + len > buf.length) return fail('BAD_LENGTH', `segment 0xFF${m.toString(16)} overruns the file`);
    if (m === 0xdb) {
      for (let p = 0; p < body.length;) {
        const pq = body[p]! >> 4, tq = body[p]! & 15;
        const n = pq ? 128 : 64;
        if (tq > 1 || p + 1 + n > body.length) return fail('UNSUPPORTED', `quantisation table ${tq} (RFC 2435 carries tables 0 and 1)`);
        tables[tq] = { data: body.slice(p + 1, p + 1 + n), precision16: pq === 1 };
        p += 1 + n;
      }
    } else if (m === 0xc0) {
      if (body.length < 15 || body[0] !== 8 || body[5] !== 3) return fail('UNSUPPORTED', 'SOF0 must be 8-bit with three components');
      const height = (body[1]! << 8) | body[2]!, width = (body[3]! << 8) | body[4]!;
      const ids = [body[6], body[9], body[12]], samp = [body[7], body[10], body[13]];
      if (ids[0] !== 1 || ids[1] !== 2 || ids[2] !== 3 || samp[1] !== 0x11 || samp[2] !== 0x11) return fail('UNSUPPORTED', 'components must be 1, 2, 3 with 1×1 chroma');
      if (samp[0] !== 0x21 && samp[0] !== 0x22) return fail('UNSUPPORTED', 'luma sampling must be 2×1 or 2×2');
      if (body[11] !== body[14]) return fail('UNSUPPORTED', 'Cb and Cr must share a quantisation table');
      sof = { type: samp[0] === 0x21 ? 0 : 1, width, height, qIds: [body[8]!, body[11]!] };
    } else if (m === 0xc4) {
      if (!standardHuffman(body)) return fail('UNSUPPORTED', 'Huffman tables are not those of T.81 Annex K.3 (FFmpeg: -huffman default)');
    } else if (m === 0xdd) {
      if (body.length < 2) return fail('TRUNCATED', 'DRI too short');
      restartInterval = (body[0]! << 8) | body[1]!;
    } else if (m === 0xda) {
      if (!sof) return fail('BAD_SYNTAX', 'SOS before SOF0');
      if (sof.qIds[0] !== 0 || (sof.qIds[1] !== 1 && sof.qIds[1] !== 0)) return fail('UNSUPPORTED', 'luma must use table 0, chroma table 0 or 1');
      const t0 = tables[0];
      const t1 = tables[sof.qIds[1]!];
      if (!t0 || !t1) return fail('BAD_SYNTAX', 'quantisation table missing');
      if (sof.width === 0 || sof.height === 0 || sof.width % 8 || sof.height % 8 || sof.width > 2040 || sof.height > 2040) {
        return fail('UNSUPPORTED', `picture ${sof.width}×${sof.height}: RFC 2435 needs multiples of 8 up to 2040`);
      }
      let end = buf.length;
      // EOI ends the scan; inside entropy-coded data 0xFF is followed by 0x00 or RSTn only.
      for (let p = o + 2 + len; p + 1 < buf.length; p++) if (buf[p] === 0xff && buf[p + 1] === 0xd9) { end = p; break; }
      return ok({ type: sof.type, width: sof.width, height: sof.height, tables: [t0, t1], restartInterval, scan: buf.subarray(o + 2 + len, end) });
    } else if ((m >= 0xc1 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc)) {
      return fail('UNSUPPORTED', `SOF 0xFF${m.toString(16)}: only baseline JPEG`);
    }
    o += 2 + len;
  }
}

function standardHuffman(body: Uint8Array): boolean {
  for (let p = 0; p < body.length;) {
    const tcTh = body[p]!;
    const spec = STANDARD_HUFFMAN.find((s) => s.tcTh === tcTh);
    if (!spec) return false;
    let n = 0;
    for (let i = 0; i < 16; i++) {
      if (body[p + 1 + i] !== spec.bits[i]) return false;
      n += spec.bits[i]!;
    }
    for (let i = 0; i < n; i++) if (body[p + 17 + i] !== spec.values[i]) return false;
    p += 17 + n;
  }
  return true;
}

export interface MjpegPacketizerOptions {
  /** Largest RTP payload in bytes. Default 1200, range 200–65000. */
  maxPayload?: number;
}

export class MjpegPacketizer {
  readonly maxPayload: number;

  constructor(o: MjpegPacketizerOptions = {}) {
    this.maxPayload = checkRange('maxPayload', o.maxPayload ?? 1200, 200, 65000, true);
  }

  /** RTP payloads of one JPEG, or the reason it cannot be carried. */
  packetize(jpeg: Uint8Array): ParseResult<RtpPayload[]> {
    const r = parseJpeg(jpeg);
    if (!r.ok) return r;
    const j = r.value;
    const restart = j.restartInterval > 0;
    const type = j.type + (restart ? 64 : 0);
    let qLen = 0;
    let precision = 0;
    j.tables.forEach((t, i) => { qLen += t.data.length; if (t.precision16) precision |= 1 << i; });
    const out: RtpPayload[] = [];
    let off = 0;
    do {
      const first = off === 0;
      const head = 8 + (restart ? 4 : 0) + (first ? 4 + qLen : 0);
      const n = Math.min(j.scan.length - off, this.maxPayload - head);
      const p = new Uint8Array(head + n);
      // Main JPEG header (§3.1): type-specific 0, 24-bit fragment offset, type, Q, width/8, height/8.
      p[1] = off >>> 16; p[2] = (off >>> 8) & 0xff; p[3] = off & 0xff;
      p[4] = type; p[5] = 255; p[6] = j.width / 8; p[7] = j.height / 8;
      let h = 8;
      if (restart) {
        // Restart marker header (§3.1.7): interval, F = L = 1 and count 0x3FFF (fragments not aligned to intervals).
        p[h] = j.restartInterval >> 8; p[h + 1] = j.restartInterval & 0xff; p[h + 2] = 0xff; p[h + 3] = 0xff;
        h += 4;
      }
      if (first) {
        // Quantization table header (§3.1.8): MBZ, precision bits, length, then the tables.
        p[h + 1] = precision; p[h + 2] = qLen >> 8; p[h + 3] = qLen & 0xff;
        h += 4;
        for (const t of j.tables) { p.set(t.data, h); h += t.data.length; }
      }
      p.set(j.scan.subarray(off, off + n), h);
      off += n;
      out.push({ payload: p, marker: off >= j.scan.length });
    } while (off < j.scan.length);
    return ok(out);
  }
}

/** Incremental splitter of concatenated JPEG files (FFmpeg `-f mjpeg pipe:1`). */
export class JpegSplitter {
  private buf = new Uint8Array(1 << 16);
  private len = 0;
  private scan = 0;

  push(chunk: Uint8Array): Uint8Array[] {
    this.buf = appendBytes(this.buf, this.len, chunk);
    this.len += chunk.length;
    const out: Uint8Array[] = [];
    for (;;) {
      const end = this.frameEnd();
      if (end < 0) break;
      out.push(this.buf.slice(0, end));
      this.buf.copyWithin(0, end, this.len);
      this.len -= end;
      this.scan = 0;
    }
    return out;
  }

  /** Byte after the EOI of the JPEG at the head of the buffer, −1 if not yet complete. */
  private frameEnd(): number {
    const b = this.buf;
    let o = this.scan === 0 ? 2 : this.scan;
    if (this.len < 2) return -1;
    if (this.scan === 0) {
      // Walk the marker segments up to SOS (their lengths may contain 0xFFD9 bytes).
      for (;;) {
        if (o + 4 > this.len) return -1;
        const m = b[o + 1]!;
        const len = (b[o + 2]! << 8) | b[o + 3]!;
        o += 2 + len;
        if (m === 0xda) break;
      }
      this.scan = o;
    }
    for (; o + 1 < this.len; o++) {
      if (b[o] === 0xff && b[o + 1] === 0xd9) return o + 2;
    }
    this.scan = Math.max(this.scan, o);
    return -1;
  }
}
