// `isogate.kv`: the API's own key-value store, kept by the gateway (src/storage/kv), so it
// outlives this isolate, a rebuild and a reload. Values are anything JSON can carry, stored as
// their JSON text; `get` answers the parsed value, or undefined for a missing key. Each call is a
// host call (sandbox/host.ts): the isolate waits for the store while the gateway does not.
import { KV_QUOTA_MESSAGE, STORAGE_HOST_FUNCTIONS as F } from '../../src/protocol/kv';
import { callHost } from '../host';
import { define } from './define';

/** A write that would take the API past `limits.kv_max_keys` or `limits.kv_max_bytes`. */
class QuotaExceeded extends Error {
  override name = 'QuotaExceeded';
}

const parse = JSON.parse;
const stringify = JSON.stringify;

function call(name: string, args: unknown[]): unknown {
  try {
    return callHost(name, args);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes(KV_QUOTA_MESSAGE)) throw new QuotaExceeded(message.slice(message.indexOf(KV_QUOTA_MESSAGE)));
    throw error;
  }
}

function keyOf(key: unknown): string {
  if (typeof key !== 'string') throw new TypeError('isogate.kv: the key must be a string');
  return key;
}

interface SetOptions {
  /** Time to live in milliseconds (0 or absent: no expiry). */
  ttl?: number;
}

const kv = Object.freeze({
  async get(key: unknown): Promise<unknown> {
    const text = call(F.kvGet, [keyOf(key)]);
    return typeof text === 'string' ? parse(text) : undefined;
  },
  async set(key: unknown, value: unknown, options?: SetOptions): Promise<void> {
    const name = keyOf(key);
    const text = stringify(value);
    if (typeof text !== 'string') throw new TypeError('isogate.kv.set: the value must be JSON-serialisable (not undefined, a function or a symbol)');
    call(F.kvSet, [name, text, options?.ttl ?? 0]);
  },
  async delete(key: unknown): Promise<boolean> {
    return call(F.kvDelete, [keyOf(key)]) === true;
  },
  async list(prefix?: unknown, options?: { limit?: number }): Promise<string[]> {
    if (prefix !== undefined && typeof prefix !== 'string') throw new TypeError('isogate.kv.list: the prefix must be a string');
    return parse(String(call(F.kvList, [prefix ?? '', options?.limit]))) as string[];
  },
  async usage(): Promise<{ keys: number; bytes: number; maxKeys: number; maxBytes: number }> {
    return parse(String(call(F.kvUsage, [])));
  },
});

export function installKv(): void {
  const g = globalThis as { isogate?: Record<string, unknown> };
  const ns = g.isogate ?? {};
  Object.defineProperty(ns, 'kv', { value: kv, enumerable: true });
  if (!g.isogate) define('isogate', ns);
}
