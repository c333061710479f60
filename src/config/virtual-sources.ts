import { readFile } from 'node:fs/promises';
import { logger } from '../log/logger';
import type { MiddlewareSource } from './api-spec';
import type { ApiDefinition } from './api-definition';
import type { GatewayConfig } from './gateway-config';
import { apiMiddlewareDir, findMiddlewareFile } from './middleware-sources';
import { compilePathPattern } from './path-pattern';
import type { CacheOptions } from './virtual-endpoint';

type Source = MiddlewareSource;

/** One virtual endpoint, compiled at load. */
export interface VirtualEndpoint {
  /** `version_data.versions.<name>.extended_paths.virtual[<i>]`, for log lines. */
  readonly key: string;
  /** Against the normalised path after the listen path (config/path-pattern.ts). */
  readonly pattern: RegExp;
  /** Upper case; undefined matches every method. */
  readonly method?: string;
  readonly functionName: string;
  readonly useSession: boolean;
  readonly proxyOnError: boolean;
  readonly cacheResults: boolean;
}

/** How the API's virtual answers are cached (Tyk's `cache_options`). */
export interface VirtualCacheSettings {
  /** `cache_all_safe_requests` with `enable_cache`: GET/HEAD/OPTIONS answers of every endpoint. */
  readonly allSafeRequests: boolean;
  readonly ttlMs: number;
  /** Only these statuses; undefined: any below 500 (a 5xx is never cached). */
  readonly codes?: ReadonlySet<number>;
  readonly byHeaders: readonly string[];
}

export interface VirtualSpec {
  readonly endpoints: readonly VirtualEndpoint[];
  /** The functions' code, each file or blob wrapped so that a broken one cannot stop the isolate. */
  readonly sources: readonly Source[];
  readonly cache: VirtualCacheSettings;
}

/** Tyk's default `cache_timeout`, seconds. */
const DEFAULT_CACHE_TIMEOUT_S = 60;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const NO_VIRTUAL: VirtualSpec = { endpoints: [], sources: [], cache: { allSafeRequests: false, ttlMs: 0, byHeaders: [] } };

/**
 * The code as the isolate loads it: evaluated as a global script (indirect eval, so function
 * declarations become globals as in Tyk's VM.Run) inside a try, so a syntax error or a throwing
 * top level is logged and leaves the function undefined: the endpoint then answers 500 on every
 * call (Tyk's behaviour for broken JS), while the API's other endpoints and hooks keep working.
 */
function guarded(label: string, code: string): string {
  const source = `${code}\n//# sourceURL=${label.replace(/[\r\n]/g, ' ')}`;
  return `try { (0, eval)(${JSON.stringify(source)}); } catch (e) { console.error(${JSON.stringify(`virtual endpoint code ${label} did not load: `)} + ((e && e.stack) || e)); }\n`;
}

function cacheSettings(options: CacheOptions | undefined): VirtualCacheSettings {
  const codes = options?.cache_response_codes ?? [];
  return {
    allSafeRequests: options?.enable_cache === true && options.cache_all_safe_requests === true,
    ttlMs: (options?.cache_timeout && options.cache_timeout > 0 ? options.cache_timeout : DEFAULT_CACHE_TIMEOUT_S) * 1000,
    codes: codes.length > 0 ? new Set(codes.filter((c) => c < 500)) : undefined,
    byHeaders: options?.cache_by_headers ?? [],
  };
}

/**
 * Compile the definition's virtual endpoints and read their code. A `file` source is found like
 * a hook's `path` and must lie inside middleware_path (a `..`, an absolute path or a symlink out
 * is a load error naming the key); a blob that is not base64 is logged and its endpoint answers
 * 500. `loaded` are the API's middleware files: a file already among them is not loaded twice.
 */
export async function resolveVirtualSpec(def: ApiDefinition, file: string, config: GatewayConfig, baseDir: string, loaded: readonly Source[]): Promise<VirtualSpec> {
  const where = `${file} (api ${def.api_id})`;
  const endpoints: VirtualEndpoint[] = [];
  const sources: Source[] = [];
  const seen = new Set(loaded.map((s) => s.filename));
  for (const [version, data] of Object.entries(def.version_data?.versions ?? {})) {
    for (const [i, meta] of (data.extended_paths?.virtual ?? []).entries()) {
      if (meta.disabled) continue;
      const key = `version_data.versions.${version}.extended_paths.virtual[${i}]`;
      if (meta.function_source_type === 'file') {
        const found = await findMiddlewareFile(config, apiMiddlewareDir(config, def.api_id), baseDir, meta.function_source_uri, `${where}: ${key}.function_source_uri`);
        if (!seen.has(found.path)) {
          seen.add(found.path);
          sources.push({ filename: `${found.path}#virtual`, code: guarded(found.path, await readFile(found.real, 'utf8')) });
        }
      } else {
        const blob = meta.function_source_uri.replace(/\s+/g, '');
        if (BASE64.test(blob)) {
          sources.push({ filename: `virtual-blob:${def.api_id}/${version}/${i}.js`, code: guarded(`${key} (blob)`, Buffer.from(blob, 'base64').toString('utf8')) });
        } else {
          logger.warn({ file, api_id: def.api_id }, `${where}: ${key}.function_source_uri: not base64; the endpoint answers 500`);
        }
      }
      const method = meta.method?.trim().toUpperCase();
      endpoints.push({
        key,
        pattern: compilePathPattern(meta.path),
        method: method || undefined,
        functionName: meta.response_function_name,
        useSession: meta.use_session === true,
        proxyOnError: meta.proxy_on_error === true,
        cacheResults: meta.cache_results === true,
      });
    }
  }
  if (endpoints.length === 0) return NO_VIRTUAL;
  return { endpoints, sources, cache: cacheSettings(def.cache_options) };
}
