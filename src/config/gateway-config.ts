import { readFileSync } from 'node:fs';
import { type Static, Type } from '@sinclair/typebox';
import { dirname, resolve } from 'node:path';
import { AllowListError, HttpAllowList } from '../net/allow-list';
import { EventConfigError, parseEventHandlers } from '../events';
import { logger } from '../log/logger';
import { ConfigError } from './config-error';
import { EventHandlersSectionSchema } from '../events/event';
import { compileSchema, unknownKeys } from './schema-validator';

const MiB = 1024 * 1024;

/** The embedded store's folder when `storage.path` is not given, next to the config file. */
export const DEFAULT_STORE_FOLDER = 'isogate-data';

const Int = (min: number, max?: number) => Type.Integer({ minimum: min, ...(max === undefined ? {} : { maximum: max }) });

/**
 * The one schema for the gateway config (Tyk key names): types, ranges and defaults. Keys with a
 * `default` are optional in the file and present in the derived type (see schema-validator.ts).
 */
export const GatewayConfigSchema = Type.Object({
  listen_address: Type.String({ default: '127.0.0.1' }),
  listen_port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  secret: Type.Optional(Type.String({ minLength: 1 })),
  app_path: Type.String({ default: './apps' }),
  middleware_path: Type.String({ default: './middleware' }),
  /**
   * Where sessions, quota and rate counters and plugin data live. "embedded" (the default): an
   * LMDB store in the folder `path` (default `isogate-data` next to the config file), shared by
   * every worker and kept across restarts. "memory": this process only, lost on exit. "redis":
   * shared between nodes; `timeout` is seconds for a connect or command (Tyk's `storage.timeout`,
   * default 5).
   */
  storage: Type.Object({
    type: Type.Union([Type.Literal('embedded'), Type.Literal('memory'), Type.Literal('redis')]),
    path: Type.Optional(Type.String({ minLength: 1 })),
    host: Type.Optional(Type.String()),
    port: Type.Optional(Int(1, 65535)),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    database: Type.Optional(Int(0)),
    timeout: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  }, { default: { type: 'embedded' } }),
  /**
   * Gateway worker processes sharing the listening socket (`--workers` overrides): a number, or
   * "auto" for one per core. More than one needs a store the workers share (embedded or redis).
   */
  worker_count: Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')], { default: 1 }),
  /** Tyk's Redis rate limiters (Redis mode): sliding log, or fixed window. Neither: counted per node. */
  enable_redis_rolling_limiter: Type.Boolean({ default: false }),
  enable_fixed_window_rate_limiter: Type.Boolean({ default: false }),
  hash_keys: Type.Boolean({ default: false }),
  hash_key_function: Type.Optional(Type.String()),
  min_token_length: Type.Integer({ minimum: 0, default: 3 }),
  enable_jsvm: Type.Boolean({ default: true }),
  jsvm_timeout: Type.Number({ default: 5 }),
  jsvm_http_allow: Type.Optional(Type.Array(Type.String())),
  /** Tyk's user core script: run in every JSVM isolate before the API's own files. */
  tyk_js_path: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * What TykGetKeyData/TykSetKeyData reach: the calling API's org only ("org"), or every key as in
   * Tyk ("global": any JSVM plugin reads and writes every org's keys; unsafe with tenants).
   */
  jsvm_key_access: Type.Union([Type.Literal('org'), Type.Literal('global')], { default: 'org' }),
  coprocess_options: Type.Object({
    enable_coprocess: Type.Boolean({ default: true }),
    coprocess_grpc_server: Type.Optional(Type.String()),
    grpc_recv_max_size: Type.Optional(Int(0)),
    grpc_send_max_size: Type.Optional(Int(0)),
    grpc_authority: Type.Optional(Type.String()),
  }, { default: {} }),
  isolate_options: Type.Object({
    memory_limit_mb: Type.Integer({ minimum: 8, default: 128 }),
    hook_timeout_ms: Type.Integer({ minimum: 1, default: 1000 }),
    max_body_bytes: Type.Integer({ minimum: 0, default: 10 * MiB }),
    max_upload_bytes: Type.Integer({ minimum: 1, default: 1 * MiB }),
    /** WebAssembly inside isolates (per API: `limits.allow_wasm`). */
    allow_wasm: Type.Boolean({ default: false }),
    /** Where plugins may reach over the network (src/net/allow-list.ts; per API: `limits.allow_net`). None: no network. */
    allow_net: Type.Optional(Type.Array(Type.String())),
    /** Largest response body a plugin's request reads (per API: `limits.net_max_response_bytes`). */
    net_max_response_bytes: Type.Integer({ minimum: 0, default: 10 * MiB }),
    /** Plugin requests in flight at once per API and worker (per API: `limits.net_max_concurrent`). */
    net_max_concurrent: Type.Integer({ minimum: 1, default: 16 }),
    /** Guest output budgets per API, token buckets inside the isolate (per API: `limits.*`). */
    log_lines_per_s: Type.Number({ minimum: 0, default: 1000 }),
    events_per_s: Type.Number({ minimum: 0, default: 10000 }),
    /** How often an API whose output was dropped gets its one summary warning. */
    output_report_interval_s: Type.Number({ exclusiveMinimum: 0, default: 10 }),
    /** isogate.kv quota per API (per API: `limits.kv_max_keys`, `limits.kv_max_bytes`). */
    kv_max_keys: Type.Integer({ minimum: 0, default: 1000 }),
    kv_max_bytes: Type.Integer({ minimum: 0, default: 1 * MiB }),
  }, { default: {} }),
  auth_cache: Type.Object({
    max_entries: Type.Integer({ minimum: 1, default: 10000 }),
    max_bytes: Type.Integer({ minimum: 1024, default: 32 * MiB }),
    /**
     * An identity auth_check approved is cached for that API ("api"), or for every API of the org
     * as in Tyk ("org": one API's approval skips the auth_check of all the others).
     */
    id_extractor_scope: Type.Union([Type.Literal('api'), Type.Literal('org')], { default: 'api' }),
  }, { default: {} }),
  event_handlers: Type.Optional(EventHandlersSectionSchema),
  /** Plugin bundles (src/bundles): download `custom_middleware_bundle` from `bundle_base_url`. */
  enable_bundle_downloader: Type.Boolean({ default: false }),
  /** http://, https:// or file:// folder the bundle names are joined to. */
  bundle_base_url: Type.Optional(Type.String()),
  /** Tyk: accept any TLS certificate from an https bundle server. */
  bundle_insecure_skip_verify: Type.Boolean({ default: false }),
  /** PEM RSA public key (`PUBLIC KEY` or `RSA PUBLIC KEY`): bundles must then be signed with its private key. */
  public_key_path: Type.Optional(Type.String()),
  /** Tyk: a bundle already on disk is used without verifying it again. */
  skip_verify_existing_plugin_bundle: Type.Boolean({ default: false }),
  /** Our extension: caps on what a bundle (download or upload) may be, against zip bombs. */
  bundle_options: Type.Object({
    max_download_bytes: Type.Integer({ minimum: 1, default: 64 * MiB }),
    max_uncompressed_bytes: Type.Integer({ minimum: 1, default: 256 * MiB }),
    max_entries: Type.Integer({ minimum: 1, default: 10000 }),
  }, { default: {} }),
  /** Signs cluster notifications (Redis mode). */
  node_secret: Type.Optional(Type.String()),
  /** Tyk: accept cluster notifications without a valid signature. */
  allow_insecure_configs: Type.Boolean({ default: false }),
  health_check_endpoint_name: Type.String({ default: 'hello' }),
  hide_generator_header: Type.Boolean({ default: false }),
  /**
   * Tyk's policy source. isogate reads `policy_source: "file"`: `policy_record_name` (one JSON
   * object of policies keyed by id) and/or `policy_path` (a folder of one-policy `*.json` files).
   */
  policies: Type.Optional(Type.Object({
    policy_source: Type.Optional(Type.String()),
    policy_record_name: Type.Optional(Type.String({ minLength: 1 })),
    policy_path: Type.Optional(Type.String({ minLength: 1 })),
    policy_connection_string: Type.Optional(Type.String()),
    allow_explicit_policy_id: Type.Optional(Type.Boolean()),
  })),
  /**
   * An API whose middleware does not load (hook file missing or not compiling, hook not defined,
   * driver unknown or off): "serve_500" loads it in a failed state answering 500, as Tyk does;
   * "refuse_api" does not serve it at all (404), isogate's behaviour before.
   */
  middleware_load_failure: Type.Union([Type.Literal('serve_500'), Type.Literal('refuse_api')], { default: 'serve_500' }),
  /** Tyk's: header names a plugin sets go upstream exactly as the plugin spelled them. */
  ignore_canonical_mime_header_key: Type.Boolean({ default: false }),
  proxy_timeout_ms: Type.Integer({ minimum: 1, default: 30000 }),
  /** Our extension: Prometheus metrics (src/metrics); recording costs well under 1 µs a request. */
  enable_metrics: Type.Boolean({ default: true }),
  /** 0: /metrics on the main listener, behind `secret`; a port: a listener of its own, no secret. */
  metrics_listen_port: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  /** Where the metrics listener binds (default: listen_address). */
  metrics_listen_address: Type.Optional(Type.String()),
  /** Our extension: one structured pino line per proxied request (src/metrics/access-log.ts). */
  access_log: Type.Object({
    enabled: Type.Boolean({ default: false }),
    /** Share of requests logged, 0–1 (1: every request). */
    sample_rate: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
  }, { default: {} }),
  /** W3C trace context (src/pipeline/trace-context.ts). */
  trace_context: Type.Object({
    /** Start a trace (a new `traceparent`) for requests that come without a valid one. */
    generate: Type.Boolean({ default: false }),
  }, { default: {} }),
});

/** The gateway config after defaults are applied and paths resolved. */
export type GatewayConfig = Static<typeof GatewayConfigSchema> & {
  /** The file it came from, or "<default>"; every error message names it. */
  source: string;
};

const validate = compileSchema<Omit<GatewayConfig, 'source'>>(GatewayConfigSchema);

/**
 * Validate a parsed config object. `baseDir` anchors relative paths (the config file's folder).
 * Unknown keys are warnings (a Tyk `tyk.conf` carries many keys isogate does not use).
 */
export function parseGatewayConfig(raw: unknown, source: string, baseDir: string): GatewayConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${source}: the gateway config must be a JSON object`);
  }
  const copy = structuredClone(raw) as Record<string, unknown>;
  const result = validate(copy);
  if (!result.ok) throw new ConfigError(`${source}: ${result.errors.join('; ')}`);
  const unknown = unknownKeys(copy, GatewayConfigSchema);
  if (unknown.length > 0) logger.warn({ file: source, keys: unknown }, `${source}: ignoring unknown config keys: ${unknown.join(', ')}`);
  const config: GatewayConfig = { ...result.value, source };
  config.app_path = resolve(baseDir, config.app_path);
  config.middleware_path = resolve(baseDir, config.middleware_path);
  if (config.public_key_path) config.public_key_path = resolve(baseDir, config.public_key_path);
  if (config.storage.type === 'embedded') config.storage.path = resolve(baseDir, config.storage.path ?? DEFAULT_STORE_FOLDER);
  if (config.storage.type === 'memory' && config.worker_count !== 1) {
    throw new ConfigError(`${source}: worker_count: ${JSON.stringify(config.worker_count)} workers cannot share storage.type "memory" (each would have its own keys and counters): use "embedded" or "redis"`);
  }
  const policies = config.policies;
  if (policies) {
    if (policies.policy_record_name) policies.policy_record_name = resolve(baseDir, policies.policy_record_name);
    if (policies.policy_path) policies.policy_path = resolve(baseDir, policies.policy_path);
    if (policies.policy_source === 'file' && !policies.policy_record_name && !policies.policy_path) {
      throw new ConfigError(`${source}: policies.policy_record_name: a policy file or policies.policy_path is required when policies.policy_source is "file"`);
    }
    if (policies.policy_source && policies.policy_source !== 'file') {
      logger.warn({ file: source }, `${source}: policies.policy_source "${policies.policy_source}" is not supported (only "file"): no policies are loaded`);
    }
  }
  if (config.tyk_js_path) config.tyk_js_path = resolve(baseDir, config.tyk_js_path);
  if (config.storage.type === 'redis' && !config.storage.host) {
    throw new ConfigError(`${source}: storage.host: is required when storage.type is "redis"`);
  }
  try {
    parseEventHandlers(config.event_handlers, {}, { hasDispatcher: false });
  } catch (err) {
    if (err instanceof EventConfigError) throw new ConfigError(`${source}: ${err.key}: ${err.problem}`);
    throw err;
  }
  // Absent means no outbound requests from plugins (src/net/allow-list.ts).
  for (const [key, entries] of [['jsvm_http_allow', config.jsvm_http_allow], ['isolate_options.allow_net', config.isolate_options.allow_net]] as const) {
    try {
      HttpAllowList.parse(entries);
    } catch (err) {
      if (err instanceof AllowListError) throw new ConfigError(`${source}: ${key}[${err.index}]: ${err.message}`);
      throw err;
    }
  }
  if (config.enable_bundle_downloader && !config.bundle_base_url) {
    throw new ConfigError(`${source}: bundle_base_url: is required when enable_bundle_downloader is true`);
  }
  if (config.bundle_base_url !== undefined) config.bundle_base_url = checkBundleBaseUrl(config.bundle_base_url, source);
  return config;
}

/** Tyk fetches bundles over http, https or file; anything else is refused at startup, not at the first download. */
function checkBundleBaseUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${source}: bundle_base_url: ${JSON.stringify(value)} is not a URL (e.g. https://bundles.example.com/ or file:///srv/bundles/)`);
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) {
    throw new ConfigError(`${source}: bundle_base_url: scheme "${url.protocol.slice(0, -1)}" is not supported (use http, https or file)`);
  }
  return url.href;
}

export function loadGatewayConfig(file: string): GatewayConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the gateway config: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: invalid JSON: ${(err as Error).message}`);
  }
  return parseGatewayConfig(raw, path, dirname(path));
}

/** The number of workers `worker_count` (or `--workers`) asks for: "auto" is one per core. */
export function resolveWorkerCount(value: number | 'auto', cores: number): number {
  return value === 'auto' ? Math.max(1, cores) : value;
}
