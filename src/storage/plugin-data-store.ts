import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { redisCommand } from './redis-connection';
import { RedisSessionStore } from './redis-store';
import { EmbeddedSessionStore } from './embedded-store';
import { EmbeddedPluginDataStore } from './embedded-plugin-data';
import type { SessionStore } from './session-store';

/** Tyk keeps its Python plugins' `store_data` values under this prefix. */
export const PLUGIN_DATA_PREFIX = 'coprocess-data:';

/**
 * Plain string values that plugins keep in the gateway's store (Tyk's TykStoreData /
 * TykGetData), each scoped to an organisation: one API's plugin never sees another org's keys.
 */
export interface PluginDataStore {
  get(org: string, key: string): Promise<string | undefined>;
  /** ttlSeconds 0: no expiry. */
  set(org: string, key: string, value: string, ttlSeconds: number): Promise<void>;
}

/**
 * The stored key name: the prefix, the org (percent-encoded, so it holds no `:`), `:`, the key.
 * Encoding the org keeps `("a:b", "c")` and `("a", "b:c")` apart.
 */
export function pluginDataKey(org: string, key: string): string {
  return `${PLUGIN_DATA_PREFIX}${encodeURIComponent(org)}:${key}`;
}

export interface MemoryPluginDataOptions {
  /** Bytes (keys + values) one org may keep; the least recently used go first. Default 16 MiB. */
  maxBytesPerOrg?: number;
  /** Orgs with values at once; a further org evicts the least recently used org. Default 1000. */
  maxOrgs?: number;
}

/** Single-node store: one bounded LRU per org, so one org's plugin cannot evict another's values. */
export class MemoryPluginDataStore implements PluginDataStore {
  private readonly orgs: LRUCache<string, LRUCache<string, string>>;
  private readonly maxBytesPerOrg: number;

  constructor(options: MemoryPluginDataOptions = {}) {
    this.maxBytesPerOrg = options.maxBytesPerOrg ?? 16 * 1024 * 1024;
    this.orgs = new LRUCache({ max: options.maxOrgs ?? 1000 });
  }

  async get(org: string, key: string): Promise<string | undefined> {
    return this.orgs.get(org)?.get(key);
  }

  async set(org: string, key: string, value: string, ttlSeconds: number): Promise<void> {
    let values = this.orgs.get(org);
    if (!values) {
      values = new LRUCache<string, string>({ maxSize: this.maxBytesPerOrg, sizeCalculation: (v, k) => Buffer.byteLength(k) + Buffer.byteLength(v) });
      this.orgs.set(org, values);
    }
    values.set(key, value, { ttl: ttlSeconds > 0 ? ttlSeconds * 1000 : 0 });
  }
}

/** The Redis the sessions live in (through the auth LRU wrapper), so plugins share it as in Tyk. */
export class RedisPluginDataStore implements PluginDataStore {
  constructor(private readonly client: Redis) {}

  async get(org: string, key: string): Promise<string | undefined> {
    const value = await this.run(() => this.client.get(pluginDataKey(org, key)));
    return value ?? undefined;
  }

  async set(org: string, key: string, value: string, ttlSeconds: number): Promise<void> {
    const name = pluginDataKey(org, key);
    await this.run(() => (ttlSeconds > 0 ? this.client.set(name, value, 'EX', Math.ceil(ttlSeconds)) : this.client.set(name, value)));
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    return redisCommand(op);
  }
}

/** The session store of class `type` under any wrappers (`inner`), if the gateway uses it. */
function storeUnder<T>(store: SessionStore | undefined, type: new (...args: never[]) => T): T | undefined {
  for (let s: unknown = store; s; s = (s as { inner?: unknown }).inner) {
    if (s instanceof type) return s;
  }
  return undefined;
}

/** Plugin data lives where the sessions live: Redis, the embedded store, else memory. */
export function pluginDataStoreFor(sessions: SessionStore | undefined): PluginDataStore {
  const redis = storeUnder(sessions, RedisSessionStore);
  if (redis) return new RedisPluginDataStore(redis.client);
  const embedded = storeUnder(sessions, EmbeddedSessionStore);
  if (embedded) return new EmbeddedPluginDataStore(embedded.envs.sessions);
  return new MemoryPluginDataStore();
}
