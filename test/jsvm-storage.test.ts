// Tyk goja's TykStorage* natives in JSVM plugins: real gateways, real isolates, the memory store
// and a real redis-server. A plugin answers through a header the upstream receives, so every
// assertion is about what the plugin saw.
import { expect } from 'chai';
import { keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { echoed, startRecordingServer, type RecordingServer } from './helpers/http';
import { sleep } from './helpers/poll';
import { requireRedisServer, startRedis, type RunningRedis } from './helpers/redis';

const PLUGIN = `
var storageOp = new TykJS.TykMiddleware.NewMiddleware({});
storageOp.NewProcessRequest(function (request, session, config) {
  var q = JSON.parse(request.Body || '{}');
  var out = {};
  try {
    switch (q.op) {
      case 'set': out.result = TykStorageSet(q.key, q.value, q.ttl || 0); break;
      case 'setnx': out.result = TykStorageSetNX(q.key, q.value, q.ttl || 0); break;
      case 'get': out.result = TykStorageGet(q.key); break;
      case 'del': out.result = TykStorageDel(q.key); break;
      case 'ttl': out.result = TykStorageTTL(q.key); break;
      case 'incr': out.result = TykStorageIncr(q.key, q.ttl || 0); break;
      case 'kv': out.result = typeof isogate.kv.get; break;
    }
  } catch (e) {
    out.error = String(e && e.message);
  }
  out.type = out.result === null ? 'null' : typeof out.result;
  request.SetHeaders['X-Out'] = encodeURIComponent(JSON.stringify(out));
  return storageOp.ReturnData(request, {});
});
`;

interface Outcome {
  result?: unknown;
  type: string;
  error?: string;
}

const storageApi = (apiId: string, orgId: string, target: string) =>
  keylessApi(apiId, `/${apiId}/`, target, { org_id: orgId, custom_middleware: { driver: 'otto', pre: [{ name: 'storageOp', path: 'storage.js' }] } });

function workspace(target: string): string {
  const dir = makeWorkspace();
  writeMiddleware(dir, 'storage.js', PLUGIN);
  writeApi(dir, storageApi('s-a', 'org1', target));
  writeApi(dir, storageApi('s-b', 'org1', target));
  writeApi(dir, storageApi('s-c', 'org:2', target));
  return dir;
}

function storage(gw: () => RunningGateway) {
  return async (apiId: string, body: Record<string, unknown>): Promise<Outcome> => {
    const res = await fetch(`${gw().url}/${apiId}/x`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).to.equal(200);
    const seen = await echoed(res);
    return JSON.parse(decodeURIComponent(String(seen.headers['x-out']))) as Outcome;
  };
}

function sharedBehaviour(gw: () => RunningGateway) {
  const op = storage(gw);

  it('sets and gets strings; a missing key is null', async () => {
    expect(await op('s-a', { op: 'set', key: 'colour', value: 'blue' })).to.deep.equal({ type: 'undefined' });
    expect(await op('s-a', { op: 'get', key: 'colour' })).to.deep.equal({ result: 'blue', type: 'string' });
    expect(await op('s-a', { op: 'get', key: 'nothing' })).to.deep.equal({ result: null, type: 'null' });
    await op('s-a', { op: 'del', key: 'colour' });
    expect(await op('s-a', { op: 'get', key: 'colour' })).to.deep.include({ type: 'null' });
  });

  it('is shared by the APIs of one org and invisible to another org', async () => {
    await op('s-a', { op: 'set', key: 'shared', value: 'org1 value' });
    expect((await op('s-b', { op: 'get', key: 'shared' })).result).to.equal('org1 value');
    expect((await op('s-c', { op: 'get', key: 'shared' })).type).to.equal('null');
    // A key crafted to reach the other org's space stays in the caller's.
    await op('s-c', { op: 'set', key: '../org1:shared', value: 'from org 2' });
    await op('s-c', { op: 'set', key: 'org1:shared', value: 'from org 2' });
    expect((await op('s-a', { op: 'get', key: 'shared' })).result).to.equal('org1 value');
  });

  it('SetNX claims a key once; TTL and Incr follow Redis semantics', async () => {
    expect((await op('s-a', { op: 'setnx', key: 'lock', value: 'a', ttl: 30 })).result).to.equal(true);
    expect((await op('s-b', { op: 'setnx', key: 'lock', value: 'b', ttl: 30 })).result).to.equal(false);
    expect((await op('s-a', { op: 'get', key: 'lock' })).result).to.equal('a');
    const ttl = (await op('s-a', { op: 'ttl', key: 'lock' })).result as number;
    expect(ttl).to.be.within(28, 30);
    await op('s-a', { op: 'set', key: 'forever', value: 'x' });
    expect((await op('s-a', { op: 'ttl', key: 'forever' })).result).to.equal(-1);
    expect((await op('s-a', { op: 'ttl', key: 'absent' })).result).to.equal(-2);
    expect(await op('s-a', { op: 'incr', key: 'hits', ttl: 30 })).to.deep.equal({ result: '1', type: 'string' });
    expect((await op('s-b', { op: 'incr', key: 'hits' })).result).to.equal('2');
    expect((await op('s-a', { op: 'ttl', key: 'hits' })).result).to.be.within(28, 30);
    expect((await op('s-a', { op: 'incr', key: 'forever' })).error).to.contain('not an integer');
  });

  it('expires a key after its ttl', async () => {
    await op('s-a', { op: 'set', key: 'brief', value: 'v', ttl: 1 });
    expect((await op('s-a', { op: 'get', key: 'brief' })).result).to.equal('v');
    await sleep(1100);
    expect((await op('s-a', { op: 'get', key: 'brief' })).type).to.equal('null');
  });

  it("throws on Tyk's limits: keys of 1-256 bytes, values up to 64 KiB", async () => {
    expect((await op('s-a', { op: 'set', key: 'k'.repeat(257), value: 'v' })).error).to.contain('1 to 256 bytes');
    expect((await op('s-a', { op: 'get', key: '' })).error).to.contain('1 to 256 bytes');
    expect((await op('s-a', { op: 'set', key: 'big', value: 'v'.repeat(64 * 1024 + 1) })).error).to.contain('exceeds 65536 bytes');
    expect((await op('s-a', { op: 'get', key: 'big' })).type).to.equal('null');
  });

  it('keeps isogate.kv beside them (per API, not per org)', async () => {
    expect((await op('s-a', { op: 'kv' })).result).to.equal('function');
  });
}

describe('JSVM TykStorage* (memory store)', function () {
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

describe('JSVM TykStorage* (Redis store)', function () {
  this.timeout(60_000);
  let upstream: RecordingServer;
  let redis: RunningRedis;
  let gw: RunningGateway;

  before(async function () {
    requireRedisServer(this);
    redis = await startRedis();
    upstream = await startRecordingServer();
    gw = await startGateway({ dir: workspace(upstream.url), config: { storage: { type: 'redis', host: '127.0.0.1', port: redis.port } } });
  });

  after(async () => {
    await gw?.stop();
    await upstream?.close();
    await redis?.close();
  });

  sharedBehaviour(() => gw);

  it("keeps values under jsvm-store:<org>:<key>, the org percent-encoded, never Tyk's own keys", async () => {
    const op = storage(() => gw);
    const raw = redis.client();
    await op('s-c', { op: 'set', key: 'apikey-foo', value: 'trapped', ttl: 100 });
    expect(await raw.get('jsvm-store:org%3A2:apikey-foo')).to.equal('trapped');
    expect(await raw.ttl('jsvm-store:org%3A2:apikey-foo')).to.be.within(90, 100);
    expect(await raw.exists('apikey-foo', 'jsvm-store:apikey-foo')).to.equal(0);
    // Written by another node (or a Tyk tool that knows the layout): read back.
    await raw.set('jsvm-store:org1:from-elsewhere', 'hello');
    expect((await op('s-b', { op: 'get', key: 'from-elsewhere' })).result).to.equal('hello');
  });
});
