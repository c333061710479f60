import { type KvStore, pluginDataNamespace } from './kv';

/**
 * Plain string values that Python plugins keep in the gateway's store (Tyk's store_data /
 * get_data), each scoped to an organisation: one API's plugin never sees another org's keys.
 * A view of the gateway's one KV store (src/storage/kv), under Tyk's `coprocess-data:` prefix.
 */
export interface PluginDataStore {
  get(org: string, key: string): Promise<string | undefined>;
  /** ttlSeconds 0: no expiry. */
  set(org: string, key: string, value: string, ttlSeconds: number): Promise<void>;
}

export function pluginDataStore(kv: KvStore): PluginDataStore {
  return {
    get: (org, key) => kv.get(pluginDataNamespace(org), key),
    set: async (org, key, value, ttlSeconds) => {
      await kv.set(pluginDataNamespace(org), key, value, { ttlMs: ttlSeconds > 0 ? ttlSeconds * 1000 : 0 });
    },
  };
}
