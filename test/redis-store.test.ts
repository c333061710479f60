import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { RedisSessionStore, StoreUnavailableError, createSessionStore, connectSessionStore } from '../src/storage/index';
import type { RedisTarget } from '../src/storage/redis-connection';
import { rejectionOf } from './helpers/errors';
import { quietLogs } from './helpers/log';
import { sleep, until } from './helpers/poll';
import { freePort } from './helpers/ports';
import { startRedis, requireRedisServer, type RunningRedis } from './helpers/redis';

function target(port: number, extra: Partial<RedisTarget> = {}): RedisTarget {
  return { source: '/etc/isogate/tyk.conf', host: '127.0.0.1', port, timeoutSeconds: 1, ...extra };
}

describe('RedisSessionStore against a real redis-server', function () {
  quietLogs();
  let redis: RunningRedis;
  let raw: Redis;
  let store: RedisSessionStore;

  before(async function () {
    requireRedisServer(this);
    redis = await startRedis();
    raw = redis.client();
  });

  beforeEach(async () => {
    await raw.flushall();
    store = new RedisSessionStore(target(redis.port));
    await store.connect();
  });

  afterEach(async () => {
    if (store) await store.close();
  });

  after(async () => {
    if (redis) await redis.close();
  });

  it('keeps sessions as Tyk does: session JSON under apikey-<key>, no TTL for 0', async () => {
    const session = { rate: 10, per: 1, org_id: 'o', meta_data: { a: 'b' }, access_rights: {} };
    await store.set('org1abc', session, 0);
    expect(JSON.parse((await raw.get('apikey-org1abc'))!)).to.deep.equal(session);
    expect(await raw.ttl('apikey-org1abc')).to.equal(-1);
    expect(await store.get('org1abc')).to.deep.equal(session);
    expect(await store.get('missing')).to.equal(undefined);
  });

  it('reads sessions another node (or Tyk) wrote', async () => {
    await raw.set('apikey-fromtyk', JSON.stringify({ quota_max: 5, tags: ['x'] }));
    expect(await store.get('fromtyk')).to.deep.equal({ quota_max: 5, tags: ['x'] });
  });

  it('sets the TTL in seconds, and a later write without one clears it', async () => {
    await store.set('k1', { rate: 1 }, 30);
    const ttl = await raw.ttl('apikey-k1');
    expect(ttl).to.be.within(29, 30);
    await store.set('k1', { rate: 2 }, 0);
    expect(await raw.ttl('apikey-k1')).to.equal(-1);
    await store.set('k2', { rate: 1 }, 0.2);
    expect(await raw.ttl('apikey-k2')).to.equal(1);
  });

  it('expires keys when their TTL runs out', async () => {
    await store.set('short', { rate: 1 }, 1);
    expect(await store.get('short')).to.deep.equal({ rate: 1 });
    await sleep(1200);
    expect(await store.get('short')).to.equal(undefined);
    expect(await store.keys()).to.not.include('short');
  });

  it('setIfExists writes only over an existing key (SET … XX)', async () => {
    expect(await store.setIfExists('nokey', { rate: 1 }, 0)).to.equal(false);
    expect(await raw.exists('apikey-nokey')).to.equal(0);
    await store.set('there', { rate: 1 }, 0);
    expect(await store.setIfExists('there', { rate: 2, quota_remaining: 3 }, 60)).to.equal(true);
    expect(await store.get('there')).to.deep.equal({ rate: 2, quota_remaining: 3 });
    expect(await raw.ttl('apikey-there')).to.be.within(59, 60);
  });

  it('delete reports whether the key existed', async () => {
    await store.set('d', { rate: 1 }, 0);
    expect(await store.delete('d')).to.equal(true);
    expect(await store.delete('d')).to.equal(false);
    expect(await store.get('d')).to.equal(undefined);
  });

  it('keys() scans apikey-* only and strips the prefix', async () => {
    for (let i = 0; i < 2500; i++) await raw.set(`apikey-bulk${i}`, '{}');
    await raw.set('quota-bulk1', '5');
    await raw.set('other', 'x');
    const keys = await store.keys();
    expect(keys).to.have.length(2500);
    expect(new Set(keys).size).to.equal(2500);
    expect(keys).to.include('bulk0').and.include('bulk2499');
    expect(keys.some((k) => k.startsWith('apikey-'))).to.equal(false);
  });

  it('ignores a stored value that is not a session object', async () => {
    await raw.set('apikey-junk', 'not json');
    await raw.set('apikey-arr', '[1,2]');
    expect(await store.get('junk')).to.equal(undefined);
    expect(await store.get('arr')).to.equal(undefined);
  });

  it('uses storage.database', async () => {
    const other = new RedisSessionStore(target(redis.port, { database: 3 }));
    await other.connect();
    try {
      await other.set('indb3', { rate: 1 }, 0);
      expect(await raw.exists('apikey-indb3')).to.equal(0);
      await raw.select(3);
      expect(await raw.exists('apikey-indb3')).to.equal(1);
    } finally {
      await raw.select(0);
      await other.close();
    }
  });

  it('createSessionStore builds an unconnected Redis store from the config; connectSessionStore opens it', async () => {
    const made = createSessionStore({ source: 'x.conf', storage: { type: 'redis', host: '127.0.0.1', port: redis.port } }) as RedisSessionStore;
    expect(made).to.be.instanceOf(RedisSessionStore);
    expect(made.client.status).to.equal('wait');
    await connectSessionStore(made);
    await made.set('via-factory', { rate: 1 }, 0);
    expect(await raw.exists('apikey-via-factory')).to.equal(1);
    await made.close();
    expect(made.client.status).to.equal('end');
  });
});

