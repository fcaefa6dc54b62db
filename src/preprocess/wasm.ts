/**
 * Adapter around the AssemblyScript SIMD kernel `build/motion.wasm` (from `assembly/motion.ts`,
 * built by `npm run build:wasm` / `scripts/setup.sh`). Each kernel owns one instance whose linear
 * memory holds, from `heapBase()` up: frame, background, privacy mask, four i16 difference rows,
 * a byte row, the noise histogram, the energy histogram and the candidate buffer. The frame is
 * copied in once per call, or written there directly by the decoder (inputBuffer/loadInput);
 * nothing is allocated after construction.
 */
import { readFileSync } from 'node:fs';
import { ZQ_MAX, tileGrid, type KernelSpec, type MotionKernel } from './kernel.ts';

// The project's lib (ES2023, no DOM) declares no WebAssembly types: the few used, locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: WasmMemory;
  heapBase(): number;
  configure(frame: number, bg: number, w: number, h: number, rows: number, stride: number, bytes: number,
    hist: number, zhist: number, idx: number, val: number, rank: number, cap: number, topK: number, lanes: number,
    thr: number, scale: number, shift: number): void;
  applyMask(mask: number): void;
  seed(): void;
  noiseHistogram(step: number): void;
  detect(period: number, phase: number): number;
  candidateCount(): number;
}

const WASM_URL = new URL('../../build/motion.wasm', import.meta.url);
let compiled: { module: WasmModule } | { error: string } | undefined;

/**
 * The compiled module, or why there is none (build output missing, or a runtime without WASM
 * SIMD); compiled once per process.
 */
export function motionWasmModule(): { module: WasmModule } | { error: string } {
  if (compiled === undefined) {
    try {
      compiled = { module: new WA.Module(readFileSync(WASM_URL)) };
    } catch (err) {
      // Expected when `npm run build:wasm` has not run: callers fall back to the TS kernel.
      compiled = { error: `${WASM_URL.pathname}: ${(err as Error).message}` };
    }
  }
  return compiled;
}

const align16 = (x: number) => (x + 15) & ~15;

export class WasmKernel implements MotionKernel {
  readonly name = 'wasm';
  readonly index: Uint32Array;
  readonly value: Uint16Array;
  readonly tileThreshold: Uint16Array;
  readonly tileScale: Uint32Array;
  private readonly x: Exports;
  private readonly frame: Uint8Array;
  private readonly bg: Uint8Array;
  private readonly hist: Uint32Array;
  private readonly hasMask: boolean;
  private readonly maskPtr: number;

  constructor(spec: KernelSpec, module: WasmModule) {
    const { width: w, height: h, topK } = spec;
    const n = w * h;
    this.x = new WA.Instance(module, {}).exports as unknown as Exports;
    const cap = 2 * topK;
    const stride = align16(16 + 2 * w + 16);
    let p = align16(this.x.heapBase());
    const take = (bytes: number) => {
      const at = p;
      p = align16(p + bytes);
      return at;
    };
    const framePtr = take(n + 32);
    const bgPtr = take(n + 32);
    this.maskPtr = spec.mask ? take(n + 32) : 0;
    const rows = take(4 * stride);
    const bytes = take(w + 16);
    const { tilesX, tilesY } = tileGrid(w, h, spec.tileShift);
    const tiles = tilesX * tilesY;
    const hist = take(tiles * 256 * 4);
    const zhist = take((ZQ_MAX + 1) * 4);
    const idx = take(cap * 4);
    const val = take(cap * 2);
    const rank = take(cap * 2);
    const thr = take(tiles * 2);
    const scale = take(tiles * 4);
    const lanes = take(16);
    const mem = this.x.memory;
    const pages = Math.ceil(p / 65536) - mem.buffer.byteLength / 65536;
    if (pages > 0) mem.grow(pages);
    const buf = mem.buffer;
    this.frame = new Uint8Array(buf, framePtr, n);
    this.bg = new Uint8Array(buf, bgPtr, n);
    this.hist = new Uint32Array(buf, hist, tiles * 256);
    this.tileThreshold = new Uint16Array(buf, thr, tiles);
    this.tileScale = new Uint32Array(buf, scale, tiles);
    this.index = new Uint32Array(buf, idx, cap);
    this.value = new Uint16Array(buf, val, cap);
    this.hasMask = spec.mask !== null;
    if (spec.mask) new Uint8Array(buf, this.maskPtr, n).set(spec.mask);
    this.x.configure(framePtr, bgPtr, w, h, rows, stride, bytes, hist, zhist, idx, val, rank, cap, topK, lanes, thr, scale, spec.tileShift);
  }

  get candidates(): number {
    return this.x.candidateCount();
  }

  load(frame: Uint8Array): void {
    this.frame.set(frame);
    if (this.hasMask) this.x.applyMask(this.maskPtr);
  }

  inputBuffer(): Uint8Array {
    return this.frame;
  }

  loadInput(): void {
    if (this.hasMask) this.x.applyMask(this.maskPtr);
  }

  seed(): void {
    this.x.seed();
  }

  noiseHistogram(step: number): Uint32Array {
    this.x.noiseHistogram(step);
    return this.hist;
  }

  detect(period: number, phase: number): number {
    return this.x.detect(period, phase);
  }

  frameView(): Uint8Array {
    return this.frame;
  }

  backgroundView(): Uint8Array {
    return this.bg;
  }

  close(): void {}
}
