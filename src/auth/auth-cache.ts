import { LRUCache } from 'lru-cache';
import type { SessionStore } from '../storage/session-store';
import type { SessionState } from '../pipeline/session';

export interface AuthCacheOptions {
  /** Most sessions held (gateway config `auth_cache.max_entries`). */
  maxEntries: number;
  /** Most bytes held, counted as the JSON length of each session plus its key (`auth_cache.max_bytes`). */
  maxBytes: number;
  /**
   * Longest an entry is trusted without going back to the store, in ms; 0 = until evicted.
   * It bounds how stale a node can be when another node changes or deletes a session in a shared
   * store (the same role as Tyk's 10 s node-local session cache).
   */
  ttlMs: number;
}

export const DEFAULT_AUTH_CACHE_OPTIONS: Readonly<AuthCacheOptions> = {
  maxEntries: 10_000,
  maxBytes: 32 * 1024 * 1024,
  ttlMs: 10_000,
};

export interface AuthCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  /** Entries pushed out by the entry or byte bound (not deletes, overwrites or TTL expiry). */
  evictions: number;
}

/**
 * The in-process LRU in front of the session store, keyed by the store's key name.
 * Sessions are held as their JSON text: the byte bound is then exact, and every `get` hands out
 * a fresh object, so a request that changes its session can never alter the cached one.
 */
