import type { ApiSpec } from '../config/api-spec';
import { logger } from '../log/logger';

/**
 * The one table of Tyk API-definition keys that change how Tyk handles a request and that
 * isogate does not honour. A definition that sets one (to something other than off or empty)
 * loads, and each such key gets one warning naming the file and the key when the API is built,
 * so nobody is surprised that a Tyk definition means less here. README, "Tyk compatibility",
 * lists the same keys.
 */

type Json = unknown;

interface Unhonoured {
  /** Dotted path; `*` stands for each version name. */
  readonly key: string;
  readonly what: string;
}

const TOP: readonly Unhonoured[] = [
  { key: 'use_basic_auth', what: 'basic authentication' },
  { key: 'use_oauth2', what: 'OAuth 2.0' },
  { key: 'enable_jwt', what: 'JWT authentication' },
  { key: 'use_openid', what: 'OpenID Connect' },
  { key: 'enable_signature_checking', what: 'HMAC request signatures' },
  { key: 'use_mutual_tls_auth', what: 'mutual TLS' },
  { key: 'use_go_plugin_auth', what: 'Go plugins' },
  { key: 'auth.use_cookie', what: 'keys from cookies' },
  { key: 'enable_ip_whitelisting', what: 'IP allow lists' },
  { key: 'enable_ip_blacklisting', what: 'IP block lists' },
  { key: 'CORS.enable', what: 'CORS' },
  { key: 'global_rate_limit', what: 'the API-wide rate limit' },
  { key: 'enable_batch_request_support', what: 'the /tyk/batch endpoint' },
  { key: 'response_processors', what: 'response processors' },
  { key: 'strip_auth_data', what: 'stripping credentials before the upstream' },
  { key: 'domain', what: 'custom domains' },
  { key: 'proxy.enable_load_balancing', what: 'load balancing' },
  { key: 'proxy.preserve_host_header', what: 'preserving the Host header' },
  { key: 'proxy.service_discovery.use_discovery_service', what: 'service discovery' },
  { key: 'proxy.transport.proxy_url', what: 'an outbound proxy' },
];

const PER_VERSION: readonly Unhonoured[] = [
  { key: 'version_data.versions.*.override_target', what: 'a per-version upstream' },
  { key: 'version_data.versions.*.expires', what: 'version expiry' },
  { key: 'version_data.versions.*.paths.white_list', what: 'allow lists' },
  { key: 'version_data.versions.*.paths.black_list', what: 'block lists' },
  { key: 'version_data.versions.*.paths.ignored', what: 'old-style ignored paths (extended_paths.ignored is honoured)' },
  ...[
    ['white_list', 'allow lists'],
    ['black_list', 'block lists'],
    ['mock_response', 'mock responses'],
    ['cache', 'response caching'],
    ['advance_cache_config', 'response caching'],
    ['transform', 'request body templates'],
    ['transform_response', 'response body templates'],
    ['transform_jq', 'jq transforms'],
    ['transform_jq_response', 'jq transforms'],
    ['hard_timeouts', 'per-endpoint timeouts'],
    ['enforced_timeouts', 'per-endpoint timeouts'],
    ['circuit_breakers', 'circuit breakers'],
    ['size_limits', 'per-endpoint size limits (global_size_limit is honoured)'],
    ['validate_json', 'JSON schema validation'],
    ['validate_request', 'request validation'],
    ['internal', 'internal-only endpoints'],
    ['go_plugin', 'Go plugins'],
    ['persist_graphql', 'persisted GraphQL'],
    ['rate_limit', 'per-endpoint rate limits'],
  ].map(([k, what]) => ({ key: `version_data.versions.*.extended_paths.${k}`, what: what! })),
];

/** Set to something that means "on": true, a non-empty string, list or map, a positive rate. */
function active(value: Json): boolean {
  if (value === undefined || value === null || value === false || value === '' || value === 0) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('rate' in o) return typeof o.rate === 'number' && o.rate > 0; // global_rate_limit {rate, per}
    return Object.keys(o).length > 0;
  }
  return value !== '-1'; // a version's `expires: "-1"` means never
}

function at(root: Json, path: readonly string[]): Json {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Every key of the table this definition sets, as `key` with the version name filled in. */
export function unhonouredKeys(definition: Json): { key: string; what: string }[] {
  const found: { key: string; what: string }[] = [];
  for (const u of TOP) if (active(at(definition, u.key.split('.')))) found.push(u);
  const versions = at(definition, ['version_data', 'versions']);
  const names = versions && typeof versions === 'object' ? Object.keys(versions) : [];
  for (const name of names) {
    for (const u of PER_VERSION) {
      const path = u.key.split('.').map((p) => (p === '*' ? name : p));
      if (active(at(definition, path))) found.push({ key: path.join('.'), what: u.what });
    }
  }
  // isogate serves one version per API (src/transform/served-version.ts).
  if (names.length > 1 && at(definition, ['version_data', 'not_versioned']) !== true) {
    found.push({ key: 'version_data.not_versioned', what: 'API versioning (one version is served)' });
  }
  return found;
}

export function warnUnhonouredKeys(spec: ApiSpec): void {
  for (const { key, what } of unhonouredKeys(spec.definition)) {
    logger.warn({ api_id: spec.apiId, file: spec.file, key }, `${spec.file} (api ${spec.apiId}): ${key} is not honoured by isogate (${what}); the API loads without it`);
  }
}
