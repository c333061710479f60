import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createKeysRouter, type KeysRouterOptions } from '../src/admin/keys';
import { MemorySessionStore, createSessionStore, type RedisSessionStore } from '../src/storage/index';
import { hashKey, storageKey, tokenHashAlgorithm, normaliseHashFunction } from '../src/auth/key-hash';
import { candidateKeyNames, tokenOrg } from '../src/auth/key-names';
import { murmur3x86_32, murmur32Hex, murmur64Hex, murmur128Hex } from '../src/auth/murmur3';
import type { SessionState } from '../src/pipeline/session';
import { generateToken } from '../src/auth/token';
import type { EventInput } from '../src/events';
import { runToEnd } from './helpers/processes';

const baseConfig = { hash_keys: false, hash_key_function: '', min_token_length: 3 };

/** An EventSink that keeps what it is given. */
function recordingSink() {
  const fired: EventInput[] = [];
  return { fired, fire: (e: EventInput) => void fired.push(e) };
}

interface KeysApiOverrides {
  config?: Partial<KeysRouterOptions['config']>;
  options?: Partial<KeysRouterOptions>;
}

/** A /tyk/keys answer: status, content type and the parsed body (Tyk's reply or a session). */
interface Answer {
  status: number;
  type: string | null;
  // The body is a TykReply, a session or a key list depending on the call.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/**
 * The router in a real express app on a real loopback socket. `outerJson` puts a JSON body parser
 * in front of it, as the gateway's admin app does.
 */
async function startKeysApi(overrides: KeysApiOverrides = {}, { outerJson = false } = {}) {
  const store = new MemorySessionStore();
  const events = recordingSink();
  const changes: [string, string][] = [];
  const config = { ...baseConfig, ...(overrides.config || {}) };
  const app = express();
  if (outerJson) app.use('/tyk', express.json({ strict: false, type: () => true }));
  app.use(
    '/tyk/keys',
    createKeysRouter({
      store,
      config,
      events,
      onKeyChanged: (storedKey, change) => changes.push([storedKey, change]),
      ...overrides.options,
    }),
  );
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tyk/keys`;
  async function call(method: string, suffix: string, body?: unknown, { raw }: { raw?: string } = {}): Promise<Answer> {
    const init: RequestInit & { headers: Record<string, string> } = { method, headers: {} };
    if (raw !== undefined) init.body = raw;
    else if (body !== undefined) init.body = JSON.stringify(body);
    if (init.body !== undefined) init.headers['content-type'] = 'application/json';
    const res = await fetch(base + suffix, init);
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
  }
  return {
    store,
    events,
    changes,
    call,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    },
  };
}

describe('MurmurHash3', () => {
  const b = (s: string) => Buffer.from(s, 'utf8');

  it('x86_32 gives the published reference values', () => {
    expect(murmur3x86_32(b(''))).to.equal(0);
    expect(murmur3x86_32(b(''), 1)).to.equal(0x514e28b7);
    expect(murmur3x86_32(b('hello'))).to.equal(0x248bfa47);
    expect(murmur3x86_32(b('Hello, world!'), 1234)).to.equal(0xfaf6cdb3);
    expect(murmur3x86_32(b('The quick brown fox jumps over the lazy dog'))).to.equal(0x2e4ff723);
    expect(murmur32Hex(b('hello'))).to.equal('248bfa47');
  });

  it('x64_128 gives the published reference values (h1 then h2, big-endian hex)', () => {
    expect(murmur128Hex(b(''))).to.equal('0'.repeat(32));
    expect(murmur128Hex(b('hello'))).to.equal('cbd8a7b341bd9b025b1e906a48ae1d19');
    expect(murmur128Hex(b('The quick brown fox jumps over the lazy dog'))).to.equal('e34bbc7bbc071b6c7a433ca9c49a9347');
    expect(murmur64Hex(b('The quick brown fox jumps over the lazy dog'))).to.equal('e34bbc7bbc071b6c');
  });

  it('x64_128 handles every tail length consistently (1..33 bytes)', () => {
    // Each input differs from the previous by one byte: all digests must differ and be 32 hex digits.
    const seen = new Set();
    for (let n = 1; n <= 33; n++) {
      const h = murmur128Hex(Buffer.alloc(n, 0x61));
      expect(h).to.match(/^[0-9a-f]{32}$/);
      seen.add(h);
    }
    expect(seen.size).to.equal(33);
  });
});

describe('key hashing', () => {
  it('hashes legacy and custom keys with murmur32, whatever the gateway hash function', () => {
    expect(tokenHashAlgorithm('default1234abcd')).to.equal('');
    expect(hashKey('default1234abcd')).to.equal(murmur32Hex(Buffer.from('default1234abcd')));
  });

  it('hashes a base64-JSON token with the algorithm its "h" names', () => {
    const m64 = generateToken('org1', 'abc', 'murmur64');
    const m128 = generateToken('org1', 'abc', 'murmur128');
    const sha = generateToken('org1', 'abc', 'sha256');
    expect(tokenHashAlgorithm(m64)).to.equal('murmur64');
    expect(hashKey(m64)).to.equal(murmur64Hex(Buffer.from(m64)));
    expect(hashKey(m128)).to.equal(murmur128Hex(Buffer.from(m128)));
    expect(hashKey(sha)).to.equal(createHash('sha256').update(sha).digest('hex'));
  });

  it('falls back to murmur64 for an unknown "h" and to murmur32 for a non-token "ey…" key', () => {
    const odd = generateToken('org1', 'abc', 'md4');
    expect(hashKey(odd)).to.equal(murmur64Hex(Buffer.from(odd)));
    // Unpadded: Go's strict decoder refuses it, so it is just a custom key.
    const unpadded = Buffer.from('{"org":"o","id":"xy","h":"sha256"}').toString('base64').replace(/=+$/, '');
    expect(unpadded.length % 4).to.not.equal(0);
    expect(tokenHashAlgorithm(unpadded)).to.equal('');
    expect(tokenHashAlgorithm('eyeballs')).to.equal('');
  });

  it('storageKey hashes only with hash_keys', () => {
    expect(storageKey('mykey', { hash_keys: false })).to.equal('mykey');
    expect(storageKey('mykey', { hash_keys: true })).to.equal(murmur32Hex(Buffer.from('mykey')));
  });

  it('normalises hash_key_function like Tyk', () => {
    expect(normaliseHashFunction(undefined)).to.equal('');
    expect(normaliseHashFunction('sha256')).to.equal('sha256');
    expect(normaliseHashFunction('whatever')).to.equal('murmur64');
  });

  it('knows a key’s org and which names to look a presented key up under', () => {
    const token = generateToken('org1', 'abc', 'murmur64');
    expect(tokenOrg(token)).to.equal('org1');
    expect(tokenOrg('5e9d9544a1dcd60001d0ed20' + 'ff'.repeat(16))).to.equal('5e9d9544a1dcd60001d0ed20');
    expect(tokenOrg('short')).to.equal('');
    expect(candidateKeyNames(token, 'org1', { hash_key_function: 'murmur64' })).to.deep.equal([token]);
    expect(candidateKeyNames('custom', 'org1', {})).to.deep.equal(['org1custom', 'custom']);
    expect(candidateKeyNames('custom', '', {})).to.deep.equal(['custom']);
  });
});

describe('MemorySessionStore', () => {
  it('copies sessions in and out', async () => {
    const store = new MemorySessionStore();
    const session = { rate: 1, access_rights: { a: { versions: ['v1'] } } };
    await store.set('k', session);
    session.access_rights.a.versions.push('v2');
    const read = (await store.get('k'))!;
    expect(read.access_rights!.a!.versions).to.deep.equal(['v1']);
    read.rate = 99;
    expect((await store.get('k'))!.rate).to.equal(1);
    await store.close();
  });

  it('expires entries lazily and in the sweep, and keeps entries without TTL', async () => {
    let now = 1_000_000;
    const store = new MemorySessionStore({ now: () => now, sweepIntervalMs: 0 });
    await store.set('short', { a: 1 }, 10);
    await store.set('forever', { a: 2 });
    await store.set('zero', { a: 3 }, 0);
    expect(await store.keys()).to.have.members(['short', 'forever', 'zero']);
    now += 9_999;
    expect(await store.get('short')).to.deep.equal({ a: 1 });
    now += 1;
    expect(await store.get('short')).to.equal(undefined);
    await store.set('other', { a: 4 }, 1);
    now += 5_000;
    expect(await store.keys()).to.have.members(['forever', 'zero']);
    store.sweep();
    expect(store.size).to.equal(2);
    expect(await store.delete('other')).to.equal(false);
    await store.close();
  });

  it('setIfExists writes only over a live key', async () => {
    const store = new MemorySessionStore();
    expect(await store.setIfExists('k', { a: 1 })).to.equal(false);
    expect(await store.get('k')).to.equal(undefined);
    await store.set('k', { a: 1 });
    expect(await store.setIfExists('k', { a: 2 })).to.equal(true);
    expect(await store.get('k')).to.deep.equal({ a: 2 });
    await store.close();
  });

  it('does not keep the process alive (its sweep timer is unref-ed)', async () => {
    const modulePath = require.resolve('../src/storage/memory-store');
    const script = `const { MemorySessionStore } = require(${JSON.stringify(modulePath)});
      const s = new MemorySessionStore({ sweepIntervalMs: 50 }); s.set('k', {}, 60);`;
    const started = Date.now();
    const { code, signal } = await runToEnd(process.execPath, ['-e', script], { timeoutMs: 10_000 });
    expect({ code, signal }).to.deep.equal({ code: 0, signal: null });
    expect(Date.now() - started).to.be.below(10_000);
  });
});

describe('createSessionStore', () => {
  it('builds the memory store by default and for type memory', async () => {
    const store = createSessionStore({ source: 'tyk.conf', storage: { type: 'memory' } });
    expect(store).to.be.instanceOf(MemorySessionStore);
    await store.close();
  });

  it('builds an unconnected Redis store for type redis (test/redis-store.test.ts covers it)', async () => {
    const store = createSessionStore({ source: '/etc/tyk.conf', storage: { type: 'redis', host: 'h', port: 6379 } });
    expect(store.constructor.name).to.equal('RedisSessionStore');
    expect((store as RedisSessionStore).client.status).to.equal('wait');
    await store.close();
  });

  it('refuses an unknown storage type', () => {
    expect(() => createSessionStore({ source: 'c.json', storage: { type: 'mongo' } as unknown as { type: 'memory' } })).to.throw(/storage\.type must be/);
  });
});

describe('/tyk/keys router', () => {
  let api: Awaited<ReturnType<typeof startKeysApi>> | undefined;
  afterEach(async () => {
    if (api) await api.close();
    api = undefined;
  });

  it('POST /create makes a random key, stores the session and fires TokenCreated', async () => {
    api = await startKeysApi();
    const res = await api.call('POST', '/create', { org_id: 'org1', rate: 10, per: 60, quota_max: 100, quota_renewal_rate: 3600 });
    expect(res.status).to.equal(200);
    expect(res.type).to.match(/^application\/json/);
    expect(res.body).to.have.keys(['key', 'status', 'action']);
    expect(res.body.status).to.equal('ok');
    expect(res.body.action).to.equal('added');
    expect(res.body.key).to.match(/^org1[0-9a-f]{32}$/);

    const stored = (await api.store.get(res.body.key))!;
    expect(stored.quota_remaining).to.equal(100);
    const nowSec = Date.now() / 1000;
    expect(stored.quota_renews).to.be.within(nowSec + 3598, nowSec + 3601);
    expect(stored.last_updated).to.match(/^\d+$/);

    expect(api.events.fired).to.have.length(1);
    expect(api.events.fired[0]).to.deep.include({ type: 'TokenCreated', meta: { Message: 'Key generated.', Org: 'org1', Key: res.body.key } });
    expect(api.changes).to.deep.equal([[res.body.key, 'updated']]);
  });

  it('POST /tyk/keys (no suffix) also makes a random key; keys are unique', async () => {
    api = await startKeysApi();
    const a = await api.call('POST', '', { org_id: 'o' });
    const b = await api.call('POST', '/', { org_id: 'o' });
    expect(a.status).to.equal(200);
    expect(b.status).to.equal(200);
    expect(a.body.key).to.not.equal(b.body.key);
  });

  it('with hash_key_function, keys are base64-JSON tokens naming it', async () => {
    api = await startKeysApi({ config: { hash_key_function: 'murmur64' } });
    const res = await api.call('POST', '/create', { org_id: 'org1' });
    const token = JSON.parse(Buffer.from(res.body.key, 'base64').toString('utf8'));
    expect(token).to.have.keys(['org', 'id', 'h']);
    expect(token.org).to.equal('org1');
    expect(token.h).to.equal('murmur64');
    expect(token.id).to.match(/^[0-9a-f]{32}$/);
  });

  it('GET /:key returns the session; an unknown key is 404 "Key not found"', async () => {
    api = await startKeysApi();
    const created = await api.call('POST', '/create', { org_id: 'o', rate: 5, per: 1, meta_data: { user: 'u1' }, tags: ['t'] });
    const got = await api.call('GET', `/${created.body.key}`);
    expect(got.status).to.equal(200);
    expect(got.body).to.deep.include({ org_id: 'o', rate: 5, per: 1, meta_data: { user: 'u1' }, tags: ['t'] });
    const missing = await api.call('GET', '/nope-not-here');
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ status: 'error', message: 'Key not found' });
  });

  it('POST /:key stores a custom key under generateToken(org, key), found by the bare key too', async () => {
    api = await startKeysApi();
    const res = await api.call('POST', '/my-custom-key', { org_id: 'org9', quota_max: 5 });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ key: 'org9my-custom-key', status: 'ok', action: 'added' });
    expect(await api.store.keys()).to.deep.equal(['org9my-custom-key']);
    expect((await api.call('GET', '/my-custom-key?org_id=org9')).status).to.equal(200);
    expect((await api.call('GET', '/org9my-custom-key')).status).to.equal(200);
    expect(api.events.fired[0]).to.deep.include({ type: 'TokenCreated', meta: { Message: 'Key modified.', Org: 'org9', Key: 'org9my-custom-key' } });
  });

  it('a custom key shorter than min_token_length is refused', async () => {
    api = await startKeysApi({ config: { min_token_length: 8 } });
    const res = await api.call('POST', '/short', { org_id: 'o' });
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({ status: 'error', message: 'Key must be at least 8 characters long' });
    expect(await api.store.keys()).to.deep.equal([]);
  });

  it('with hash_keys, stores the hash only and answers key_hash; lookups by key and by ?hashed=1', async () => {
    api = await startKeysApi({ config: { hash_keys: true, hash_key_function: 'murmur64' } });
    const res = await api.call('POST', '/create', { org_id: 'o', rate: 1, per: 1 });
    expect(res.status).to.equal(200);
    const key = res.body.key;
    const expectedHash = murmur64Hex(Buffer.from(key));
    expect(res.body.key_hash).to.equal(expectedHash);
    expect(await api.store.keys()).to.deep.equal([expectedHash]);
    expect(api.changes).to.deep.equal([[expectedHash, 'updated']]);

    expect((await api.call('GET', `/${encodeURIComponent(key)}`)).body.rate).to.equal(1);
    expect((await api.call('GET', `/${expectedHash}?hashed=1`)).body.rate).to.equal(1);
    // Listing hashed keys is off unless enable_hashed_keys_listing.
    const list = await api.call('GET', '');
    expect(list.status).to.equal(404);
    expect(list.body.message).to.equal('Hashed key listing is disabled in config (enable_hashed_keys_listing)');

    const del = await api.call('DELETE', `/${expectedHash}?hashed=1`);
    expect(del.status).to.equal(200);
    expect(await api.store.keys()).to.deep.equal([]);
  });

  it('legacy custom keys hash with murmur32 under hash_keys', async () => {
    api = await startKeysApi({ config: { hash_keys: true } });
    const res = await api.call('POST', '/custom-123', { org_id: 'o' });
    expect(res.body.key_hash).to.equal(murmur32Hex(Buffer.from('ocustom-123')));
    expect(await api.store.keys()).to.deep.equal([res.body.key_hash]);
  });

  it('?hashed= without hash_keys is a 400', async () => {
    api = await startKeysApi();
    const res = await api.call('GET', '/abc?hashed=1');
    expect(res.status).to.equal(400);
    expect(res.body.message).to.equal('Key requested by hash but key hashing is not enabled');
  });

  it('a key token containing "/" works with or without URL-encoding', async () => {
    api = await startKeysApi();
    const res = await api.call('POST', '/a/b/c-key', { org_id: '' });
    expect(res.body.key).to.equal('a/b/c-key');
    expect((await api.call('GET', '/a/b/c-key')).status).to.equal(200);
    expect((await api.call('GET', `/${encodeURIComponent('a/b/c-key')}`)).status).to.equal(200);
  });

  it('PUT /:key updates, resets quota, fires TokenUpdated; 404 "Key is not found" when absent', async () => {
    let now = Date.UTC(2030, 0, 1);
    api = await startKeysApi({ options: { now: () => now } });
    const created = await api.call('POST', '/create', { org_id: 'o', quota_max: 10, quota_renewal_rate: 60 });
    const key = created.body.key;
    // Pretend traffic used part of the quota.
    const s = (await api.store.get(key))!;
    s.quota_remaining = 3;
    await api.store.set(key, s);
    now += 5000;

    const upd = await api.call('PUT', `/${key}`, { org_id: 'o', quota_max: 20, quota_renewal_rate: 60, rate: 7, per: 1 });
    expect(upd.status).to.equal(200);
    expect(upd.body).to.deep.equal({ key, status: 'ok', action: 'modified' });
    const after = (await api.store.get(key))!;
    expect(after.rate).to.equal(7);
    expect(after.quota_remaining).to.equal(20);
    expect(after.quota_renews).to.equal(Math.floor(now / 1000) + 60);
    expect(after.date_created).to.equal(s.date_created);
    expect(after.last_updated).to.equal(String(Math.floor(now / 1000)));
    expect(api.events.fired.map((e) => e.type)).to.deep.equal(['TokenCreated', 'TokenUpdated']);
    expect(api.events.fired[1].meta).to.deep.equal({ Message: 'Key modified.', Org: 'o', Key: key });
    expect(api.changes).to.deep.equal([[key, 'updated'], [key, 'updated']]);

    const missing = await api.call('PUT', '/does-not-exist', { org_id: 'o' });
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ status: 'error', message: 'Key is not found' });
  });

  it('PUT with suppress_reset=1 keeps the quota counters and last_updated', async () => {
    let now = Date.UTC(2030, 0, 1);
    api = await startKeysApi({ options: { now: () => now } });
    const key = (await api.call('POST', '/create', { org_id: 'o', quota_max: 10, quota_renewal_rate: 60 })).body.key;
    const s = (await api.store.get(key))!;
    s.quota_remaining = 4;
    await api.store.set(key, s);
    now += 5000;
    const upd = await api.call('PUT', `/${key}?suppress_reset=1`, { org_id: 'o', quota_max: 10, quota_renewal_rate: 60, rate: 2, per: 1 });
    expect(upd.status).to.equal(200);
    const after = (await api.store.get(key))!;
    expect(after.rate).to.equal(2);
    expect(after.quota_remaining).to.equal(4);
    expect(after.quota_renews).to.equal(s.quota_renews);
    expect(after.last_updated).to.equal(s.last_updated);
  });

  it('PUT with an expiry already past keeps the previous expiry (Tyk)', async () => {
    api = await startKeysApi();
    const future = Math.floor(Date.now() / 1000) + 3600;
    const key = (await api.call('POST', '/create', { org_id: 'o', expires: future })).body.key;
    await api.call('PUT', `/${key}`, { org_id: 'o', expires: 1000 });
    expect((await api.store.get(key))!.expires).to.equal(future);
  });

  it('DELETE /:key removes the key, fires TokenDeleted; then 404 "There is no such key found"', async () => {
    api = await startKeysApi();
    const key = (await api.call('POST', '/create', { org_id: 'o' })).body.key;
    const del = await api.call('DELETE', `/${key}`);
    expect(del.status).to.equal(200);
    expect(del.body).to.deep.equal({ key, status: 'ok', action: 'deleted' });
    expect(await api.store.get(key)).to.equal(undefined);
    expect(api.events.fired[1]).to.deep.include({ type: 'TokenDeleted', meta: { Message: 'Key deleted.', Org: 'o', Key: key } });
    expect(api.changes[1]).to.deep.equal([key, 'deleted']);
    const again = await api.call('DELETE', `/${key}`);
    expect(again.status).to.equal(404);
    expect(again.body).to.deep.equal({ status: 'error', message: 'There is no such key found' });
  });

  it('GET /tyk/keys lists the keys; filter by prefix or org', async () => {
    api = await startKeysApi();
    const a = (await api.call('POST', '/create', { org_id: 'alpha' })).body.key;
    const b = (await api.call('POST', '/create', { org_id: 'beta' })).body.key;
    const list = await api.call('GET', '');
    expect(list.status).to.equal(200);
    expect(list.body).to.have.keys(['keys']);
    expect(list.body.keys).to.have.members([a, b]);
    expect((await api.call('GET', '/?filter=alpha')).body.keys).to.deep.equal([a]);
    expect((await api.call('GET', '')).body.keys).to.have.length(2);
  });

  it('GET /tyk/keys?filter=org also matches base64-JSON tokens of that org', async () => {
    api = await startKeysApi({ config: { hash_key_function: 'sha256' } });
    const a = (await api.call('POST', '/create', { org_id: 'alpha' })).body.key;
    await api.call('POST', '/create', { org_id: 'beta' });
    expect((await api.call('GET', '?filter=alpha')).body.keys).to.deep.equal([a]);
  });

  it('malformed JSON, an empty body or a non-object body is 400 "Request malformed"', async () => {
    api = await startKeysApi();
    for (const raw of ['{"rate": 1', '', '[1,2]', 'null', '"text"']) {
      const res = await api.call('POST', '/create', undefined, { raw });
      expect(res.status, `body ${JSON.stringify(raw)}`).to.equal(400);
      expect(res.body).to.deep.equal({ status: 'error', message: 'Request malformed' });
    }
    expect(await api.store.keys()).to.deep.equal([]);
    expect(api.events.fired).to.deep.equal([]);
  });

  it('a field of the wrong type is a 400 naming the field', async () => {
    api = await startKeysApi();
    const cases = [
      [{ rate: '10' }, 'Request malformed: rate must be a number'],
      [{ quota_max: 1.5 }, 'Request malformed: quota_max must be an integer'],
      [{ expires: 'tomorrow' }, 'Request malformed: expires must be an integer'],
      [{ is_inactive: 'yes' }, 'Request malformed: is_inactive must be true or false'],
      [{ access_rights: [] }, 'Request malformed: access_rights must be an object'],
      [{ access_rights: { api1: { versions: 'v1' } } }, 'Request malformed: access_rights.api1.versions must be an array of strings'],
      [{ tags: [1] }, 'Request malformed: tags must be an array of strings'],
    ];
    for (const [body, message] of cases) {
      const res = await api.call('POST', '/create', body);
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ status: 'error', message });
    }
    // null is "not set", as Go's decoder treats it.
    const ok = await api.call('POST', '/create', { rate: null, quota_max: 3 });
    expect(ok.status).to.equal(200);
    expect(await api.store.get(ok.body.key)).to.not.have.property('rate');
  });

  it('works behind an outer JSON body parser (the gateway admin app)', async () => {
    api = await startKeysApi({}, { outerJson: true });
    const res = await api.call('POST', '/create', { org_id: 'o', rate: 3, per: 1 });
    expect(res.status).to.equal(200);
    expect((await api.call('GET', `/${res.body.key}`)).body.rate).to.equal(3);
    const empty = await api.call('POST', '/create', undefined, { raw: '' });
    expect(empty.status).to.equal(400);
    expect(empty.body.message).to.equal('Request malformed');
    const wrong = await api.call('PUT', `/${res.body.key}`, { per: 'x' });
    expect(wrong.body.message).to.equal('Request malformed: per must be a number');
  });

  it('?api_id= resolves a custom key through that API’s org', async () => {
    api = await startKeysApi({ options: { orgForApi: (id) => (id === 'api1' ? 'orgA' : undefined) } });
    await api.call('POST', '/custom-key', { org_id: 'orgA' });
    expect((await api.call('GET', '/custom-key?api_id=api1')).status).to.equal(200);
    expect((await api.call('GET', '/custom-key')).status).to.equal(404);
  });

  it('stores a key with its session_lifetime as TTL', async () => {
    api = await startKeysApi();
    const seen: (number | undefined)[] = [];
    const set = api.store.set.bind(api.store);
    api.store.set = (k: string, s: SessionState, ttl?: number) => {
      seen.push(ttl);
      return set(k, s, ttl);
    };
    await api.call('POST', '/create', { org_id: 'o', session_lifetime: 120 });
    await api.call('POST', '/create', { org_id: 'o' });
    expect(seen).to.deep.equal([120, 0]);
  });
});
