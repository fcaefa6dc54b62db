/**
 * site.yaml: parse, validate (schema + semantic checks), then resolve what the rest of the
 * system needs (absolute file: sources, derived protocol). Nothing starts on an invalid config.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SiteConfigSchema, type CameraConfigInput, type Protocol, type RtpConfig, type SiteConfigInput } from './schema.ts';
import { SITE_CHECKS } from './site-checks.ts';
import { deriveProtocol, resolveCameraSource } from './source.ts';
import { ConfigError, parseYamlWith, type ParseResult } from './validate.ts';

/** A camera after loading: `source` always set, protocol derived, file: paths resolved. */
export type CameraConfig = Omit<CameraConfigInput, 'source' | 'rtp_config'> & {
  /** As written (or copied from the legacy `rtsp` key). May carry credentials: log it redacted. */
  source: string;
  /** `source` with file: paths made absolute against the config file's folder. */
  resolvedSource: string;
  rtp_config: RtpConfig & { protocol: Protocol };
};

/** A loaded, valid site.yaml with every default filled in. */
export type SiteConfig = Omit<SiteConfigInput, 'cameras'> & { cameras: CameraConfig[] };

export interface SiteParseOptions {
  /** Name used in messages; default "<input>". */
  file?: string;
  /** Folder that relative file: sources are resolved against; default dirname(file) or cwd. */
  baseDir?: string;
}

export function parseSiteConfig(text: string, opts: SiteParseOptions = {}): ParseResult<SiteConfig> {
  const file = opts.file ?? '<input>';
  const result = parseYamlWith(text, SiteConfigSchema, { file, checks: [...SITE_CHECKS] });
  if (!result.ok) return result;
  const baseDir = resolve(opts.baseDir ?? (opts.file !== undefined ? dirname(opts.file) : process.cwd()));
  return { ok: true, value: resolveSiteConfig(result.value, baseDir) };
}

/** Read and validate a site.yaml; throws ConfigError listing every issue. */
export function loadSiteConfig(path: string): SiteConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '', message: `cannot read config file: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  const result = parseSiteConfig(text, { file: path });
  if (!result.ok) throw new ConfigError(path, result.issues);
  return result.value;
}

/** Input (validated) → loaded form. Assumes the checks passed (every camera has a valid source). */
export function resolveSiteConfig(cfg: SiteConfigInput, baseDir: string): SiteConfig {
  return {
    ...cfg,
    cameras: cfg.cameras.map((cam) => {
      const source = cam.source ?? cam.rtsp ?? '';
      const protocol = cam.rtp_config.protocol ?? deriveProtocol(source) ?? 'rtsp';
      return { ...cam, source, resolvedSource: resolveCameraSource(cam, baseDir), rtp_config: { ...cam.rtp_config, protocol } };
    }),
  };
}

/**
 * The loaded config back in file form (drops `resolvedSource`), e.g. for `dvs calib` writing an
 * updated site.yaml. Sources stay as written, so relative file: paths keep their meaning only
 * next to the original file.
 */
export function toSiteConfigInput(cfg: SiteConfig): SiteConfigInput {
  return {
    ...cfg,
    cameras: cfg.cameras.map(({ resolvedSource: _resolved, ...cam }) => cam),
  };
}
