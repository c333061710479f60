import { expect } from 'chai';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { SessionState } from '../src/pipeline/session';
import { SessionLimiter, checkKeyState, checkAccessRights, consumeQuota, takeToken, type LimitCheck, type LimitFailure, type LimitResult, type SessionLimiterOptions } from '../src/auth/limits';
import { MemorySessionStore } from '../src/storage/memory-store';
import { createKeysRouter } from '../src/admin/keys';
import { readJson, tykReply } from './helpers/http';
import { sleep } from './helpers/poll';

const T0 = Date.UTC(2030, 0, 1); // a fixed "now", epoch ms
const T0_SEC = T0 / 1000;

/** The in-process limiter answers synchronously: these tests hold it to that. */
interface SyncLimiter {
  check(c: LimitCheck): LimitResult;
  forget(storedKey: string): void;
  flush(): Promise<void>;
  close(): void;
  sweep(): void;
}

interface Limited {
  clock: { now: number };
  store: MemorySessionStore;
  limiter: SyncLimiter;
}

function syncOnly(limiter: SessionLimiter): SyncLimiter {
  return {
    check: (c) => {
      const r = limiter.check(c);
      if (r instanceof Promise) throw new Error('the in-process limiter answered with a promise');
      return r;
    },
    forget: (k) => limiter.forget(k),
    flush: () => limiter.flush(),
    close: () => limiter.close(),
    sweep: () => limiter.sweep(),
  };
}

/** Every limiter made, closed (with its store) after each test. */
const opened: Limited[] = [];

/** A limiter over a memory store with a clock the test moves (`realClock`: the wall clock). */
function setup(options: Partial<SessionLimiterOptions> = {}, realClock = false): Limited {
  const clock = { now: T0 };
  const now = realClock ? Date.now : () => clock.now;
  const store = new MemorySessionStore({ now, sweepIntervalMs: 0 });
  const limiter = syncOnly(new SessionLimiter({ store, now, ...options }));
  opened.push({ clock, store, limiter });
  return { clock, store, limiter };
}

describe('limits: key state and access rights', () => {
  it('an inactive key is 403 "Key is inactive, please renew" with a KeyExpired event', () => {
    const r = checkKeyState({ is_inactive: true, expires: 0 }, T0_SEC)!;
    expect(r).to.deep.include({ ok: false, status: 403, message: 'Key is inactive, please renew', event: 'KeyExpired' });
    expect(r.eventMessage).to.equal('Attempted access from inactive key.');
  });

  it('an expired key is 401 "Key has expired, please renew"; 0 or a future time is fine', () => {
    const r = checkKeyState({ expires: T0_SEC - 1 }, T0_SEC)!;
    expect(r).to.deep.include({ ok: false, status: 401, message: 'Key has expired, please renew', event: 'KeyExpired' });
    expect(checkKeyState({ expires: 0 }, T0_SEC)).to.equal(undefined);
    expect(checkKeyState({ expires: -1 }, T0_SEC)).to.equal(undefined);
    expect(checkKeyState({ expires: T0_SEC + 10 }, T0_SEC)).to.equal(undefined);
    expect(checkKeyState({}, T0_SEC)).to.equal(undefined);
  });

  it('inactive wins over expired (Tyk checks it first)', () => {
    expect(checkKeyState({ is_inactive: true, expires: 1 }, T0_SEC)!.status).to.equal(403);
  });

  it('empty access_rights open every API; otherwise the API must be listed', () => {
    expect(checkAccessRights({}, 'api1')).to.equal(undefined);
    expect(checkAccessRights({ access_rights: {} }, 'api1')).to.equal(undefined);
    expect(checkAccessRights({ access_rights: { api1: {} } }, 'api1')).to.equal(undefined);
    const r = checkAccessRights({ access_rights: { api2: {} } }, 'api1')!;
    expect(r).to.deep.include({ ok: false, status: 403, message: 'Access to this API has been disallowed' });
    // Tyk fires no event for this one.
    expect(r.event).to.equal(undefined);
  });

  it('for a versioned API the version must be granted', () => {
    const s = { access_rights: { api1: { versions: ['v1'] } } };
    expect(checkAccessRights(s, 'api1', 'v1')).to.equal(undefined);
    expect(checkAccessRights(s, 'api1', 'v2')!.status).to.equal(403);
    expect(checkAccessRights({ access_rights: { api1: {} } }, 'api1', 'v1')!.status).to.equal(403);
  });
});

