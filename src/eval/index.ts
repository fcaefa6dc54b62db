export { scoreRun, resolveEvalOptions, gatedPairs, visibleIn } from './score.ts';
export { solveAssignment, type Assignment } from './assignment.ts';
export { gospa, type GospaResult } from './gospa.ts';
export { quantile, nearestWithin } from './stats.ts';
export { EvalInputError, parseTruthJsonl, parseTracksJsonl, readTruthFile, readTracksFile } from './io.ts';
export { loadEvalCameras, type EvalCameras, type CameraSourceOptions } from './cameras.ts';
export { formatTable, type ReportInputs } from './report.ts';
export * from './types.ts';
export { SignalMeter, TruthTrack, truthTracks, type TargetSignal } from './signal.ts';
