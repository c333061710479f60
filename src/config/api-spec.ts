import { createHash } from 'node:crypto';
import { type ApiDefinition, ApiDefinitionSchema, type CustomMiddleware, type HookKind, type IdExtractorConfig, type MiddlewareDefinition } from './api-definition';
import type { BundleInfo, ResolvedBundle } from './bundle-resolver';
import { ConfigError } from './config-error';
import type { GatewayConfig } from './gateway-config';
import type { SourcePolicy } from './middleware-sources';
import { apiIdProblem } from './safe-names';
import { compileSchema } from './schema-validator';
import { normalisePath } from '../pipeline/url';
import { compilePathPattern } from './path-pattern';
import { NO_VIRTUAL, type VirtualSpec } from './virtual-sources';
import { type JsvmExtras, NO_JSVM_EXTRAS } from './jsvm-extras';

/** A middleware file as loaded into an API's isolate. */
export interface MiddlewareSource {
  filename: string;
  code: string;
}

export type HookEntry = MiddlewareDefinition & { kind: HookKind };

/** An API definition checked and compiled once at load: everything the request path needs. */
export interface ApiSpec {
  readonly definition: ApiDefinition;
  /** File the definition came from (or `<api>` for one posted to /tyk/apis). */
  readonly file: string;
  readonly apiId: string;
  readonly orgId: string;
  readonly name: string;
  /** Always ends with "/" (the root "/" matches everything). */
  readonly listenPath: string;
  readonly target: URL;
  readonly stripListenPath: boolean;
  readonly keyless: boolean;
  readonly authHeaderName: string;
  readonly authParamName?: string;
  /** `enable_coprocess_auth` or `custom_plugin_auth_enabled`, with an enabled auth_check hook. */
  readonly coprocessAuth: boolean;
  readonly driver: string;
  readonly hooks: Record<Exclude<HookKind, 'auth_check'>, HookEntry[]>;
  readonly authCheck?: HookEntry;
  readonly idExtractor?: IdExtractorConfig;
  readonly memoryLimitMb: number;
  readonly hookTimeoutMs: number;
  /** `limits.allow_wasm`, else `isolate_options.allow_wasm`. */
  readonly allowWasm: boolean;
  /** Guest output budgets: `limits.*`, else `isolate_options.*`. */
  readonly logLinesPerS: number;
  readonly eventsPerS: number;
  /** JSON of config_data as Tyk puts it in the spec map, or undefined when disabled or empty. */
  readonly configDataJson?: string;
  /** Tyk's `bundle_hash`: MD5 hex of `custom_middleware_bundle` (of "" without one). */
  readonly bundleHash: string;
  /** The plugin bundle whose manifest supplied `custom_middleware`, if any. */
  readonly bundle?: BundleInfo;
  readonly ignoredPaths: IgnoredPath[];
  /** Gateway `ignore_canonical_mime_header_key`: plugin-set header names keep their spelling upstream. */
  readonly keepHeaderCase: boolean;
  /** Largest request body accepted (413 beyond), counted as it streams. */
  readonly maxBodyBytes: number;
  readonly sessionLifetime: number;
  /** Middleware files for isolate / JSVM drivers, in load order. */
  readonly sources: MiddlewareSource[];
  /**
   * Why its middleware could not be read (a hook file missing or outside middleware_path): the
   * API is then compiled without sources and served in the failed-middleware state.
   */
  readonly middlewareFailure?: string;
  /** Tyk virtual endpoints: run in the API's JSVM (src/gateway/virtual/). */
  readonly virtual: VirtualSpec;
  /** The rest of the API's JSVM: `tyk_js_path`, eh_dynamic_handler files. */
  readonly jsvm: JsvmExtras;
  /** Content hash of definition + sources + limits: a reload rebuilds only APIs whose hash changed. */
  readonly contentHash: string;
}

const validateDefinition = compileSchema<ApiDefinition>(ApiDefinitionSchema);