/** The `storage` section createSessionStore takes. */
type Storage = NonNullable<Parameters<typeof createSessionStore>[0]['storage']>;

describe('createSessionStore for Redis', () => {
  it('refuses Tyk storage options it cannot honour, naming the key and file', () => {
    for (const key of ['enable_cluster', 'use_ssl']) {
      expect(() => createSessionStore({ source: '/etc/tyk.conf', storage: { type: 'redis', host: 'h', [key]: true } as Storage }))
        .to.throw(new RegExp(`^/etc/tyk\\.conf: storage\\.${key}: is not supported`))
        .with.property('name', 'ConfigError');
    }
    // Tyk keys the gateway does not model, as a tyk.conf may carry them.
    const store = createSessionStore({ source: 'x', storage: { type: 'redis', host: 'h', enable_cluster: false, optimisation_max_idle: 2000 } as Storage }) as RedisSessionStore;
    expect(store.target).to.include({ host: 'h', port: 6379, timeoutSeconds: 5 });
    return store.close();
  });
});

describe('RedisSessionStore when Redis is away', function () {
  quietLogs();
  before(function () {
    requireRedisServer(this);
  });

  it('fails to start with a ConfigError naming storage.host/storage.port and the file', async () => {
    const port = await freePort();
    const store = new RedisSessionStore(target(port));
    const started = Date.now();
    const error = await rejectionOf(store.connect());
    expect(error, 'connect should fail').to.exist;
    expect(error.name).to.equal('ConfigError');
    expect(error.message).to.match(/^\/etc\/isogate\/tyk\.conf: storage\.host\/storage\.port: cannot connect to Redis at 127\.0\.0\.1:\d+/);
    expect(error.message).to.match(/ECONNREFUSED/);
    // It waits up to storage.timeout for a Redis that may still be starting, no longer.
    expect(Date.now() - started).to.be.within(900, 3000);
    // Nothing keeps trying (or keeps the process alive) after the failure.
    let attempts = 0;
    store.client.on('connecting', () => attempts++);
    store.client.on('reconnecting', () => attempts++);
    await sleep(500);
    expect(attempts).to.equal(0);
  });

  it('connects to a Redis that comes up within storage.timeout', async () => {
    const port = await freePort();
    const store = new RedisSessionStore(target(port, { timeoutSeconds: 5 }));
    const connecting = store.connect();
    await sleep(300);
    const redis = await startRedis({ port });
    try {
      await connecting;
      await store.set('late', { rate: 1 }, 0);
      expect(await store.get('late')).to.deep.equal({ rate: 1 });
    } finally {
      await store.close();
      await redis.close();
    }
  });

  it('names storage.password when Redis refuses the credentials', async () => {
    const redis = await startRedis({ args: ['--requirepass', 'right'] });
    const store = new RedisSessionStore(target(redis.port, { password: 'wrong' }));
    try {
      const error = await rejectionOf(store.connect());
      expect(error, 'connect should fail').to.exist;
      expect(error.message).to.match(/storage\.password: Redis at 127\.0\.0\.1:\d+ refused the credentials/);
      const good = new RedisSessionStore(target(redis.port, { password: 'right' }));
      await good.connect();
      await good.set('authed', { rate: 1 }, 0);
      await good.close();
    } finally {
      await store.close();
      await redis.close();
    }
  });

  it('fails commands fast with StoreUnavailableError during an outage and recovers after it', async () => {
    const redis = await startRedis();
    const store = new RedisSessionStore(target(redis.port));
    await store.connect();
    try {
      await store.set('survivor', { rate: 1 }, 0);
      await redis.stop();
      await sleep(50);
      const started = Date.now();
      const error = await rejectionOf(store.get('survivor'));
      expect(error).to.be.instanceOf(StoreUnavailableError);
      expect(Date.now() - started).to.be.below(1500);
      await redis.restart();
      const ok = await until(() => store.set('after', { rate: 2 }, 0).then(() => true, () => false), { timeoutMs: 5000, stepMs: 50 }).catch(() => false);
      expect(ok, 'the store reconnects by itself').to.equal(true);
      expect(await store.get('after')).to.deep.equal({ rate: 2 });
    } finally {
      await store.close();
      await redis.close();
    }
  });
});
