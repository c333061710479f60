import type { Database, RootDatabase } from 'lmdb';
import { lmdbKey } from './embedded-env';
import { type PluginDataStore, pluginDataKey } from './plugin-data-store';

/** One value as stored: expiry (epoch ms, 0 = never) and the value. */
interface Entry {
  e: number;
  v: string;
}

/** What one org may keep, as the memory store's default bound (keys + values, bytes). */
export const EMBEDDED_PLUGIN_BYTES_PER_ORG = 16 * 1024 * 1024;

/**
 * Plugin values (Tyk's TykStoreData / TykGetData) in the embedded store, next to the sessions:
 * shared by every worker and kept across restarts. Each org's bytes are counted in the same
 * transaction as its writes, so one org's plugin cannot fill the disk for the others: a write past
 * the org's bound is refused (the memory store evicts instead; on disk, dropping another value a
 * plugin relies on silently would be worse than saying no).
 */
export class EmbeddedPluginDataStore implements PluginDataStore {
  private readonly db: Database<string, string>;
  private readonly usage: Database<number, string>;

  constructor(
    private readonly env: RootDatabase,
    private readonly maxBytesPerOrg = EMBEDDED_PLUGIN_BYTES_PER_ORG,
  ) {
    this.db = env.openDB<string, string>({ name: 'plugin-data', encoding: 'string' });
    this.usage = env.openDB<number, string>({ name: 'plugin-data-usage', encoding: 'json' });
  }

  async get(org: string, key: string): Promise<string | undefined> {
    const entry = parse(this.db.get(lmdbKey(pluginDataKey(org, key)).key));
    if (!entry || (entry.e !== 0 && entry.e <= Date.now())) return undefined;
    return entry.v;
  }

  async set(org: string, key: string, value: string, ttlSeconds: number): Promise<void> {
    const name = pluginDataKey(org, key);
    const k = lmdbKey(name).key;
    const text = JSON.stringify({ e: ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : 0, v: value } satisfies Entry);
    const size = Buffer.byteLength(name) + Buffer.byteLength(value);
    const orgKey = encodeURIComponent(org);
    const stored = await this.env.transaction(() => {
      const old = parse(this.db.get(k));
      const oldSize = old ? Buffer.byteLength(name) + Buffer.byteLength(old.v) : 0;
      const used = (this.usage.get(orgKey) ?? 0) - oldSize + size;
      if (used > this.maxBytesPerOrg) return false;
      void this.db.put(k, text);
      void this.usage.put(orgKey, used);
      return true;
    });
    if (!stored) throw new Error(`the plugin data of org ${JSON.stringify(org)} would exceed ${this.maxBytesPerOrg} bytes; value not stored`);
    await this.env.flushed;
  }
}

function parse(text: string | undefined): Entry | undefined {
  if (text === undefined) return undefined;
  try {
    const entry = JSON.parse(text) as Entry;
    return typeof entry?.e === 'number' && typeof entry.v === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}
