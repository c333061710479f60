// The ID-extractor cache is per API by default (issue 13): a token approved by a lenient API's
// auth_check never lets a request skip a strict API's auth_check. Tyk's shared-per-org cache is
// `auth_cache.id_extractor_scope: "org"`.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Redis } from 'ioredis';
import { startGateway, makeWorkspace, writeApi, writeMiddleware, runCli, type RunningGateway } from './helpers/gateway';
import { echoed, readJson, startRecordingServer, tykError, type RecordingServer } from './helpers/http';
import { until } from './helpers/poll';
import { startRedis, requireRedisServer, type RunningRedis } from './helpers/redis';

// lenient approves anyone; strict only tokens starting "strict-", and counts every call it gets
// in a header the upstream sees (so refused calls show in the next approved one).
const PLUGIN = `
const hour = () => Math.floor(Date.now() / 1000) + 3600;
function lenient(request) {
  return { request, session: { rate: 1000, per: 1, quota_max: -1, id_extractor_deadline: hour() }, metadata: { token: 'lenient' } };
}
let strictCalls = 0;
function strict(request) {
  strictCalls++;
  request.set_headers['X-Strict-Calls'] = String(strictCalls);
  const token = request.headers['Authorization'];
  if (!token.startsWith('strict-')) return { request };
  return { request, session: { rate: 1000, per: 1, quota_max: -1, id_extractor_deadline: hour() }, metadata: { token } };
}
`;

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function workspace(upstreamUrl: string) {
  const dir = makeWorkspace();
  writeMiddleware(dir, 'scope.js', PLUGIN);
  for (const name of ['lenient', 'strict']) {
    writeApi(dir, {
      api_id: name, org_id: 'org1', use_keyless: false, custom_plugin_auth_enabled: true,
      proxy: { listen_path: `/${name}/`, target_url: upstreamUrl, strip_listen_path: true },
      custom_middleware: {
        driver: 'isolate',
        auth_check: { name, path: 'scope.js' },
        id_extractor: { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } },
      },
    });
  }
  return dir;
}

