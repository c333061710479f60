// isogate.kv end to end: real gateways, real isolates, and a real redis-server for the Redis
// backend. Every hook answers with what the store said (return_overrides), so each assertion is
// about what the guest saw; the Redis suite also looks at what Redis holds.
import { expect } from 'chai';
import { hookedApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { startRecordingServer, type RecordingServer } from './helpers/http';
import { sleep } from './helpers/poll';
import { requireRedisServer, startRedis, type RunningRedis } from './helpers/redis';

/** One hook that performs the KV operation described by the request body and answers its outcome. */
const KV_HOOK = `
const BOOT = Math.random().toString(36).slice(2);
async function kvop(request) {
  const q = JSON.parse(request.body || '{}');
  const out = { boot: BOOT };
  try {
    switch (q.op) {
      case 'set': out.result = await isogate.kv.set(q.key, q.value, q.options); break;
      case 'set-undefined': out.result = await isogate.kv.set(q.key, undefined); break;
      case 'get': { const v = await isogate.kv.get(q.key); out.missing = v === undefined; out.result = v; break; }
      case 'delete': out.result = await isogate.kv.delete(q.key); break;
      case 'list': out.result = await isogate.kv.list(q.prefix); break;
      case 'usage': out.result = await isogate.kv.usage(); break;
      case 'bad-key': out.result = await isogate.kv.get(42); break;
      case 'lone-surrogate': out.result = await isogate.kv.set('a\\ud800', 1); break;
      case 'flood': {
        let n = 0;
        try {
          for (;;) { await isogate.kv.set(q.prefix + n, q.value); n++; }
        } catch (e) { out.error = { name: e.name, message: e.message }; }
        out.result = n;
        break;
      }
      case 'spin': for (;;) {}
      default: throw new Error('unknown op ' + q.op);
    }
  } catch (e) {
    out.error = { name: e.name, message: e.message };
  }
  request.return_overrides.response_code = 200;
  request.return_overrides.response_body = JSON.stringify(out);
}
`;

interface Outcome {
  boot: string;
  result?: unknown;
  missing?: boolean;
  error?: { name: string; message: string };
}

const kvApi = (apiId: string, target: string, limits: Record<string, unknown> = {}) =>
  hookedApi(apiId, target, { driver: 'isolate', pre: [{ name: 'kvop', path: 'kv.js' }], limits: { hook_timeout_ms: 300, ...limits } });

function workspace(target: string): string {
  const dir = makeWorkspace();
  writeMiddleware(dir, 'kv.js', KV_HOOK);
  writeApi(dir, kvApi('kva', target));
  writeApi(dir, kvApi('kvb', target));
  writeApi(dir, kvApi('kvq', target, { kv_max_keys: 5, kv_max_bytes: 200 }));
  return dir;
}

function client(gw: () => RunningGateway) {
  return async (apiId: string, body: Record<string, unknown>): Promise<Outcome> => {
    const res = await fetch(`${gw().url}/${apiId}/x`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    expect(res.status, text).to.equal(200);
    return JSON.parse(text) as Outcome;
  };
}

/** Keys an attacker in API kva might hope reach API kvb's data. */
const CRAFTED = ['../kvb/secret', '..%2Fkvb%2Fsecret', 'kvb:secret', ':secret', 'secret\u0000', '\u0000secret', 'isogate-kv:kvb:secret', '%6B%76%62:secret', 'sec\r\nret'];

/** What both backends must do; `gw` is read at call time (suites start their gateways in before hooks). */
function sharedBehaviour(gw: () => RunningGateway) {
  const kv = client(gw);

  it('sets, gets, lists and deletes JSON values', async () => {
    expect((await kv('kva', { op: 'set', key: 'user:1', value: { name: 'alice', n: [1, 2] } })).error).to.equal(undefined);
    await kv('kva', { op: 'set', key: 'user:2', value: 'bob' });
    await kv('kva', { op: 'set', key: 'other', value: 7 });
    expect((await kv('kva', { op: 'get', key: 'user:1' })).result).to.deep.equal({ name: 'alice', n: [1, 2] });
    expect((await kv('kva', { op: 'list', prefix: 'user:' })).result).to.deep.equal(['user:1', 'user:2']);
    expect((await kv('kva', { op: 'delete', key: 'user:2' })).result).to.equal(true);
    expect((await kv('kva', { op: 'delete', key: 'user:2' })).result).to.equal(false);
    const gone = await kv('kva', { op: 'get', key: 'user:2' });
    expect(gone.missing).to.equal(true);
  });

  it('keeps the keys of one API invisible to another, whatever the key looks like', async () => {
    await kv('kvb', { op: 'set', key: 'secret', value: 'b-only' });
    for (const key of CRAFTED) {
      const res = await kv('kva', { op: 'get', key });
      expect(res.missing, `kva reading ${JSON.stringify(key)}`).to.equal(true);
      expect((await kv('kva', { op: 'set', key, value: `from-a ${key}` })).error).to.equal(undefined);
    }
    expect((await kv('kvb', { op: 'get', key: 'secret' })).result).to.equal('b-only');
    // kvb sees none of what kva wrote, under any of those names.
    for (const key of CRAFTED) expect((await kv('kvb', { op: 'get', key })).missing, JSON.stringify(key)).to.equal(true);
    expect((await kv('kvb', { op: 'list', prefix: '' })).result).to.deep.equal(['secret']);
    // kva reads back exactly what it wrote, byte for byte.
    for (const key of CRAFTED) expect((await kv('kva', { op: 'get', key })).result).to.equal(`from-a ${key}`);
  });

  it('survives an isolate rebuild after a hook timeout, and a reload', async () => {
    await kv('kva', { op: 'set', key: 'durable', value: { v: 1 } });
    const before = (await kv('kva', { op: 'get', key: 'durable' })).boot;
    const spun = await fetch(`${gw().url}/kva/x`, { method: 'POST', body: JSON.stringify({ op: 'spin' }) });
    expect(spun.status).to.equal(500);
    const after = await kv('kva', { op: 'get', key: 'durable' });
    expect(after.boot, 'a new isolate').to.not.equal(before);
    expect(after.result).to.deep.equal({ v: 1 });
    const reload = await gw().reload();
    expect(reload.status).to.equal('ok');
    // A reload of an unchanged API keeps its isolate; change the definition so it is rebuilt.
    writeApi(gw().dir, { ...kvApi('kva', 'http://127.0.0.1:1'), config_data: { changed: true } });
    await gw().reload();
    const reloaded = await kv('kva', { op: 'get', key: 'durable' });
    expect(reloaded.boot).to.not.equal(after.boot);
    expect(reloaded.result).to.deep.equal({ v: 1 });
  });

  it('stops a key flood at the quota, names the limit, and leaves other APIs unaffected', async () => {
    const flood = await kv('kvq', { op: 'flood', prefix: 'k', value: 1 });
    expect(flood.result).to.equal(5);
    expect(flood.error?.name).to.equal('QuotaExceeded');
    expect(flood.error?.message).to.contain('at most 5 keys').and.contain('limits.kv_max_keys');
    const usage = (await kv('kvq', { op: 'usage' })).result as { keys: number; bytes: number };
    // Keys "k0".."k4" with the JSON text "1": 3 bytes each.
    expect(usage).to.deep.equal({ keys: 5, bytes: 15, maxKeys: 5, maxBytes: 200 });
    // Overwriting an existing key is not a new key.
    expect((await kv('kvq', { op: 'set', key: 'k0', value: 2 })).error).to.equal(undefined);
    // Another API writes as before.
    expect((await kv('kvb', { op: 'set', key: 'still-fine', value: 1 })).error).to.equal(undefined);
    for (let i = 0; i < 5; i++) await kv('kvq', { op: 'delete', key: `k${i}` });
    expect((await kv('kvq', { op: 'usage' })).result).to.deep.include({ keys: 0, bytes: 0 });
  });

  it('stops a byte flood at the quota, and refuses one value larger than the quota', async () => {
    // "b<n>" (2 bytes) + the JSON of 60 x's (62 bytes) = 64 bytes a key: 3 fit in 200.
    const flood = await kv('kvq', { op: 'flood', prefix: 'b', value: 'x'.repeat(60) });
    expect(flood.result).to.equal(3);
    expect(flood.error?.name).to.equal('QuotaExceeded');
    expect(flood.error?.message).to.contain('at most 200 bytes');
    expect((await kv('kvq', { op: 'usage' })).result).to.deep.include({ keys: 3, bytes: 192 });
    const big = await kv('kvq', { op: 'set', key: 'huge', value: 'y'.repeat(300) });
    expect(big.error?.name).to.equal('QuotaExceeded');
    expect((await kv('kvq', { op: 'get', key: 'huge' })).missing).to.equal(true);
    for (let i = 0; i < 3; i++) await kv('kvq', { op: 'delete', key: `b${i}` });
  });

  it('expires a key after its ttl, and frees its quota', async () => {
    await kv('kvq', { op: 'set', key: 't', value: 'soon', options: { ttl: 300 } });
    expect((await kv('kvq', { op: 'get', key: 't' })).result).to.equal('soon');
    expect((await kv('kvq', { op: 'usage' })).result).to.deep.include({ keys: 1 });
    await sleep(450);
    expect((await kv('kvq', { op: 'get', key: 't' })).missing).to.equal(true);
    expect((await kv('kvq', { op: 'usage' })).result).to.deep.include({ keys: 0, bytes: 0 });
  });

  it('refuses bad keys, values and options with clear errors', async () => {
    expect((await kv('kva', { op: 'bad-key' })).error).to.deep.include({ name: 'TypeError' });
    expect((await kv('kva', { op: 'set', key: '', value: 1 })).error?.message).to.contain('1 to 512 bytes');
    expect((await kv('kva', { op: 'set', key: 'k'.repeat(513), value: 1 })).error?.message).to.contain('1 to 512 bytes');
    expect((await kv('kva', { op: 'lone-surrogate' })).error?.message).to.contain('well-formed');
    expect((await kv('kva', { op: 'set-undefined', key: 'u' })).error?.message).to.contain('JSON-serialisable');
    expect((await kv('kva', { op: 'set', key: 'n', value: 1, options: { ttl: -5 } })).error?.message).to.contain('ttl');
    expect((await kv('kva', { op: 'set', key: 'n', value: 1, options: { ttl: 'soon' } })).error?.message).to.contain('ttl');
    expect((await kv('kva', { op: 'get', key: 'n' })).missing).to.equal(true);
  });
}

describe('isogate.kv (memory store)', function () {
  this.timeout(60_000);
  let upstream: RecordingServer;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startRecordingServer();
    gw = await startGateway({ dir: workspace(upstream.url) });
  });

  after(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  sharedBehaviour(() => gw);
});

describe('isogate.kv (Redis store)', function () {
  this.timeout(60_000);
  let upstream: RecordingServer;
  let redis: RunningRedis;
  let gw: RunningGateway;
  let dir: string;
  const config = () => ({ storage: { type: 'redis', host: '127.0.0.1', port: redis.port } });

  before(async function () {
    requireRedisServer(this);
    redis = await startRedis();
    upstream = await startRecordingServer();
    dir = workspace(upstream.url);
    gw = await startGateway({ dir, config: config() });
  });

  after(async () => {
    await gw?.stop();
    await upstream?.close();
    await redis?.close();
  });

  sharedBehaviour(() => gw);

  it('keeps values as plain Redis keys under isogate-kv:<api>:, with an exact index of sizes', async () => {
    const kv = client(() => gw);
    const raw = redis.client();
    await kv('kvq', { op: 'set', key: 'a:b', value: { x: 1 } });
    await kv('kvq', { op: 'set', key: '../kva/x', value: 'v', options: { ttl: 60_000 } });
    expect(await raw.get('isogate-kv:kvq:a:b')).to.equal('{"x":1}');
    expect(await raw.get('isogate-kv:kvq:../kva/x')).to.equal('"v"');
    expect(await raw.pttl('isogate-kv:kvq:../kva/x')).to.be.within(50_000, 60_000);
    expect(await raw.exists('isogate-kv:kva/x', 'isogate-kv:kva:x')).to.equal(0);
    // The index counts what is stored: 3 + 7 and 8 + 3 bytes.
    expect(await raw.get('isogate-kv-index:kvq:bytes')).to.equal(String(3 + 7 + 8 + 3));
    expect(await raw.zcard('isogate-kv-index:kvq:keys')).to.equal(2);
    let stored = 0;
    for (const name of await raw.keys('isogate-kv:kvq:*')) stored += Buffer.byteLength(name.slice('isogate-kv:kvq:'.length)) + (await raw.strlen(name));
    expect(stored).to.equal(21);
    await kv('kvq', { op: 'delete', key: 'a:b' });
    await kv('kvq', { op: 'delete', key: '../kva/x' });
    expect(await raw.get('isogate-kv-index:kvq:bytes')).to.equal('0');
  });

  it('a quota holds across two gateways sharing the Redis', async () => {
    const second = await startGateway({ dir, config: config() });
    try {
      const kv1 = client(() => gw);
      const kv2 = client(() => second);
      await kv1('kvq', { op: 'flood', prefix: 'n1-', value: 1 });
      const flood = await kv2('kvq', { op: 'flood', prefix: 'n2-', value: 1 });
      expect(flood.result).to.equal(0);
      expect(flood.error?.name).to.equal('QuotaExceeded');
      expect((await kv2('kvq', { op: 'list', prefix: '' })).result).to.have.length(5);
      for (let i = 0; i < 5; i++) await kv1('kvq', { op: 'delete', key: `n1-${i}` });
    } finally {
      await second.stop();
    }
  });

  it('a store that stalls costs the calling hook its time budget only; the next call works', async () => {
    const kv = client(() => gw);
    const raw = redis.client();
    await kv('kva', { op: 'set', key: 'stall', value: 'before' });
    // Every command of every client waits 3 s (longer than the 300 ms hook budget).
    await raw.call('CLIENT', 'PAUSE', '3000', 'ALL');
    const started = Date.now();
    const res = await fetch(`${gw.url}/kva/x`, { method: 'POST', body: JSON.stringify({ op: 'get', key: 'stall' }) });
    const body = await res.text();
    const elapsed = Date.now() - started;
    // The guest got an error at its budget (its answer says so) or the hook timed out: either way in time.
    if (res.status === 200) expect((JSON.parse(body) as Outcome).error?.message).to.contain('time budget');
    else expect(res.status).to.equal(500);
    expect(elapsed).to.be.lessThan(2500);
    await raw.call('CLIENT', 'UNPAUSE');
    expect((await kv('kva', { op: 'get', key: 'stall' })).result).to.equal('before');
  });

  it('survives a gateway restart', async () => {
    const kv = client(() => gw);
    await kv('kvb', { op: 'set', key: 'restart', value: [1, 'two'] });
    await gw.stop();
    gw = await startGateway({ dir, config: config() });
    expect((await kv('kvb', { op: 'get', key: 'restart' })).result).to.deep.equal([1, 'two']);
  });
});
