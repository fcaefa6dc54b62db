/**
 * Key-frame gate between depacketizer and decoder: lets only whole frames through, and after
 * any damaged frame drops everything until the next whole key frame, asking for one (RTCP
 * PLI/FIR) at most every `keyframeRequestIntervalMs`. The decoder therefore sees a gap in time,
 * never a frame with missing references.
 */
import { checkRange } from '../errors.ts';
import type { MediaFrame } from '../frame.ts';

export interface KeyframeGateOptions {
  /** Minimum spacing of key-frame requests in ms. Default 500. */
  keyframeRequestIntervalMs?: number;
}

export interface GateDecision {
  /** Hand the frame to the decoder. */
  deliver: boolean;
  /** Send a PLI (or FIR) to the sender now. */
  requestKeyframe: boolean;
  /** Why a frame was held back: damaged itself, or waiting for a key frame. */
  dropReason?: 'incomplete' | 'awaiting-keyframe';
}

export interface KeyframeGateStats {
  delivered: number;
  droppedIncomplete: number;
  droppedAwaitingKeyframe: number;
  keyframeRequests: number;
}

export class KeyframeGate {
  private readonly interval: number;
  private waiting = true; // nothing decodable before the first key frame
  private lastRequest = -Infinity;
  readonly stats: KeyframeGateStats = { delivered: 0, droppedIncomplete: 0, droppedAwaitingKeyframe: 0, keyframeRequests: 0 };

  constructor(opts: KeyframeGateOptions = {}) {
    this.interval = checkRange('keyframeRequestIntervalMs', opts.keyframeRequestIntervalMs ?? 500, 0, 60000);
  }

  /** True while frames are being dropped until a key frame. */
  get awaitingKeyframe(): boolean {
    return this.waiting;
  }

  push(frame: MediaFrame, nowMs: number): GateDecision {
    if (frame.complete && (frame.keyframe || !this.waiting)) {
      this.waiting = false;
      this.stats.delivered++;
      return { deliver: true, requestKeyframe: false };
    }
    const reason = frame.complete ? 'awaiting-keyframe' : 'incomplete';
    if (frame.complete) this.stats.droppedAwaitingKeyframe++;
    else this.stats.droppedIncomplete++;
    this.waiting = true;
    return { deliver: false, requestKeyframe: this.maybeRequest(nowMs), dropReason: reason };
  }

  /** Packets were lost (jitter buffer): the next frames cannot be trusted. */
  noteLoss(nowMs: number): boolean {
    this.waiting = true;
    return this.maybeRequest(nowMs);
  }

  private maybeRequest(nowMs: number): boolean {
    if (nowMs - this.lastRequest < this.interval) return false;
    this.lastRequest = nowMs;
    this.stats.keyframeRequests++;
    return true;
  }
}
