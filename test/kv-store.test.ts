// The KvStore contract (src/storage/kv/kv-store.ts), run against every backend: the memory one,
// Redis (a real redis-server) and the embedded LMDB store (a real folder). A new backend adds one
// entry to BACKENDS.
import { expect } from 'chai';
import Redis from 'ioredis';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openEmbeddedEnvs } from '../src/storage/embedded-env';
import { apiKvNamespace, EmbeddedKvStore, jsvmStoreNamespace, KvQuotaError, type KvStore, MemoryKvStore, RedisKvStore } from '../src/storage/kv';
import { sleep } from './helpers/poll';
import { locateRedisServer, startRedis, type RunningRedis } from './helpers/redis';

interface Backend {
  name: string;
  open(): Promise<{ store: KvStore; close(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  { name: 'memory', open: async () => { const store = new MemoryKvStore({ sweepIntervalMs: 0 }); return { store, close: () => store.close() }; } },
  {
    name: 'redis',
    open: async () => {
      const redis: RunningRedis = await startRedis();
      const client = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: 1 });
      return {
        store: new RedisKvStore(client),
        close: async () => {
          client.disconnect();
          await redis.close();
        },
      };
    },
  },
  {
    name: 'embedded',
    open: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isogate-kv-'));
      const envs = openEmbeddedEnvs(dir, 'test');
      return {
        store: new EmbeddedKvStore(envs.sessions),
        close: async () => {
          await envs.sessions.close();
          await envs.counters.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

for (const backend of BACKENDS) {
  describe(`KvStore contract: ${backend.name}`, function () {
    this.timeout(20_000);
    let store: KvStore;
    let close: () => Promise<void>;
    const api = apiKvNamespace('api-1', { maxKeys: 3, maxBytes: 50 });
    const other = apiKvNamespace('api-2', { maxKeys: 3, maxBytes: 50 });
    const org = jsvmStoreNamespace('org:1');

    before(async function () {
      if (backend.name === 'redis' && 'skip' in locateRedisServer()) this.skip();
      ({ store, close } = await backend.open());
    });

    after(async () => {
      await close?.();
    });

    it('keeps namespaces apart, whatever the key', async () => {
      await store.set(api, 'k', 'a');
      await store.set(other, 'k', 'b');
      await store.set(api, 'api-2:k', 'crafted');
      expect(await store.get(api, 'k')).to.equal('a');
      expect(await store.get(other, 'k')).to.equal('b');
      expect(await store.list(other, '', 10)).to.deep.equal(['k']);
      expect(await store.list(api, '', 10)).to.deep.equal(['api-2:k', 'k']);
      expect(await store.usage(api)).to.deep.equal({ keys: 2, bytes: 1 + 1 + 7 + 7 });
      for (const k of ['k', 'api-2:k']) await store.delete(api, k);
      await store.delete(other, 'k');
    });

    it('counts quotas exactly: new keys, overwrites, deletes, refusals that change nothing', async () => {
      await store.set(api, 'a', 'x'.repeat(9)); // 10 bytes
      await store.set(api, 'b', 'x'.repeat(9));
      await store.set(api, 'c', 'x'.repeat(9));
      const keys = await store.set(api, 'd', 'x').catch((e: unknown) => e);
      expect(keys).to.be.instanceOf(KvQuotaError).and.have.property('limit', 'keys');
      await store.set(api, 'a', 'x'.repeat(29)); // 30 bytes: 50 in all
      const bytes = await store.set(api, 'b', 'x'.repeat(10)).catch((e: unknown) => e);
      expect(bytes).to.be.instanceOf(KvQuotaError).and.have.property('limit', 'bytes');
      expect(await store.get(api, 'b')).to.equal('x'.repeat(9));
      expect(await store.usage(api)).to.deep.equal({ keys: 3, bytes: 50 });
      expect(await store.delete(api, 'a')).to.equal(true);
      expect(await store.delete(api, 'a')).to.equal(false);
      expect(await store.usage(api)).to.deep.equal({ keys: 2, bytes: 20 });
      for (const k of ['b', 'c']) await store.delete(api, k);
    });

    it('expires entries, frees their quota, and reports TTLs as Redis does', async () => {
      await store.set(api, 't', 'v', { ttlMs: 150 });
      expect(await store.ttlMs(api, 't')).to.be.within(1, 150);
      expect(await store.ttlMs(api, 'none')).to.equal(-2);
      await store.set(api, 'p', 'v');
      expect(await store.ttlMs(api, 'p')).to.equal(-1);
      await sleep(250);
      expect(await store.get(api, 't')).to.equal(undefined);
      expect(await store.list(api, '', 10)).to.deep.equal(['p']);
      expect(await store.usage(api)).to.deep.equal({ keys: 1, bytes: 2 });
      await store.delete(api, 'p');
    });

    it('set if absent, and incr with a TTL only for a new key, quota included', async () => {
      expect(await store.set(org, 'lock', '1', { ifAbsent: true })).to.equal(true);
      expect(await store.set(org, 'lock', '2', { ifAbsent: true })).to.equal(false);
      expect(await store.get(org, 'lock')).to.equal('1');
      expect(await store.incr(org, 'n', 10_000)).to.equal(1);
      expect(await store.incr(org, 'n')).to.equal(2);
      expect(await store.ttlMs(org, 'n')).to.be.within(1, 10_000);
      await store.set(org, 'text', 'abc');
      expect(await store.incr(org, 'text').catch((e: Error) => e.message)).to.contain('not an integer');
      expect(await store.incr(api, 'count')).to.equal(1);
      expect(await store.incr(api, 'count')).to.equal(2);
      expect(await store.usage(api)).to.deep.equal({ keys: 1, bytes: 6 });
      await store.delete(api, 'count');
    });
  });
}
