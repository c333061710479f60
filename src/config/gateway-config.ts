import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AllowListError, HttpAllowList } from '../coprocess/drivers/jsvm/allow-list';
import { EventConfigError, parseEventHandlers } from '../events';
import { logger } from '../log/logger';
import { ConfigError } from './config-error';
import type { GatewayConfig } from './gateway-config-types';
import { eventHandlersSchema } from './api-definition-schema';
import { compileSchema, unknownKeys } from './schema-validator';

export type { GatewayConfig } from './gateway-config-types';

const MiB = 1024 * 1024;

/** The one schema for the gateway config: types, ranges and defaults (Tyk key names). */
export const gatewayConfigSchema = {
  type: 'object',
  properties: {
    listen_address: { type: 'string', default: '127.0.0.1' },
    listen_port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
    secret: { type: 'string', minLength: 1 },
    app_path: { type: 'string', default: './apps' },
    middleware_path: { type: 'string', default: './middleware' },
    storage: {
      type: 'object',
      default: { type: 'memory' },
      required: ['type'],
      properties: {
        type: { enum: ['memory', 'redis'] },
        host: { type: 'string' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        username: { type: 'string' },
        password: { type: 'string' },
        database: { type: 'integer', minimum: 0 },
        timeout: { type: 'number', exclusiveMinimum: 0 },
      },
    },
    hash_keys: { type: 'boolean', default: false },
    hash_key_function: { type: 'string' },
    min_token_length: { type: 'integer', minimum: 0, default: 3 },
    enable_jsvm: { type: 'boolean', default: true },
    jsvm_timeout: { type: 'number', default: 5 },
    jsvm_http_allow: { type: 'array', items: { type: 'string' } },
    coprocess_options: {
      type: 'object',
      default: {},
      properties: {
        enable_coprocess: { type: 'boolean', default: true },
        coprocess_grpc_server: { type: 'string' },
        grpc_recv_max_size: { type: 'integer', minimum: 0 },
        grpc_send_max_size: { type: 'integer', minimum: 0 },
        grpc_authority: { type: 'string' },
      },
    },
    isolate_options: {
      type: 'object',
      default: {},
      properties: {
        memory_limit_mb: { type: 'integer', minimum: 8, default: 128 },
        hook_timeout_ms: { type: 'integer', minimum: 1, default: 1000 },
        max_body_bytes: { type: 'integer', minimum: 0, default: 10 * MiB },
        max_upload_bytes: { type: 'integer', minimum: 1, default: 1 * MiB },
        allow_wasm: { type: 'boolean', default: false },
        log_lines_per_s: { type: 'number', minimum: 0, default: 1000 },
        events_per_s: { type: 'number', minimum: 0, default: 10000 },
        output_report_interval_s: { type: 'number', exclusiveMinimum: 0, default: 10 },
      },
    },
    auth_cache: {
      type: 'object',
      default: {},
      properties: {
        max_entries: { type: 'integer', minimum: 1, default: 10000 },
        max_bytes: { type: 'integer', minimum: 1024, default: 32 * MiB },
      },
    },
    event_handlers: eventHandlersSchema,
    enable_bundle_downloader: { type: 'boolean', default: false },
    bundle_base_url: { type: 'string' },
    public_key_path: { type: 'string' },
    node_secret: { type: 'string' },
    allow_insecure_configs: { type: 'boolean', default: false },
    health_check_endpoint_name: { type: 'string', default: 'hello' },
    hide_generator_header: { type: 'boolean', default: false },
    proxy_timeout_ms: { type: 'integer', minimum: 1, default: 30000 },
  },
} as const;

const validate = compileSchema<Omit<GatewayConfig, 'source'>>(gatewayConfigSchema);

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
  const unknown = unknownKeys(copy, gatewayConfigSchema);
  if (unknown.length > 0) logger.warn({ file: source, keys: unknown }, `${source}: ignoring unknown config keys: ${unknown.join(', ')}`);
  const config: GatewayConfig = { ...result.value, source };
  config.app_path = resolve(baseDir, config.app_path);
  config.middleware_path = resolve(baseDir, config.middleware_path);
  if (config.public_key_path) config.public_key_path = resolve(baseDir, config.public_key_path);
  if (config.storage.type === 'redis' && !config.storage.host) {
    throw new ConfigError(`${source}: storage.host: is required when storage.type is "redis"`);
  }
  try {
    parseEventHandlers(config.event_handlers, {}, { hasDispatcher: false });
  } catch (err) {
    if (err instanceof EventConfigError) throw new ConfigError(`${source}: ${err.key}: ${err.problem}`);
    throw err;
  }
  try {
    // Absent means no outbound requests from JSVM plugins (see allow-list.ts).
    HttpAllowList.parse(config.jsvm_http_allow);
  } catch (err) {
    if (err instanceof AllowListError) throw new ConfigError(`${source}: jsvm_http_allow[${err.index}]: ${err.message}`);
    throw err;
  }
  if (config.enable_bundle_downloader && !config.bundle_base_url) {
    throw new ConfigError(`${source}: bundle_base_url: is required when enable_bundle_downloader is true`);
  }
  return config;
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
