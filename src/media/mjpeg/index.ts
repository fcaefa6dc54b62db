export { createMjpegDepacketizer } from './depacketizer.ts';
export { buildJpegHeader, type JpegHeaderInput } from './header.ts';
export { qTablesForQ, STANDARD_HUFFMAN, ZIGZAG, type HuffmanSpec } from './tables.ts';