describe('limits: bucket and quota arithmetic', () => {
  it('takeToken allows a burst of rate, then refills at rate per per seconds', () => {
    const bucket = { tokens: 2, at: 0 };
    expect(takeToken(bucket, 2, 10, 0)).to.equal(true);
    expect(takeToken(bucket, 2, 10, 0)).to.equal(true);
    expect(takeToken(bucket, 2, 10, 0)).to.equal(false);
    expect(takeToken(bucket, 2, 10, 4_999)).to.equal(false);
    expect(takeToken(bucket, 2, 10, 5_000)).to.equal(true);
  });

  it('consumeQuota counts down, refuses at zero, renews only with a renewal rate', () => {
    const c = { remaining: 1, renews: 100 };
    expect(consumeQuota(c, 5, 0, 200)).to.equal(true);
    expect(consumeQuota(c, 5, 0, 200)).to.equal(false);
    expect(c.remaining).to.equal(0);
    expect(consumeQuota(c, 5, 60, 200.5)).to.equal(true);
    expect(c).to.deep.equal({ remaining: 4, renews: 260 });
  });
});

describe('SessionLimiter', () => {
  let ctx: Limited;
  afterEach(async () => {
    for (const done of opened.splice(0)) {
      await done.limiter.flush();
      done.limiter.close();
      await done.store.close();
    }
  });

  it('passes a key without limits and writes nothing', async () => {
    ctx = setup();
    const session = { rate: 0, per: 0, quota_max: -1 };
    await ctx.store.set('k', session);
    for (let i = 0; i < 100; i++) expect(ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' }).ok).to.equal(true);
    await ctx.limiter.flush();
    expect(await ctx.store.get('k'))!.to.deep.equal(session);
  });

  it('runs key checks first: expired, inactive, access rights', () => {
    ctx = setup();
    const expired = ctx.limiter.check({ storedKey: 'k', session: { expires: T0_SEC - 5, rate: 1, per: 1 }, apiId: 'a' });
    expect(expired).to.deep.include({ ok: false, status: 401, event: 'KeyExpired' });
    const inactive = ctx.limiter.check({ storedKey: 'k', session: { is_inactive: true }, apiId: 'a' });
    expect(inactive).to.deep.include({ ok: false, status: 403, message: 'Key is inactive, please renew' });
    const denied = ctx.limiter.check({ storedKey: 'k', session: { access_rights: { b: {} } }, apiId: 'a' });
    expect(denied).to.deep.include({ ok: false, status: 403, message: 'Access to this API has been disallowed' });
  });

  it('rate limit: `rate` requests pass, the next is 429 RatelimitExceeded, and `per` seconds later it recovers', () => {
    ctx = setup();
    const session = { rate: 3, per: 10, quota_max: -1 };
    const check = () => ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' });
    for (let i = 0; i < 3; i++) expect(check().ok).to.equal(true);
    const limited = check();
    expect(limited).to.deep.include({ ok: false, status: 429, message: 'Rate limit exceeded', event: 'RatelimitExceeded' });
    expect((limited as LimitFailure).eventMessage).to.equal('Key Rate Limit Exceeded');
    ctx.clock.now += 10_000;
    for (let i = 0; i < 3; i++) expect(check().ok).to.equal(true);
    expect(check().ok).to.equal(false);
  });

  it('rate limit recovers in real time too', async () => {
    ctx = setup({}, true);
    const session = { rate: 2, per: 0.3 };
    const check = () => ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' });
    expect(check().ok).to.equal(true);
    expect(check().ok).to.equal(true);
    expect((check() as LimitFailure).status).to.equal(429);
    await sleep(350);
    expect(check().ok).to.equal(true);
  });

  it('rate limits count per stored key, and disable_rate_limit turns them off', () => {
    ctx = setup();
    const session = { rate: 1, per: 60 };
    expect(ctx.limiter.check({ storedKey: 'k1', session, apiId: 'a' }).ok).to.equal(true);
    expect(ctx.limiter.check({ storedKey: 'k1', session, apiId: 'a' }).ok).to.equal(false);
    expect(ctx.limiter.check({ storedKey: 'k2', session, apiId: 'a' }).ok).to.equal(true);
    expect(ctx.limiter.check({ storedKey: 'k1', session, apiId: 'a', disableRateLimit: true }).ok).to.equal(true);
  });

  it('quota: quota_max requests pass, then 403 "Quota exceeded"; counters are written back to the store', async () => {
    ctx = setup();
    const session = { quota_max: 3, quota_remaining: 3, quota_renews: T0_SEC, quota_renewal_rate: 0 };
    await ctx.store.set('k', session);
    const check = () => ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' });
    expect(check().ok).to.equal(true);
    expect(session.quota_remaining).to.equal(2);
    expect(check().ok).to.equal(true);
    expect(check().ok).to.equal(true);
    const r = check();
    expect(r).to.deep.include({ ok: false, status: 403, message: 'Quota exceeded', event: 'QuotaExceeded' });
    expect((r as LimitFailure).eventMessage).to.equal('Key Quota Limit Exceeded');
    await ctx.limiter.flush();
    expect((await ctx.store.get('k'))!.quota_remaining).to.equal(0);
    // Never renews without a renewal rate, however long we wait.
    ctx.clock.now += 365 * 86400_000;
    expect(check().ok).to.equal(false);
  });

  it('quota renews once quota_renews has passed: full quota again, next renewal set, persisted', async () => {
    ctx = setup();
    const session = { quota_max: 2, quota_remaining: 2, quota_renews: T0_SEC + 60, quota_renewal_rate: 60 };
    await ctx.store.set('k', session);
    const check = () => ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' });
    expect(check().ok).to.equal(true);
    expect(check().ok).to.equal(true);
    expect((check() as LimitFailure).status).to.equal(403);
    ctx.clock.now += 30_000;
    expect((check() as LimitFailure).status).to.equal(403);
    ctx.clock.now += 31_000; // past T0 + 60 s
    expect(check().ok).to.equal(true);
    await ctx.limiter.flush();
    const stored = (await ctx.store.get('k'))!;
    expect(stored.quota_remaining).to.equal(1);
    expect(stored.quota_renews).to.equal(T0_SEC + 61 + 60);
  });

  it('a session whose quota period never started (quota_renews 0) gets its full quota', async () => {
    ctx = setup();
    // As an auth plugin returns it: quota_max set, counters zero.
    const session = { quota_max: 2, quota_remaining: 0, quota_renews: 0, quota_renewal_rate: 3600 };
    const check = () => ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' });
    expect(check().ok).to.equal(true);
    expect(session.quota_renews).to.equal(T0_SEC + 3600);
    expect(check().ok).to.equal(true);
    expect(check().ok).to.equal(false);
  });

  it('concurrent requests cannot overspend: the count is exact whatever the interleaving', async () => {
    ctx = setup();
    await ctx.store.set('k', { quota_max: 50, quota_remaining: 50, quota_renews: T0_SEC });
    // Each request reads its own copy of the session from the store, as the gateway does.
    const results = await Promise.all(
      Array.from({ length: 80 }, async () => {
        const session = (await ctx.store.get('k'))!;
        return ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' }).ok;
      }),
    );
    expect(results.filter(Boolean)).to.have.length(50);
    await ctx.limiter.flush();
    expect((await ctx.store.get('k'))!.quota_remaining).to.equal(0);
  });

  it('write-back keeps the stored TTL and does not bring back a deleted key', async () => {
    ctx = setup();
    const session = { quota_max: 5, quota_remaining: 5, quota_renews: T0_SEC };
    await ctx.store.set('k', session, 100);
    ctx.limiter.check({ storedKey: 'k', session, apiId: 'a', ttlSeconds: 100 });
    await ctx.limiter.flush();
    expect((await ctx.store.get('k'))!.quota_remaining).to.equal(4);
    ctx.clock.now += 100_000;
    expect(await ctx.store.get('k'))!.to.equal(undefined);

    await ctx.store.set('gone', session);
    ctx.limiter.check({ storedKey: 'gone', session, apiId: 'a' });
    await ctx.store.delete('gone');
    await ctx.limiter.flush();
    expect(await ctx.store.get('gone'))!.to.equal(undefined);
  });

  it('an admin update (new last_updated) is neither overwritten nor counted against the old period', async () => {
    ctx = setup();
    const old = { quota_max: 3, quota_remaining: 3, quota_renews: T0_SEC, last_updated: '1' };
    await ctx.store.set('k', old);
    ctx.limiter.check({ storedKey: 'k', session: old, apiId: 'a' });
    // The admin replaces the key before the write-back runs.
    const fresh = { quota_max: 10, quota_remaining: 10, quota_renews: T0_SEC, last_updated: '2' };
    await ctx.store.set('k', fresh);
    await ctx.limiter.flush();
    expect((await ctx.store.get('k'))!.quota_remaining).to.equal(10);
    // The next request carries the new session: counting starts from it.
    const next = (await ctx.store.get('k'))!;
    expect(ctx.limiter.check({ storedKey: 'k', session: next, apiId: 'a' }).ok).to.equal(true);
    await ctx.limiter.flush();
    expect((await ctx.store.get('k'))!.quota_remaining).to.equal(9);
  });

  it('forget() drops a key’s counters so the next request re-reads its session', () => {
    ctx = setup();
    const session = { rate: 1, per: 60 };
    expect(ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' }).ok).to.equal(true);
    expect(ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' }).ok).to.equal(false);
    ctx.limiter.forget('k');
    expect(ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' }).ok).to.equal(true);
  });

  it('disable_quota turns quota off', () => {
    ctx = setup();
    const session = { quota_max: 1, quota_remaining: 0, quota_renews: T0_SEC };
    expect(ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' }).ok).to.equal(false);
    expect(ctx.limiter.check({ storedKey: 'k', session, apiId: 'a', disableQuota: true }).ok).to.equal(true);
  });

  it('idle state is swept, then rebuilt from the stored counters', async () => {
    ctx = setup({ idleMs: 1000 });
    const session = { quota_max: 3, quota_remaining: 3, quota_renews: T0_SEC };
    await ctx.store.set('k', session);
    ctx.limiter.check({ storedKey: 'k', session, apiId: 'a' });
    await ctx.limiter.flush();
    ctx.clock.now += 5000;
    ctx.limiter.sweep();
    const reread = (await ctx.store.get('k'))!;
    expect(reread.quota_remaining).to.equal(2);
    expect(ctx.limiter.check({ storedKey: 'k', session: reread, apiId: 'a' }).ok).to.equal(true);
    await ctx.limiter.flush();
    expect((await ctx.store.get('k'))!.quota_remaining).to.equal(1);
  });
});

describe('limits with keys made through /tyk/keys', () => {
  let server: Server | undefined;
  let store: MemorySessionStore | undefined;
  let limiter: SyncLimiter | undefined;
  after(async () => {
    if (server) await new Promise((r) => server!.close(r));
    if (limiter) limiter.close();
    if (store) await store.close();
  });

  it('quota used by traffic shows in GET /tyk/keys/:key; a PUT resets it through onKeyChanged', async () => {
    store = new MemorySessionStore();
    limiter = syncOnly(new SessionLimiter({ store }));
    const app = express();
    app.use(
      '/tyk/keys',
      createKeysRouter({
        store,
        config: { hash_keys: true, hash_key_function: 'murmur64', min_token_length: 3 },
        events: { fire() {} },
        onKeyChanged: (storedKey) => limiter!.forget(storedKey),
      }),
    );
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tyk/keys`;
    const post = await fetch(`${base}/create`, {
      method: 'POST',
      body: JSON.stringify({ org_id: 'o', quota_max: 3, quota_renewal_rate: 3600, access_rights: { api1: { api_id: 'api1' } } }),
    });
    const { key, key_hash } = await tykReply(post);
    const storedKey = key_hash!;

    for (let i = 0; i < 3; i++) {
      const session = (await store.get(storedKey))!;
      expect(limiter.check({ storedKey, session, apiId: 'api1' }).ok).to.equal(true);
    }
    expect((limiter.check({ storedKey, session: (await store.get(storedKey))!, apiId: 'api1' }) as LimitFailure).status).to.equal(403);
    expect((limiter.check({ storedKey, session: (await store.get(storedKey))!, apiId: 'api2' }) as LimitFailure).message).to.equal(
      'Access to this API has been disallowed',
    );
    await limiter.flush();
    const detail = await readJson<SessionState>(await fetch(`${base}/${encodeURIComponent(key!)}`));
    expect(detail.quota_remaining).to.equal(0);

    const put = await fetch(`${base}/${encodeURIComponent(key!)}`, {
      method: 'PUT',
      body: JSON.stringify({ org_id: 'o', quota_max: 3, quota_renewal_rate: 3600, access_rights: { api1: { api_id: 'api1' } } }),
    });
    expect(put.status).to.equal(200);
    expect(limiter.check({ storedKey, session: (await store.get(storedKey))!, apiId: 'api1' }).ok).to.equal(true);
  });
});
