import { expect } from 'chai';
import { AuthCache, CachedSessionStore, DEFAULT_AUTH_CACHE_OPTIONS, carryOverQuota, isDeadlineAhead, lookupCachedIdentity, lookupIdentity, writeThrough, } from '../src/auth/auth-cache';
import type { AccessDefinition, SessionState } from '../src/pipeline/session';
import type { SessionStore } from '../src/storage/session-store';
import { sleep } from './helpers/poll';

/** A Map-backed SessionStore that counts reads, so tests can see when the LRU answered. */
class CountingStore implements SessionStore {
  map = new Map<string, string>();
  reads = 0;
  async get(key: string) {
    this.reads++;
    const json = this.map.get(key);
    return json === undefined ? undefined : (JSON.parse(json) as SessionState);
  }
  async set(key: string, session: SessionState) {
    this.map.set(key, JSON.stringify(session));
  }
  async delete(key: string) {
    return this.map.delete(key);
  }
  async keys() {
    return [...this.map.keys()];
  }
  async close() {}
}

const NOW = 1_700_000_000;

describe('AuthCache', () => {
  it('defaults match the gateway config defaults', () => {
    expect(DEFAULT_AUTH_CACHE_OPTIONS).to.include({ maxEntries: 10000, maxBytes: 32 * 1024 * 1024 });
  });

  it('rejects nonsense bounds', () => {
    expect(() => new AuthCache({ maxEntries: 0 })).to.throw(RangeError);
    expect(() => new AuthCache({ maxBytes: 1.5 })).to.throw(RangeError);
    expect(() => new AuthCache({ ttlMs: -1 })).to.throw(RangeError);
  });

  it('gets, sets, deletes and counts hits and misses', () => {
    const cache = new AuthCache();
    expect(cache.get('k')).to.equal(undefined);
    cache.set('k', { org_id: 'o', quota_remaining: 5 });
    expect(cache.get('k')).to.deep.equal({ org_id: 'o', quota_remaining: 5 });
    expect(cache.delete('k')).to.equal(true);
    expect(cache.get('k')).to.equal(undefined);
    expect(cache.stats()).to.deep.include({ entries: 0, bytes: 0, hits: 1, misses: 2, evictions: 0 });
  });

  it('hands out copies: changing a returned session does not change the cache', () => {
    const cache = new AuthCache();
    const original = { meta_data: { a: 1 } };
    cache.set('k', original);
    original.meta_data.a = 2;
    const got = cache.get('k')!;
    got.meta_data!.a = 3;
    expect(cache.get('k')!.meta_data!.a).to.equal(1);
  });

  it('evicts the least recently used entry when the entry bound is reached', () => {
    const cache = new AuthCache({ maxEntries: 2 });
    cache.set('a', { n: 1 });
    cache.set('b', { n: 2 });
    cache.get('a');
    cache.set('c', { n: 3 });
    expect(cache.get('b')).to.equal(undefined);
    expect(cache.get('a')).to.deep.equal({ n: 1 });
    expect(cache.get('c')).to.deep.equal({ n: 3 });
    expect(cache.stats()).to.include({ entries: 2, evictions: 1 });
  });

  it('evicts by bytes (JSON length plus key length)', () => {
    const session = { meta_data: { blob: 'x'.repeat(100) } };
    const size = JSON.stringify(session).length + 2;
    const cache = new AuthCache({ maxEntries: 1000, maxBytes: size * 3 });
    for (const key of ['k1', 'k2', 'k3']) cache.set(key, session);
    expect(cache.stats()).to.include({ entries: 3, bytes: size * 3, evictions: 0 });
    cache.set('k4', session);
    expect(cache.stats()).to.include({ entries: 3, bytes: size * 3, evictions: 1 });
    expect(cache.get('k1')).to.equal(undefined);
  });

  it('does not hold a session larger than the byte bound, and drops an older copy', () => {
    const cache = new AuthCache({ maxBytes: 1024 });
    cache.set('k', { small: true });
    cache.set('k', { big: 'x'.repeat(2000) });
    expect(cache.get('k')).to.equal(undefined);
    expect(cache.stats().entries).to.equal(0);
  });

  it('expires entries after ttlMs, and never outlives the store TTL', async () => {
    const cache = new AuthCache({ ttlMs: 30 });
    cache.set('short', { a: 1 });
    const noTtl = new AuthCache({ ttlMs: 0 });
    noTtl.set('store-ttl', { a: 1 }, 0.02);
    noTtl.set('forever', { a: 1 });
    await sleep(60);
    expect(cache.get('short')).to.equal(undefined);
    expect(noTtl.get('store-ttl')).to.equal(undefined);
    expect(noTtl.get('forever')).to.deep.equal({ a: 1 });
  });
});

