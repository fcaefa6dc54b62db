/**
 * JFIF/JPEG header reconstruction for RFC 2435 frames (Appendix B `MakeHeaders`, written anew):
 * SOI, DQT, SOF0, optional DRI, DHT with the standard tables, SOS.
 */
import { STANDARD_HUFFMAN } from './tables.ts';

export interface JpegHeaderInput {
  /** RFC 2435 type with the restart flag removed: 0 = 4:2:2, 1 = 4:2:0. */
  type: 0 | 1;
  width: number;
  height: number;
  /** Quantisation tables as carried: 64 (8-bit) or 128 (16-bit) bytes each, zig-zag order. */
  tables: readonly { data: Uint8Array; precision16: boolean }[];
  /** Restart interval in MCUs, 0 for none. */
  restartInterval: number;
}

export function buildJpegHeader(h: JpegHeaderInput): Uint8Array {
  const bytes: number[] = [0xff, 0xd8];
  const seg = (marker: number, body: number[]) => {
    const len = body.length + 2;
    bytes.push(0xff, marker, len >> 8, len & 0xff);
    for (const b of body) bytes.push(b);
  };
  h.tables.forEach((t, id) => {
    const body = [(t.precision16 ? 0x10 : 0) | id];
    for (const b of t.data) body.push(b);
    seg(0xdb, body);
  });
  const chromaTable = h.tables.length > 1 ? 1 : 0;
  seg(0xc0, [
    8, h.height >> 8, h.height & 0xff, h.width >> 8, h.width & 0xff, 3,
    1, h.type === 0 ? 0x21 : 0x22, 0,
    2, 0x11, chromaTable,
    3, 0x11, chromaTable,
  ]);
  if (h.restartInterval > 0) seg(0xdd, [h.restartInterval >> 8, h.restartInterval & 0xff]);
  for (const t of STANDARD_HUFFMAN) seg(0xc4, [t.tcTh, ...t.bits, ...t.values]);
  seg(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
  return Uint8Array.from(bytes);
}
