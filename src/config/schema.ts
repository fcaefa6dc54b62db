/**
 * TypeBox schema of site.yaml (spec section 4 + CONTRACTS.md section 3).
 * Every object is closed (additionalProperties: false). Fields with a `default` may be omitted
 * in YAML and are always present in the parsed value; sections default to `{}` so their
 * fields' defaults apply. Geometry conventions: CONTRACTS.md section 1.
 */
import { Type, type Static, type TProperties } from 'typebox';

/** An object schema that rejects unknown keys (every object of site.yaml and of scenarios). */
export const closed = <P extends TProperties>(props: P, opts: { default?: unknown; description?: string } = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts });

const Int = (opts: { minimum?: number; maximum?: number; default?: number } = {}) => Type.Integer(opts);
const Port = (def?: number) => Int({ minimum: 1, maximum: 65535, ...(def !== undefined ? { default: def } : {}) });
const Fraction = (def: number) => Type.Number({ minimum: 0, maximum: 1, default: def });
const Vec3 = Type.Tuple([Type.Number(), Type.Number(), Type.Number()]);

export const CAMERA_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

// ---------------------------------------------------------------- camera parts

export const PoseSchema = closed({
  /** Camera centre, ENU metres. */
  enu: Vec3,
  /** Heading of the optical axis, degrees clockwise from north. */
  yaw: Type.Number({ minimum: -360, maximum: 360 }),
  /** Elevation of the optical axis above the horizon, degrees. */
  pitch: Type.Number({ minimum: -90, maximum: 90 }),
  /** Rotation about the optical axis, degrees (positive: right side down). */
  roll: Type.Number({ minimum: -180, maximum: 180, default: 0 }),
});

export const IntrinsicsSchema = closed({
  fx: Type.Number({ exclusiveMinimum: 0 }),
  fy: Type.Number({ exclusiveMinimum: 0 }),
  cx: Type.Number(),
  cy: Type.Number(),
  k1: Type.Number({ default: 0 }),
  k2: Type.Number({ default: 0 }),
  p1: Type.Optional(Type.Number()),
  p2: Type.Optional(Type.Number()),
  k3: Type.Optional(Type.Number()),
});

export const RollingShutterSchema = closed({
  /** Line readout time, microseconds. */
  line_us: Type.Number({ minimum: 0 }),
  direction: Type.Enum(['down', 'up'], { default: 'down' }),
});

/** Largest |clock.drift_ppm| a site config accepts (±10 %: beyond it a "drift" is a wrong frame rate, not a clock). */
export const CLOCK_DRIFT_LIMIT_PPM = 1e5;

export const ClockSchema = closed({
  /** camera_time = (1 + drift_ppm·1e-6)·site_time + offset_ms/1000 */
  offset_ms: Type.Number({ default: 0 }),
  drift_ppm: Type.Number({ minimum: -CLOCK_DRIFT_LIMIT_PPM, maximum: CLOCK_DRIFT_LIMIT_PPM, default: 0 }),
});

export const PROTOCOLS = ['rtp_udp', 'rtp_tcp', 'rtsp', 'webrtc', 'file'] as const;
export const CODECS = ['h264', 'h265', 'mjpeg'] as const;

export const RtpConfigSchema = closed(
  {
    /** Derived from `source` when absent (rtsp:// → rtsp, rtp:// → rtp_udp, file: → file). */
    protocol: Type.Optional(Type.Enum(PROTOCOLS)),
    /** Local RTP port (even by RFC 3550 convention; RTCP uses port+1). */
    port: Type.Optional(Port()),
    ssrc: Type.Optional(Int({ minimum: 0, maximum: 4294967295 })),
    payload_type: Type.Optional(Int({ minimum: 0, maximum: 127 })),
    /** Needed for pushed RTP without SDP (dynamic payload types say nothing about the codec). */
    codec: Type.Optional(Type.Enum(CODECS)),
    bitrate_kbps: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    resolution: Type.Optional(Type.Tuple([Int({ minimum: 1, maximum: 16384 }), Int({ minimum: 1, maximum: 16384 })])),
    fps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
    priority: Type.Enum(['high', 'medium', 'low'], { default: 'medium' }),
  },
  { default: {} },
);

