export { ClassifyError, type ClassifyErrorCode } from './errors.ts';
export type { ClassFeatures, Classification, FlickerFeatures, IntensitySeries, KinematicFeatures, TargetClass, TrackHistory, Vec3 } from './types.ts';
export { glsPeriodogram, glsPeriodogramMulti, falseAlarmProbability, refinedPeak, regularizedBeta, lnGamma, type FrequencyGrid } from './periodogram.ts';
export { kinematicFeatures, KINEMATIC_DEFAULTS, type KinematicOptions } from './kinematics.ts';
export { flickerFeatures, FLICKER_DEFAULTS, type FlickerOptions } from './signature.ts';
export { classifyTrack, classifyResolved, decide, labelOf, resolveRuleOptions, validateInputs, RULE_DEFAULTS, type DecideContext, type ResolvedRuleOptions, type RuleOptions } from './rules.ts';
export { TrackClassifier, type SignatureSample, type TrackClassifierOptions, type TrackKey } from './track-classifier.ts';
export { measureSignature, type MeasureOptions, type SignatureMeasurement } from './measure.ts';