export class AuthCache {
  private readonly lru: LRUCache<string, string>;
  private readonly ttlMs: number;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(options: Partial<AuthCacheOptions> = {}) {
    const { maxEntries, maxBytes, ttlMs } = { ...DEFAULT_AUTH_CACHE_OPTIONS, ...options };
    for (const [name, value] of Object.entries({ maxEntries, maxBytes })) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`AuthCache ${name} must be a positive integer`);
    }
    if (!Number.isInteger(ttlMs) || ttlMs < 0) throw new RangeError('AuthCache ttlMs must be a non-negative integer');
    this.ttlMs = ttlMs;
    this.lru = new LRUCache<string, string>({
      max: maxEntries,
      maxSize: maxBytes,
      sizeCalculation: (json, key) => json.length + key.length,
      dispose: (_json, _key, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
  }

  get(key: string): SessionState | undefined {
    const json = this.lru.get(key);
    if (json === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return JSON.parse(json) as SessionState;
  }

  /**
   * `ttlSeconds` is the store's TTL for the same key, so the copy here never outlives it.
   * A session larger than `maxBytes` is not held (and any older copy is dropped).
   */
  set(key: string, session: SessionState, ttlSeconds = 0): void {
    const storeTtlMs = ttlSeconds > 0 ? ttlSeconds * 1000 : 0;
    const ttl = storeTtlMs && this.ttlMs ? Math.min(storeTtlMs, this.ttlMs) : storeTtlMs || this.ttlMs;
    this.lru.set(key, JSON.stringify(session), { ttl });
  }

  /** Call whenever the stored session under `key` is deleted or replaced outside this cache. */
  delete(key: string): boolean {
    return this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
  }

  stats(): AuthCacheStats {
    return {
      entries: this.lru.size,
      bytes: this.lru.calculatedSize,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
    };
  }
}

/** LRU first, then the store; a session found in the store is copied into the LRU. */
export async function readThrough(cache: AuthCache, store: SessionStore, key: string): Promise<SessionState | undefined> {
  const cached = cache.get(key);
  if (cached) return cached;
  const stored = await store.get(key);
  if (stored) cache.set(key, stored);
  return stored;
}

/** Store first, so a failed write never leaves the LRU serving a session the store lacks. */
export async function writeThrough(
  cache: AuthCache,
  store: SessionStore,
  key: string,
  session: SessionState,
  ttlSeconds = 0,
): Promise<void> {
  await store.set(key, session, ttlSeconds);
  cache.set(key, session, ttlSeconds);
}

/** Tyk: a cached identity skips auth_check only while `id_extractor_deadline` (unix seconds) is ahead. */
export function isDeadlineAhead(session: SessionState, nowSeconds: number): boolean {
  // Sessions decoded from protobuf may carry int64 fields as strings or bigints.
  const deadline = Number(session.id_extractor_deadline ?? 0);
  return deadline > nowSeconds;
}

export interface IdentityLookup {
  /** The session to use without calling auth_check. */
  fresh?: SessionState;
  /** Whatever is stored under the key, fresh or not: the source of quota carry-over on re-authentication. */
  previous?: SessionState;
}

export async function lookupIdentity(
  cache: AuthCache,
  store: SessionStore,
  key: string,
  nowSeconds: number,
): Promise<IdentityLookup> {
  const previous = await readThrough(cache, store, key);
  if (!previous) return {};
  return isDeadlineAhead(previous, nowSeconds) ? { fresh: previous, previous } : { previous };
}

/** The session under `key` if it may be used without calling auth_check, else undefined. */
export async function lookupCachedIdentity(
  cache: AuthCache,
  store: SessionStore,
  key: string,
  nowSeconds: number,
): Promise<SessionState | undefined> {
  return (await lookupIdentity(cache, store, key, nowSeconds)).fresh;
}

interface QuotaCounters {
  quota_remaining?: unknown;
  quota_renews?: unknown;
}

function copyCounters(target: QuotaCounters, source: QuotaCounters): void {
  // Only counters the old session really has: an absent field is not a spent quota.
  if (typeof source.quota_remaining === 'number') target.quota_remaining = source.quota_remaining;
  if (typeof source.quota_renews === 'number') target.quota_renews = source.quota_renews;
}

function limitOf(value: unknown): QuotaCounters | undefined {
  const limit = (value as { limit?: unknown } | undefined)?.limit;
  return typeof limit === 'object' && limit !== null ? (limit as QuotaCounters) : undefined;
}

/**
 * Re-authentication must not reset quota (Tyk step 9 of auth_check): the new session takes
 * `quota_remaining` and `quota_renews` from the stored one, and so does each per-API `limit`
 * of an API present in both. Returns a new object; neither argument is changed.
 */
export function carryOverQuota(newSession: SessionState, previousSession: SessionState | undefined): SessionState {
  if (!previousSession) return newSession;
  const out: SessionState = { ...newSession };
  copyCounters(out, previousSession);
  const rights = newSession.access_rights;
  const oldRights = previousSession.access_rights;
  if (rights && oldRights) {
    const merged: NonNullable<SessionState['access_rights']> = {};
    for (const [apiId, access] of Object.entries(rights)) {
      const limit = limitOf(access);
      const oldLimit = limitOf(oldRights[apiId]);
      if (limit && oldLimit) {
        const newLimit = { ...limit };
        copyCounters(newLimit, oldLimit);
        merged[apiId] = { ...access, limit: newLimit } as typeof access;
      } else {
        merged[apiId] = access;
      }
    }
    out.access_rights = merged;
  }
  return out;
}

/**
 * A SessionStore whose reads go through the LRU and whose writes and deletes keep it in step.
 * Hand it to every other writer of sessions (the management API, the quota step) so that a key
 * deleted or updated through /tyk/keys leaves the LRU at once.
 */
export class CachedSessionStore implements SessionStore {
  constructor(
    readonly cache: AuthCache,
    readonly inner: SessionStore,
  ) {}

  get(key: string): Promise<SessionState | undefined> {
    return readThrough(this.cache, this.inner, key);
  }

  set(key: string, session: SessionState, ttlSeconds?: number): Promise<void> {
    return writeThrough(this.cache, this.inner, key, session, ttlSeconds);
  }

  async setIfExists(key: string, session: SessionState, ttlSeconds?: number): Promise<boolean> {
    if (!this.inner.setIfExists) {
      await this.set(key, session, ttlSeconds);
      return true;
    }
    const written = await this.inner.setIfExists(key, session, ttlSeconds);
    if (written) this.cache.set(key, session, ttlSeconds);
    else this.cache.delete(key);
    return written;
  }

  async delete(key: string): Promise<boolean> {
    this.cache.delete(key);
    return this.inner.delete(key);
  }

  keys(): Promise<string[]> {
    return this.inner.keys();
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.inner.close();
  }
}