describe('identity lookup', () => {
  it('a deadline in the future is a hit; past, now or 0 is a miss', () => {
    expect(isDeadlineAhead({ id_extractor_deadline: NOW + 60 }, NOW)).to.equal(true);
    expect(isDeadlineAhead({ id_extractor_deadline: NOW }, NOW)).to.equal(false);
    expect(isDeadlineAhead({ id_extractor_deadline: NOW - 1 }, NOW)).to.equal(false);
    expect(isDeadlineAhead({ id_extractor_deadline: 0 }, NOW)).to.equal(false);
    expect(isDeadlineAhead({}, NOW)).to.equal(false);
    // A string deadline (as some plugins send it) counts too.
    expect(isDeadlineAhead({ id_extractor_deadline: String(NOW + 60) } as unknown as SessionState, NOW)).to.equal(true);
  });

  it('finds a fresh session in the store, then serves it from the LRU', async () => {
    const cache = new AuthCache();
    const store = new CountingStore();
    await store.set('key', { org_id: 'o', id_extractor_deadline: NOW + 60 });
    const first = await lookupCachedIdentity(cache, store, 'key', NOW);
    expect(first).to.deep.include({ org_id: 'o' });
    expect(store.reads).to.equal(1);
    const second = await lookupCachedIdentity(cache, store, 'key', NOW);
    expect(second).to.deep.equal(first);
    expect(store.reads).to.equal(1);
    expect(cache.stats()).to.include({ hits: 1, misses: 1 });
  });

  it('misses when the deadline has passed or is 0, but reports the stored session', async () => {
    const cache = new AuthCache();
    const store = new CountingStore();
    await store.set('past', { id_extractor_deadline: NOW - 1, quota_remaining: 3 });
    await store.set('zero', { id_extractor_deadline: 0 });
    expect(await lookupCachedIdentity(cache, store, 'past', NOW)).to.equal(undefined);
    expect(await lookupCachedIdentity(cache, store, 'zero', NOW)).to.equal(undefined);
    const found = await lookupIdentity(cache, store, 'past', NOW);
    expect(found.fresh).to.equal(undefined);
    expect(found.previous).to.deep.include({ quota_remaining: 3 });
    expect(await lookupIdentity(cache, store, 'absent', NOW)).to.deep.equal({});
  });

  it('a session cached in the LRU expires by its deadline too', async () => {
    const cache = new AuthCache();
    const store = new CountingStore();
    await writeThrough(cache, store, 'key', { id_extractor_deadline: NOW + 10 });
    expect(await lookupCachedIdentity(cache, store, 'key', NOW)).to.not.equal(undefined);
    expect(await lookupCachedIdentity(cache, store, 'key', NOW + 10)).to.equal(undefined);
    expect(store.reads).to.equal(0);
  });

  it('writeThrough stores in the store and the LRU', async () => {
    const cache = new AuthCache();
    const store = new CountingStore();
    await writeThrough(cache, store, 'key', { a: 1 }, 30);
    expect(await store.get('key')).to.deep.equal({ a: 1 });
    expect(cache.get('key')).to.deep.equal({ a: 1 });
  });
});

describe('CachedSessionStore', () => {
  it('reads through the LRU and evicts at once on delete and on update', async () => {
    const inner = new CountingStore();
    const store = new CachedSessionStore(new AuthCache(), inner);
    await store.set('k', { v: 1, id_extractor_deadline: NOW + 60 });
    expect(await store.get('k')).to.deep.include({ v: 1 });
    expect(inner.reads).to.equal(0);
    await store.set('k', { v: 2 });
    expect(await lookupCachedIdentity(store.cache, inner, 'k', NOW)).to.equal(undefined);
    expect(await store.delete('k')).to.equal(true);
    expect(store.cache.get('k')).to.equal(undefined);
    expect(await store.get('k')).to.equal(undefined);
    expect(await store.keys()).to.deep.equal([]);
  });
});

describe('carryOverQuota', () => {
  it('keeps quota_remaining and quota_renews from the stored session', () => {
    const fresh = { quota_max: 10, quota_remaining: 10, quota_renews: 2000, meta_data: { token: 't' } };
    const stored = { quota_max: 10, quota_remaining: 4, quota_renews: 1000 };
    const out = carryOverQuota(fresh, stored);
    expect(out).to.deep.equal({ quota_max: 10, quota_remaining: 4, quota_renews: 1000, meta_data: { token: 't' } });
    expect(fresh.quota_remaining).to.equal(10);
  });

  it('returns the new session unchanged when nothing was stored', () => {
    const fresh = { quota_remaining: 10 };
    expect(carryOverQuota(fresh, undefined)).to.equal(fresh);
  });

  it('does not invent counters the stored session lacks', () => {
    expect(carryOverQuota({ quota_remaining: 10, quota_renews: 5 }, {})).to.deep.equal({ quota_remaining: 10, quota_renews: 5 });
  });

  it('carries per-API limit counters for APIs present in both', () => {
    const fresh = {
      access_rights: {
        a: { api_id: 'a', limit: { quota_max: 5, quota_remaining: 5, quota_renews: 9 } },
        b: { api_id: 'b', limit: { quota_max: 5, quota_remaining: 5 } },
        c: { api_id: 'c' },
      },
    };
    const stored = {
      access_rights: {
        a: { api_id: 'a', limit: { quota_remaining: 1, quota_renews: 7 } },
        c: { api_id: 'c', limit: { quota_remaining: 0 } },
      },
    };
    const out = carryOverQuota(fresh, stored);
    // Tyk's per-API `limit` is not in AccessDefinition: the code carries it as an extra field.
    const rights = out.access_rights as Record<string, AccessDefinition & { limit?: unknown }>;
    expect(rights.a!.limit).to.deep.equal({ quota_max: 5, quota_remaining: 1, quota_renews: 7 });
    expect(rights.b!.limit).to.deep.equal({ quota_max: 5, quota_remaining: 5 });
    expect(rights.c).to.deep.equal({ api_id: 'c' });
    expect(fresh.access_rights.a.limit.quota_remaining).to.equal(5);
  });
});
