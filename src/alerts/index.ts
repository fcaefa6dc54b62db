export { AlertError, type AlertErrorCode } from './errors.ts';
export { signedDistanceXY, zoneContains, zoneDepth, zoneFromEnu, zonesFromConfig, type EnuZoneSpec, type ZoneRules, type ZoneShape } from './zone-shape.ts';
export { AlertEngine, type Alert, type AlertEngineOptions, type AlertKind, type TrackClass, type TrackStatus, type TrackUpdate } from './engine.ts';
export { AlertJsonlWriter, formatAlert } from './jsonl.ts';
