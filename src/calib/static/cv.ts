/**
 * Lazy loader for OpenCV.js (@techstark/opencv-js): loaded once per process, only by the code
 * paths that detect or match features. The module object is a thenable that never settles, so
 * it must not be awaited; we wait for its runtime instead (about 1–2 s on first use).
 *
 * Only the handful of OpenCV members this module uses are typed here (the package's own types
 * come from a package that is not installed).
 */
import { createRequire } from 'node:module';

export interface CvMat {
  rows: number;
  cols: number;
  data: Uint8Array;
  delete(): void;
}
export interface CvKeyPoint {
  pt: { x: number; y: number };
  size: number;
  angle: number;
  response: number;
  octave: number;
}
export interface CvKeyPointVector {
  size(): number;
  get(i: number): CvKeyPoint;
  delete(): void;
}
export interface CvDMatch {
  queryIdx: number;
  trainIdx: number;
  distance: number;
}
export interface CvDMatchVector {
  size(): number;
  get(i: number): CvDMatch;
  delete(): void;
}
export interface CvDMatchVectorVector {
  size(): number;
  get(i: number): CvDMatchVector;
  delete(): void;
}
export interface CvOrb {
  detectAndCompute(img: CvMat, mask: CvMat, kp: CvKeyPointVector, des: CvMat): void;
  setScaleFactor(s: number): void;
  setNLevels(n: number): void;
  delete(): void;
}
export interface CvBfMatcher {
  knnMatch(query: CvMat, train: CvMat, matches: CvDMatchVectorVector, k: number): void;
  delete(): void;
}
export interface Cv {
  Mat: new (rows?: number, cols?: number, type?: number) => CvMat;
  CV_8UC1: number;
  NORM_HAMMING: number;
  /** Only the one-argument form works in OpenCV.js (the full one needs an unbound enum type). */
  ORB: new (nfeatures?: number) => CvOrb;
  BFMatcher: new (normType?: number, crossCheck?: boolean) => CvBfMatcher;
  KeyPointVector: new () => CvKeyPointVector;
  DMatchVectorVector: new () => CvDMatchVectorVector;
}

/** The runtime, boxed: a promise resolved with the module itself would try to adopt it as a thenable. */
export interface CvBox {
  cv: Cv;
}

let loading: Promise<CvBox> | null = null;

/** The OpenCV.js runtime, loaded on first call (later calls share the same promise). */
export function loadCv(): Promise<CvBox> {
  if (loading) return loading;
  loading = new Promise<CvBox>((resolve, reject) => {
    let cv: Cv & { onRuntimeInitialized?: () => void };
    // The Emscripten glue installs process-wide 'uncaughtException' and 'unhandledRejection'
    // handlers (the latter aborts the wasm runtime). They are not ours to impose on the host
    // process (a server, the test runner): whatever it adds while loading is removed again.
    type Listener = (...args: unknown[]) => void;
    const events = ['uncaughtException', 'unhandledRejection'];
    const listeners = (ev: string): Listener[] => process.listeners(ev as 'uncaughtException') as unknown as Listener[];
    const before = events.map((ev) => new Set(listeners(ev)));
    try {
      cv = createRequire(import.meta.url)('@techstark/opencv-js') as Cv & { onRuntimeInitialized?: () => void };
    } catch (e) {
      reject(e as Error);
      return;
    } finally {
      events.forEach((ev, i) => {
        for (const l of listeners(ev)) if (!before[i]!.has(l)) process.removeListener(ev, l);
      });
    }
    const done = (): void => resolve({ cv });
    if (typeof cv.Mat === 'function') { done(); return; }
    cv.onRuntimeInitialized = done;
    // Belt and braces: poll too, in case the runtime finished before the hook was set.
    const timer = setInterval(() => { if (typeof cv.Mat === 'function') { clearInterval(timer); done(); } }, 50);
    timer.unref();
    setTimeout(() => { clearInterval(timer); if (typeof cv.Mat !== 'function') reject(new Error('OpenCV.js did not initialise within 60 s')); }, 60_000).unref();
  });
  return loading;
}
