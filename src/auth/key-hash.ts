import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../config/gateway-config';
import { murmur128Hex, murmur32Hex, murmur64Hex } from './murmur3';

/** The hash functions Tyk knows by name (`hash_key_function`, the `h` of a key token). */
export type KeyHashAlgorithm = 'murmur32' | 'murmur64' | 'murmur128' | 'sha256';

const KNOWN = new Set<string>(['murmur32', 'murmur64', 'murmur128', 'sha256']);

/**
 * What Tyk does with a configured `hash_key_function` when generating tokens: empty stays empty
 * (legacy `<org><id>` keys), a known name is kept, anything else falls back to `murmur64`.
 */
export function normaliseHashFunction(name: string | undefined): KeyHashAlgorithm | '' {
  if (!name) return '';
  return KNOWN.has(name) ? (name as KeyHashAlgorithm) : 'murmur64';
}

// Go's StdEncoding is strict: padded, standard alphabet only. Node's decoder is lenient, so a
// custom key that merely starts with "ey" must be screened the way Go would reject it.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The `h` named inside a base64-JSON key token (`{"org":…,"id":…,"h":…}`), or "" for legacy and
 * custom keys. Mirrors Tyk: only keys starting with `ey` (base64 of `{"`) are looked into.
 */
export function tokenHashAlgorithm(key: string): string {
  const json = decodeTokenJson(key);
  const h = json?.h;
  return typeof h === 'string' ? h : '';
}

/** The decoded JSON object of a base64-JSON key token, or undefined for any other key. */
export function decodeTokenJson(key: string): Record<string, unknown> | undefined {
  if (!key.startsWith('ey') || !STRICT_BASE64.test(key)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(key, 'base64').toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Tyk's HashStr: lowercase hex of the digest of `key`. Without an explicit algorithm the key's
 * own token decides (`h`), and keys without one use murmur32 — even when the gateway is
 * configured for murmur64, because that is how legacy and custom keys were always stored.
 * An unknown algorithm name hashes with murmur64, as Tyk falls back.
 */
export function hashKey(key: string, algorithm?: string): string {
  const algo = algorithm || tokenHashAlgorithm(key);
  const bytes = Buffer.from(key, 'utf8');
  switch (algo) {
    case '':
    case 'murmur32':
      return murmur32Hex(bytes);
    case 'murmur128':
      return murmur128Hex(bytes);
    case 'sha256':
      return createHash('sha256').update(bytes).digest('hex');
    default:
      return murmur64Hex(bytes);
  }
}

/** The name a key is stored under: the key itself, or its hash with `hash_keys`. */
export function storageKey(key: string, cfg: Pick<GatewayConfig, 'hash_keys'>): string {
  return cfg.hash_keys ? hashKey(key) : key;
}