describe('ID-extractor cache scope', function () {
  this.timeout(60_000);
  let upstream: RecordingServer;

  before(async () => {
    upstream = await startRecordingServer();
  });

  after(async () => {
    if (upstream) await upstream.close();
  });

  describe('default: per API', () => {
    let gw: RunningGateway;
    const get = (p: string, token: string) => fetch(`${gw.url}${p}`, { headers: { authorization: token } });
    const strictCalls = async (res: Response) => {
      expect(res.status).to.equal(200);
      return Number((await echoed(res)).headers['x-strict-calls']);
    };

    before(async () => {
      gw = await startGateway({ dir: workspace(upstream.url) });
    });

    after(async () => {
      if (gw) await gw.stop();
    });

    it("the strict API's hook is called for a token the lenient API approved", async () => {
      expect(await strictCalls(await get('/strict/x', 'strict-1'))).to.equal(1);
      expect((await get('/lenient/x', 'shared-token')).status).to.equal(200);
      const upstreamSeen = upstream.requests.length;
      const res = await get('/strict/x', 'shared-token');
      expect(res.status).to.equal(403);
      expect(await tykError(res)).to.equal('Forbidden');
      expect(upstream.requests.length).to.equal(upstreamSeen);
      // The refused call was a real call of the strict hook: its counter moved.
      expect(await strictCalls(await get('/strict/x', 'strict-2'))).to.equal(3);
      // Each API still serves its own approvals from its cache.
      expect((await get('/lenient/x', 'shared-token')).status).to.equal(200);
      const cached = await get('/strict/x', 'strict-1');
      expect(cached.status).to.equal(200);
      expect((await echoed(cached)).headers['x-strict-calls']).to.equal(undefined);
    });

    it('entries are named <org><api_id>:<md5>, listed by /tyk/keys and evicted by DELETE /tyk/keys/{key}', async () => {
      expect((await get('/strict/x', 'strict-evict')).status).to.equal(200);
      const name = `org1strict:${md5('strict-evict')}`;
      expect((await readJson<{ keys: string[] }>(await gw.admin('/tyk/keys'))).keys).to.include(name);
      expect((await gw.admin(`/tyk/keys/${encodeURIComponent(name)}`)).status).to.equal(200);
      const before = await strictCalls(await get('/strict/x', 'strict-count'));
      expect((await get('/strict/x', 'strict-evict')).status).to.equal(200); // still cached
      expect((await gw.admin(`/tyk/keys/${encodeURIComponent(name)}`, { method: 'DELETE' })).status).to.equal(200);
      // Evicted: the hook decides again (and it is called once for it).
      expect(await strictCalls(await get('/strict/x', 'strict-evict'))).to.equal(before + 1);
    });
  });

  describe('auth_cache.id_extractor_scope: "org" (Tyk\'s shared cache)', () => {
    let gw: RunningGateway;
    const get = (p: string, token: string) => fetch(`${gw.url}${p}`, { headers: { authorization: token } });

    before(async () => {
      gw = await startGateway({ dir: workspace(upstream.url), config: { auth_cache: { id_extractor_scope: 'org' } } });
    });

    after(async () => {
      if (gw) await gw.stop();
    });

    it('shares approvals between the APIs of an org, under Tyk\'s <org><md5> name', async () => {
      expect((await get('/lenient/x', 'shared-token')).status).to.equal(200);
      const res = await get('/strict/x', 'shared-token');
      expect(res.status).to.equal(200);
      expect((await echoed(res)).headers['x-strict-calls']).to.equal(undefined);
      expect((await readJson<{ keys: string[] }>(await gw.admin('/tyk/keys'))).keys).to.include(`org1${md5('shared-token')}`);
    });

    it('refuses an unknown scope at startup, naming the key', async () => {
      const dir = makeWorkspace();
      fs.writeFileSync(`${dir}/gw.json`, JSON.stringify({ auth_cache: { id_extractor_scope: 'everyone' } }));
      const { code, out } = await runCli(['--conf', `${dir}/gw.json`], dir);
      expect(code).to.not.equal(0);
      expect(out).to.include('auth_cache.id_extractor_scope');
    });
  });

  describe('Redis mode: two nodes sharing one store', function () {
    let redis: RunningRedis;
    let raw: Redis;
    let a: RunningGateway;
    let b: RunningGateway;
    const get = (gw: RunningGateway, p: string, token: string) => fetch(`${gw.url}${p}`, { headers: { authorization: token } });
    const calledHook = async (res: Response) => {
      expect(res.status).to.equal(200);
      return (await echoed(res)).headers['x-strict-calls'] !== undefined;
    };

    before(async function () {
      requireRedisServer(this);
      redis = await startRedis();
      raw = redis.client();
      const config = { storage: { type: 'redis', host: '127.0.0.1', port: redis.port, timeout: 1 }, node_secret: 'scope-secret' };
      [a, b] = await Promise.all([startGateway({ dir: workspace(upstream.url), config }), startGateway({ dir: workspace(upstream.url), config })]);
    });

    after(async () => {
      if (a) await a.stop();
      if (b) await b.stop();
      if (redis) await redis.close();
    });

    it('an API shares its approvals between nodes under the per-API name, and DELETE on one node evicts on the other', async () => {
      expect(await calledHook(await get(a, '/strict/x', 'strict-r'))).to.equal(true);
      const name = `org1strict:${md5('strict-r')}`;
      expect(JSON.parse((await raw.get(`apikey-${name}`))!)).to.include({ org_id: 'org1' });
      expect(await calledHook(await get(b, '/strict/x', 'strict-r'))).to.equal(false); // from Redis
      expect(await calledHook(await get(b, '/strict/x', 'strict-r'))).to.equal(false); // from B's LRU
      expect((await a.admin(`/tyk/keys/${encodeURIComponent(name)}`, { method: 'DELETE' })).status).to.equal(200);
      const called = await until(async () => calledHook(await get(b, '/strict/x', 'strict-r')), { timeoutMs: 3000, stepMs: 50 }).catch(() => false);
      expect(called, "B's strict hook decides again once the key is deleted on A").to.equal(true);
    });

    it("a lenient API's approval on one node does not skip the strict API's hook on the other", async () => {
      expect((await get(a, '/lenient/x', 'shared-redis')).status).to.equal(200);
      const res = await get(b, '/strict/x', 'shared-redis');
      expect(res.status).to.equal(403);
      expect(await tykError(res)).to.equal('Forbidden');
    });
  });
});