/** Schema-check a parsed definition; errors name the file and key. Does not touch the disk. */
export function checkDefinition(raw: unknown, file: string): ApiDefinition {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${file}: an API definition must be a JSON object`);
  }
  const result = validateDefinition(structuredClone(raw));
  if (!result.ok) {
    const id = (raw as { api_id?: unknown }).api_id;
    throw new ConfigError(`${file}${typeof id === 'string' ? ` (api ${id})` : ''}: ${result.errors.join('; ')}`);
  }
  // The id names files (app_path/{api_id}.json, middleware_path/{api_id}/): one rule, everywhere.
  const problem = apiIdProblem(result.value.api_id);
  if (problem) throw new ConfigError(`${file}: api_id: ${JSON.stringify(result.value.api_id)} ${problem}`);
  return result.value;
}

function enabled(list: MiddlewareDefinition[] | undefined, kind: HookKind): HookEntry[] {
  return (list ?? []).filter((m) => !m.disabled).map((m) => ({ ...m, kind }));
}

/** A listen path is compared with normalised request paths, so it is normalised the same way. */
export function normaliseListenPath(path: string, where: string): string {
  const normal = normalisePath(path);
  if (normal === undefined) throw new ConfigError(`${where}: proxy.listen_path: "${path}" is not a valid path (broken percent-escape)`);
  return normal.endsWith('/') ? normal : `${normal}/`;
}

/** One `ignored` entry: requests it matches skip auth. */
export interface IgnoredPath {
  /** Anchored at both ends, against the normalised path after the listen path. */
  readonly pattern: RegExp;
  /** Only these methods skip auth (from `method`, else `method_actions`); undefined = every method. */
  readonly methods?: ReadonlySet<string>;
}

/**
 * Tyk's `ignored` extended paths (patterns as config/path-pattern.ts reads them).
 */
function ignoredPaths(def: ApiDefinition): IgnoredPath[] {
  const out: IgnoredPath[] = [];
  for (const data of Object.values(def.version_data?.versions ?? {})) {
    for (const entry of data.extended_paths?.ignored ?? []) {
      const listed = typeof entry.method === 'string' && entry.method ? [entry.method] : Object.keys(entry.method_actions ?? {});
      out.push({
        pattern: compilePathPattern(entry.path),
        methods: listed.length > 0 ? new Set(listed.map((m) => m.toUpperCase())) : undefined,
      });
    }
  }
  return out;
}

/**
 * A bundle's manifest replaces the definition's `custom_middleware` entirely, as in Tyk, except
 * our `limits` extension: resource limits are the operator's (the definition's) when it sets them.
 */
function effectiveMiddleware(def: ApiDefinition, bundle?: ResolvedBundle): CustomMiddleware {
  if (!bundle) return def.custom_middleware ?? {};
  const limits = def.custom_middleware?.limits ?? bundle.customMiddleware.limits;
  return { ...bundle.customMiddleware, ...(limits ? { limits } : {}) };
}

/**
 * The request body limit of an API: `proxy.max_body_bytes` (ours), else Tyk's
 * `global_size_limit` of its versions (the smallest set, 0 = unset), else the gateway's
 * `isolate_options.max_body_bytes`.
 */
function maxBodyBytes(def: ApiDefinition, config: GatewayConfig): number {
  if (def.proxy.max_body_bytes) return def.proxy.max_body_bytes;
  const limits = Object.values(def.version_data?.versions ?? {}).map((v) => v.global_size_limit ?? 0).filter((n) => n > 0);
  return limits.length > 0 ? Math.min(...limits) : config.isolate_options.max_body_bytes;
}

export function compileApiSpec(def: ApiDefinition, file: string, config: GatewayConfig, drivers: SourcePolicy, sources: MiddlewareSource[], bundle?: ResolvedBundle, { virtual = NO_VIRTUAL, extras = NO_JSVM_EXTRAS }: { virtual?: VirtualSpec; extras?: JsvmExtras } = {}): ApiSpec {
  const where = `${file} (api ${def.api_id})`;
  const cm = effectiveMiddleware(def, bundle);
  let target: URL;
  try {
    target = new URL(def.proxy.target_url);
  } catch {
    throw new ConfigError(`${where}: proxy.target_url: not a valid URL`);
  }
  const driver = cm.driver || (sources.length > 0 ? 'isolate' : '');
  const hooks = {
    pre: enabled(cm.pre, 'pre'),
    post_key_auth: enabled(cm.post_key_auth, 'post_key_auth'),
    post: enabled(cm.post, 'post'),
    response: enabled(cm.response, 'response'),
  };
  // Tyk inserts the coprocess auth middleware whenever the flag is on, even without an auth_check
  // name: its ID extractor still runs first (400 `Authorization field missing`). Without an
  // extractor and without an auth_check entry, isogate keeps token auth (nothing would call a plugin).
  const jsvmDriver = driver === 'otto' || driver === 'javascript';
  const extractorSet = Boolean(cm.id_extractor) && cm.id_extractor?.disabled !== true;
  const authCheck = (def.enable_coprocess_auth || def.custom_plugin_auth_enabled) && !cm.auth_check?.disabled && (cm.auth_check || (extractorSet && !jsvmDriver))
    ? { ...cm.auth_check, name: cm.auth_check?.name ?? '', kind: 'auth_check' as const }
    : undefined;
  const anyHook = authCheck || Object.values(hooks).some((l) => l.length > 0);
  if (anyHook && !driver) throw new ConfigError(`${where}: custom_middleware.driver: is required when hooks are configured`);
  const authHeaderName = def.auth_configs?.authToken?.auth_header_name || def.auth?.auth_header_name || 'Authorization';
  const authParam = def.auth_configs?.authToken?.use_param ? def.auth_configs.authToken.param_name || authHeaderName
    : def.auth?.use_param ? def.auth.param_name || authHeaderName : undefined;
  const configDataJson = !def.config_data_disabled && def.config_data && Object.keys(def.config_data).length > 0
    ? JSON.stringify(def.config_data) : undefined;
  const limits = cm.limits ?? {};
  const memoryLimitMb = limits.memory_limit_mb ?? config.isolate_options.memory_limit_mb;
  const hookTimeoutMs = limits.hook_timeout_ms ?? (driver ? drivers.defaultHookTimeoutMs?.(driver, config) : undefined) ?? config.isolate_options.hook_timeout_ms;
  const allowWasm = limits.allow_wasm ?? config.isolate_options.allow_wasm;
  const logLinesPerS = limits.log_lines_per_s ?? config.isolate_options.log_lines_per_s;
  const eventsPerS = limits.events_per_s ?? config.isolate_options.events_per_s;
  const hash = createHash('sha256').update(JSON.stringify(def)).update(`\0${memoryLimitMb}\0${hookTimeoutMs}\0${allowWasm}\0${logLinesPerS}\0${eventsPerS}`);
  for (const s of sources) hash.update(`\0${s.filename}\0`).update(s.code);
  if (bundle) hash.update(`\0bundle\0${bundle.info.dir}\0`).update(JSON.stringify(cm));
  for (const s of [...virtual.sources, ...extras.core, ...extras.handlerSources]) hash.update(`\0jsvm\0${s.filename}\0`).update(s.code);
  return {
    definition: def,
    file,
    apiId: def.api_id,
    orgId: def.org_id ?? '',
    name: def.name ?? def.api_id,
    listenPath: normaliseListenPath(def.proxy.listen_path, where),
    target,
    stripListenPath: def.proxy.strip_listen_path ?? false,
    keyless: def.use_keyless ?? false,
    authHeaderName,
    authParamName: authParam,
    coprocessAuth: Boolean(authCheck),
    driver,
    hooks,
    authCheck,
    idExtractor: cm.id_extractor,
    memoryLimitMb,
    hookTimeoutMs,
    allowWasm,
    logLinesPerS,
    eventsPerS,
    configDataJson,
    bundleHash: createHash('md5').update(def.custom_middleware_bundle ?? '').digest('hex'),
    bundle: bundle?.info,
    ignoredPaths: ignoredPaths(def),
    maxBodyBytes: maxBodyBytes(def, config),
    keepHeaderCase: config.ignore_canonical_mime_header_key === true,
    sessionLifetime: def.session_lifetime ?? 0,
    sources,
    virtual,
    jsvm: extras,
    contentHash: hash.digest('hex'),
  };
}
