/**
 * Annex-B access-unit builder shared by the H.264 and H.265 depacketizers: collects NAL units
 * (whole, or as fragments) as views and concatenates once per frame, prefixing each with a
 * 4-byte start code. Parameter sets from SDP are inserted before a key frame that lacks them.
 */

const START = Uint8Array.of(0, 0, 0, 1);

export interface NalTypes {
  /** NAL unit type from the first header byte(s). */
  typeOf(nal: Uint8Array): number;
  isKey(type: number): boolean;
  /** Parameter-set types in decoding order (H.264: SPS, PPS; H.265: VPS, SPS, PPS). */
  paramTypes: readonly number[];
  /** Coded-slice types. */
  isVcl(type: number): boolean;
  /** NAL header length in bytes (1 for H.264, 2 for H.265). */
  headerLength: number;
  /** The SPS type, and its picture size (null when it does not parse). */
  spsType: number;
  spsSize(nal: Uint8Array): { width: number; height: number } | null;
}

export class AnnexBBuilder {
  private parts: Uint8Array[] = [];
  private len = 0;
  private key = false;
  private fragOpen = false;
  /** Whether the frame's first slice starts the picture; null before any slice. */
  private firstSliceStarts: boolean | null = null;
  /** Parameter sets seen in the current frame, per type. */
  private frameParams = new Map<number, Uint8Array[]>();
  /** Latest parameter sets per type (from SDP, then replaced by in-band ones). */
  private readonly params = new Map<number, Uint8Array[]>();
  /** Picture size from the current SPS, parsed only when the SPS bytes change. */
  private picture: { width: number; height: number } | null = null;
  private sizeOf: Uint8Array | null = null;

  constructor(private readonly types: NalTypes, outOfBand: readonly Uint8Array[] = []) {
    for (const nal of outOfBand) {
      if (nal.length === 0) continue;
      const t = types.typeOf(nal);
      if (!types.paramTypes.includes(t)) continue;
      const list = this.params.get(t) ?? [];
      if (list.length < 32) list.push(nal.slice());
      this.params.set(t, list);
    }
  }

  get size(): number {
    return this.len;
  }

  get fragmentOpen(): boolean {
    return this.fragOpen;
  }

  begin(): void {
    this.parts = [];
    this.len = 0;
    this.key = false;
    this.fragOpen = false;
    this.firstSliceStarts = null;
    this.frameParams = new Map();
  }

  /** A whole NAL unit. */
  nal(nal: Uint8Array): void {
    this.note(this.types.typeOf(nal), nal, true);
    this.noteSlice(this.types.typeOf(nal), nal[this.types.headerLength]);
    this.parts.push(START, nal);
    this.len += 4 + nal.length;
  }

  /** Opens a fragmented NAL unit whose reconstructed header is `header`. */
  fragmentStart(header: Uint8Array, data: Uint8Array): void {
    this.note(this.types.typeOf(header), header, false);
    this.noteSlice(this.types.typeOf(header), data[0]);
    this.parts.push(START, header, data);
    this.len += 4 + header.length + data.length;
    this.fragOpen = true;
  }

  fragmentData(data: Uint8Array): void {
    this.parts.push(data);
    this.len += data.length;
  }

  fragmentEnd(): void {
    this.fragOpen = false;
  }

  /**
   * The first bit of a slice header is H.264 first_mb_in_slice = 0 (ue '1') or H.265
   * first_slice_segment_in_pic_flag: set only on the slice that starts the picture.
   */
  private noteSlice(type: number, firstByte: number | undefined): void {
    if (this.firstSliceStarts === null && this.types.isVcl(type)) this.firstSliceStarts = firstByte !== undefined && (firstByte & 0x80) !== 0;
  }

  /** False when the frame's first slice is not the picture's first: its head was lost. */
  get startsPicture(): boolean {
    return this.firstSliceStarts !== false;
  }

  private note(type: number, nal: Uint8Array, whole: boolean): void {
    if (this.types.isKey(type)) this.key = true;
    if (this.types.paramTypes.includes(type)) {
      const list = this.frameParams.get(type) ?? [];
      // Fragmented parameter sets (unusual) mark the type as present but are not stored.
      if (whole && list.length < 32) list.push(nal);
      this.frameParams.set(type, list);
    }
  }

  /** Concatenates the frame. A key frame missing parameter sets gets the stored ones first. */
  /**
   * The access unit when the frame is over: `ok` false when the frame was broken (packets lost),
   * a fragment is unfinished, or its first slice does not start the picture (head lost, e.g. the
   * stream was joined in the middle of a multi-slice frame).
   */
  finish(broken: boolean): { data: Uint8Array; keyframe: boolean; ok: boolean; width?: number; height?: number } {
    const ok = !this.fragmentOpen && this.startsPicture;
    if (broken) {
      this.begin();
      return { data: new Uint8Array(0), keyframe: false, ok: false };
    }
    return { ...this.end(), ok };
  }

  end(): { data: Uint8Array; keyframe: boolean; width?: number; height?: number } {
    let prefix: Uint8Array[] = [];
    let extra = 0;
    if (this.key) {
      for (const t of this.types.paramTypes) {
        const list = this.params.get(t);
        if (this.frameParams.has(t) || !list) continue;
        for (const p of list) {
          prefix.push(START, p);
          extra += 4 + p.length;
        }
      }
    }
    for (const [t, list] of this.frameParams) if (list.length > 0) this.params.set(t, list.map((n) => n.slice()));
    const out = new Uint8Array(this.len + extra);
    let o = 0;
    for (const p of prefix) {
      out.set(p, o);
      o += p.length;
    }
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    this.parts = [];
    prefix = [];
    const sps = this.params.get(this.types.spsType)?.[0];
    if (sps && sps !== this.sizeOf && !(this.sizeOf && equalBytes(sps, this.sizeOf))) {
      this.picture = this.types.spsSize(sps);
      this.sizeOf = sps;
    }
    return this.picture ? { data: out, keyframe: this.key, width: this.picture.width, height: this.picture.height } : { data: out, keyframe: this.key };
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
