/** Site configuration: the only public face of src/config. See docs/CONFIG.md. */
export {
  ConfigError,
  formatIssues,
  parseYamlWith,
  type Check,
  type ConfigIssue,
  type Locate,
  type ParseOptions,
  type ParseResult,
  type SourcePosition,
} from './validate.ts';
export { formatPath, parsePath, type PathSegment } from './path.ts';
export { redactCredentials, redactCredentialsInText, hasCredentials } from './redact.ts';
export * from './schema.ts';
export {
  loadSiteConfig,
  parseSiteConfig,
  resolveSiteConfig,
  toSiteConfigInput,
  type CameraConfig,
  type SiteConfig,
  type SiteParseOptions,
} from './site.ts';
export { SITE_CHECKS, MAX_VOXELS } from './site-checks.ts';
export { PROTOCOLS_BY_SCHEME, deriveProtocol, parseSource, resolveCameraSource, type ParsedSource, type SourceScheme } from './source.ts';
export {
  ZONE_CLASSES,
  ZONE_EVENTS,
  ZoneCollectionSchema,
  ZoneFeatureSchema,
  ZonePropertiesSchema,
  loadZones,
  parseZones,
  type Zone,
  type ZoneClass,
  type ZoneCollection,
  type ZoneEvent,
  type ZoneParseOptions,
} from './zones.ts';