export const NetworkQosSchema = closed(
  {
    dscp: Int({ minimum: 0, maximum: 63, default: 0 }),
    enable_rtcp: Type.Boolean({ default: true }),
    rtcp_interval_ms: Int({ minimum: 100, maximum: 60000, default: 1000 }),
  },
  { default: {} },
);

/** A privacy mask: polygon of >= 3 [x, y] pixel points. */
export const PolygonSchema = Type.Array(Type.Tuple([Type.Number(), Type.Number()]), { minItems: 3 });

export const CameraSchema = closed({
  id: Type.String({ pattern: CAMERA_ID_PATTERN }),
  /** rtsp://…, rtsps://…, rtp://host:port (pushed RTP), file:PATH (relative to the config file). */
  source: Type.Optional(Type.String({ minLength: 1 })),
  /** Spec 4.1 name for an RTSP source; legacy alias of `source`. */
  rtsp: Type.Optional(Type.String({ minLength: 1 })),
  rtp_config: RtpConfigSchema,
  network_qos: NetworkQosSchema,
  pose: Type.Optional(PoseSchema),
  approx_pose: Type.Optional(PoseSchema),
  intrinsics: Type.Optional(IntrinsicsSchema),
  intrinsics_guess: Type.Optional(IntrinsicsSchema),
  rolling_shutter: Type.Optional(RollingShutterSchema),
  clock: Type.Optional(ClockSchema),
  use_for_calib: Type.Boolean({ default: true }),
  enabled: Type.Boolean({ default: true }),
  privacy_masks: Type.Array(PolygonSchema, { default: [] }),
});

// ---------------------------------------------------------------- media server (spec 4.1)

export const MediaServerSchema = closed(
  {
    max_concurrent_streams: Int({ minimum: 1, maximum: 1024, default: 16 }),
    connection_timeout_ms: Int({ minimum: 1, default: 5000 }),
    reconnect_attempts: Int({ minimum: 0, default: 3 }),
    reconnect_backoff_ms: Type.Array(Int({ minimum: 0 }), { minItems: 1, default: [1000, 2000, 5000] }),
    load_balancing: closed(
      {
        strategy: Type.Enum(['round_robin', 'least_loaded', 'weighted'], { default: 'least_loaded' }),
        health_check_interval_ms: Int({ minimum: 1, default: 1000 }),
        /** Minimum health score (0..100) for active processing. */
        health_threshold: Type.Number({ minimum: 0, maximum: 100, default: 70 }),
      },
      { default: {} },
    ),
    network: closed(
      {
        bind_address: Type.String({ minLength: 1, default: '0.0.0.0' }),
        rtp_port_range: Type.Tuple([Port(), Port()], { default: [50000, 50100] }),
        max_packet_size: Int({ minimum: 576, maximum: 65535, default: 1500 }),
        /** Spec 3.1.2: configurable 50..200 ms. */
        jitter_buffer_ms: Type.Number({ minimum: 50, maximum: 200, default: 100 }),
        enable_nagle: Type.Boolean({ default: false }),
      },
      { default: {} },
    ),
    performance: closed(
      {
        frame_pool_size: Int({ minimum: 1, default: 1000 }),
        max_frame_age_ms: Int({ minimum: 1, default: 5000 }),
        enable_gpu_memory_pool: Type.Boolean({ default: true }),
        gpu_memory_pool_size_mb: Int({ minimum: 0, default: 2048 }),
      },
      { default: {} },
    ),
  },
  { default: {} },
);

// ---------------------------------------------------------------- stream processing (spec 4.1)

export const StreamProcessingSchema = closed(
  {
    frame_buffer: closed(
      {
        max_frames_per_stream: Int({ minimum: 1, default: 300 }),
        frame_timeout_ms: Int({ minimum: 1, default: 5000 }),
        enable_frame_skipping: Type.Boolean({ default: true }),
        max_skip_frames: Int({ minimum: 0, default: 3 }),
      },
      { default: {} },
    ),
    quality_adaptation: closed(
      {
        enable_auto_bitrate: Type.Boolean({ default: true }),
        min_bitrate_kbps: Type.Number({ exclusiveMinimum: 0, default: 512 }),
        max_bitrate_kbps: Type.Number({ exclusiveMinimum: 0, default: 8192 }),
        adaptation_threshold: Fraction(0.8),
      },
      { default: {} },
    ),
    synchronization: closed(
      {
        /** Frame-level sync tolerance (spec 3.2.1: default ±16 ms). */
        max_timing_offset_ms: Type.Number({ minimum: 0, default: 16 }),
        sync_check_interval_ms: Int({ minimum: 1, default: 100 }),
        enable_ptp: Type.Boolean({ default: true }),
        ptp_priority: Int({ minimum: 0, maximum: 255, default: 128 }),
      },
      { default: {} },
    ),
  },
  { default: {} },
);

// ---------------------------------------------------------------- monitoring (spec 4.2)

export const HEALTH_METRICS = [
  'packet_loss_rate', 'jitter_ms', 'frame_drop_rate', 'network_latency_ms',
  'stream_bitrate_kbps', 'resolution_changes', 'codec_switches',
] as const;

export const MonitoringSchema = closed(
  {
    stream_health: closed(
      {
        metrics: Type.Array(Type.Enum(HEALTH_METRICS), { uniqueItems: true, default: [...HEALTH_METRICS] }),
        thresholds: closed(
          {
            packet_loss_rate: Fraction(0.05),
            jitter_ms: Type.Number({ minimum: 0, default: 50 }),
            frame_drop_rate: Fraction(0.1),
            network_latency_ms: Type.Number({ minimum: 0, default: 200 }),
          },
          { default: {} },
        ),
        alerting: closed(
          {
            /** "" = disabled; otherwise an http(s) URL. */
            webhook_url: Type.String({ default: '' }),
            email_notifications: Type.Boolean({ default: false }),
            slack_webhook: Type.String({ default: '' }),
          },
          { default: {} },
        ),
      },
      { default: {} },
    ),
    performance: closed(
      {
        cpu_utilization_threshold: Fraction(0.8),
        gpu_utilization_threshold: Fraction(0.9),
        memory_utilization_threshold: Fraction(0.85),
        frame_processing_latency_ms: Type.Number({ minimum: 0, default: 100 }),
      },
      { default: {} },
    ),
  },
  { default: {} },
);

// ---------------------------------------------------------------- site and api

export const OriginSchema = closed({
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  alt_m: Type.Number({ minimum: -1000, maximum: 10000 }),
});

export const VolumeSchema = closed({
  /** Monitored box corners, ENU metres. */
  min: Vec3,
  max: Vec3,
  voxel_m: Type.Number({ exclusiveMinimum: 0 }),
});

export const SiteSchema = closed({ origin: OriginSchema, volume: VolumeSchema });

export const ApiSchema = closed(
  {
    bind_address: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Port(8080),
  },
  { default: {} },
);

export const SiteConfigSchema = closed({
  site: SiteSchema,
  api: ApiSchema,
  media_server: MediaServerSchema,
  cameras: Type.Array(CameraSchema, { minItems: 1 }),
  stream_processing: StreamProcessingSchema,
  monitoring: MonitoringSchema,
});

// ---------------------------------------------------------------- static types

/** site.yaml as validated (defaults filled). See `SiteConfig` in site.ts for the loaded form. */
export type SiteConfigInput = Static<typeof SiteConfigSchema>;
export type CameraConfigInput = Static<typeof CameraSchema>;
export type Pose = Static<typeof PoseSchema>;
export type Intrinsics = Static<typeof IntrinsicsSchema>;
export type RollingShutter = Static<typeof RollingShutterSchema>;
export type Clock = Static<typeof ClockSchema>;
export type RtpConfig = Static<typeof RtpConfigSchema>;
export type NetworkQos = Static<typeof NetworkQosSchema>;
export type Polygon = Static<typeof PolygonSchema>;
export type MediaServerConfig = Static<typeof MediaServerSchema>;
export type StreamProcessingConfig = Static<typeof StreamProcessingSchema>;
export type MonitoringConfig = Static<typeof MonitoringSchema>;
export type Origin = Static<typeof OriginSchema>;
export type Volume = Static<typeof VolumeSchema>;
export type SiteSection = Static<typeof SiteSchema>;
export type ApiConfig = Static<typeof ApiSchema>;
export type Protocol = (typeof PROTOCOLS)[number];
export type Codec = (typeof CODECS)[number];
export type HealthMetric = (typeof HEALTH_METRICS)[number];
