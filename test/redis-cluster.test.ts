// Two real gateway processes sharing one real redis-server: sessions, cluster notifications,
// startup and outage behaviour, as a Tyk cluster has them.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import type { SessionState } from '../src/pipeline/session';
import { startGateway, makeWorkspace, writeApi, writeMiddleware, runCli, type ApiDef, type RunningGateway } from './helpers/gateway';
import { echoed, readJson, startRecordingServer, tykReply, type RecordingServer } from './helpers/http';
import { freePort } from './helpers/ports';
import { startRedis, requireRedisServer, type RunningRedis } from './helpers/redis';
import { encodeNotification, NOTIFICATION_CHANNEL } from '../src/cluster/notification';
import { sleep, until } from './helpers/poll';

const NODE_SECRET = 'cluster-secret';
// auth_check that refuses everything when the API's config_data says so: on that node a request
// can only pass when the identity is served from the shared cache (Redis) without the plugin.
const AUTH_PLUGIN = `
function auth(request, session, metadata, spec) {
  const cfg = JSON.parse(spec.config_data || '{}');
  if (cfg.refuse) return { request };
  const id = request.headers['Authorization'];
  return {
    request,
    session: { rate: 1000, per: 1, quota_max: -1, id_extractor_deadline: Math.floor(Date.now() / 1000) + 3600, metadata: { node: cfg.node } },
    metadata: { token: 'tok-' + id },
  };
}
function post(request, session) {
  request.set_headers['X-Authed-On'] = session.metadata.node;
}
`;

function keyedApi(target: string): ApiDef {
  return {
    api_id: 'keyed', org_id: 'org1', name: 'keyed', use_keyless: false, use_standard_auth: true,
    auth: { auth_header_name: 'Authorization' },
    proxy: { listen_path: '/keyed/', target_url: target, strip_listen_path: true },
  };
}

function pluginApi(target: string, node: string, refuse: boolean): ApiDef {
  return {
    api_id: 'plug', org_id: 'org1', name: 'plug', use_keyless: false, custom_plugin_auth_enabled: true,
    config_data: { node, refuse },
    proxy: { listen_path: '/plug/', target_url: target, strip_listen_path: true },
    custom_middleware: {
      driver: 'isolate',
      auth_check: { name: 'auth', path: 'auth.js' },
      post: [{ name: 'post', path: 'auth.js' }],
      id_extractor: { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } },
    },
  };
}

function workspace(target: string, node: string, refuse: boolean) {
  const dir = makeWorkspace();
  writeMiddleware(dir, 'auth.js', AUTH_PLUGIN);
  writeApi(dir, keyedApi(target));
  writeApi(dir, pluginApi(target, node, refuse));
  return dir;
}

const session = (extra: SessionState = {}): SessionState => ({ rate: 100, per: 1, quota_max: -1, org_id: 'org1', access_rights: {}, ...extra });

describe('two gateways sharing one Redis', function () {
  this.timeout(60_000);
  let redis: RunningRedis;
  let raw: Redis;
  let upstream: RecordingServer;
  let a: RunningGateway;
  let b: RunningGateway;

  const get = (gw: RunningGateway, p: string, key?: string) => fetch(`${gw.url}${p}`, { headers: key ? { authorization: key } : {} });
  // Resolves with the key's full name: Tyk stores a custom key org-qualified (org1<key>).
  const createKey = async (gw: RunningGateway, key: string, body = session()) => {
    const res = await gw.admin(`/tyk/keys/${key}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(res.status).to.equal(200);
    return (await tykReply(res)).key!;
  };

  before(async function () {
    requireRedisServer(this);
    redis = await startRedis();
    raw = redis.client();
    upstream = await startRecordingServer();
    const storage = { type: 'redis', host: '127.0.0.1', port: redis.port, timeout: 1 };
    const config = { storage, node_secret: NODE_SECRET };
    [a, b] = await Promise.all([
      startGateway({ dir: workspace(upstream.url, 'A', false), config }),
      startGateway({ dir: workspace(upstream.url, 'B', true), config }),
    ]);
  });

  after(async () => {
    if (a) await a.stop();
    if (b) await b.stop();
    if (upstream) await upstream.close();
    if (redis) await redis.close();
  });

  it('a key created on A authenticates on B, stored as Tyk stores it', async () => {
    const name = await createKey(a, 'shared-key-1');
    expect(name).to.equal('org1shared-key-1');
    expect(JSON.parse((await raw.get('apikey-org1shared-key-1'))!)).to.include({ rate: 100, org_id: 'org1' });
    // Clients present the bare custom key, as with Tyk.
    expect((await get(b, '/keyed/x', 'shared-key-1')).status).to.equal(200);
    expect((await b.admin(`/tyk/keys/${name}`)).status).to.equal(200);
    expect((await readJson<{ keys: string[] }>(await b.admin('/tyk/keys'))).keys).to.include(name);
  });

  it('deleting the key on A makes B refuse it within a second, though B had it cached', async () => {
    const name = await createKey(a, 'shared-key-2');
    expect((await get(b, '/keyed/x', 'shared-key-2')).status).to.equal(200);
    expect((await get(b, '/keyed/x', 'shared-key-2')).status).to.equal(200); // now from B's auth LRU
    const deleted = Date.now();
    expect((await a.admin(`/tyk/keys/${name}`, { method: 'DELETE' })).status).to.equal(200);
    await until(async () => (await get(b, '/keyed/x', 'shared-key-2')).status === 403, { timeoutMs: 1000 });
    const refused = Date.now();
    expect(refused - deleted).to.be.below(1000);
  });

  it('an update on A reaches B at once (its cached copy is evicted)', async () => {
    const name = await createKey(a, 'shared-key-3', session({ expires: 0 }));
    expect((await get(b, '/keyed/x', 'shared-key-3')).status).to.equal(200);
    const past = Math.floor(Date.now() / 1000) - 10;
    // `expires` in the past on an update keeps the old expiry (Tyk); `is_inactive` takes effect.
    const put = await a.admin(`/tyk/keys/${name}`, { method: 'PUT', body: JSON.stringify(session({ is_inactive: true, expires: past })), headers: { 'content-type': 'application/json' } });
    expect(put.status).to.equal(200);
    await until(async () => (await get(b, '/keyed/x', 'shared-key-3')).status !== 200, { timeoutMs: 1000 });
  });

  it('/tyk/reload/group on A makes B load a new API definition from its own app_path', async () => {
    writeApi(b.dir, { api_id: 'late', org_id: 'org1', name: 'late', use_keyless: true, proxy: { listen_path: '/late/', target_url: upstream.url, strip_listen_path: true } });
    expect((await get(b, '/late/x')).status).to.equal(404);
    const res = await a.admin('/tyk/reload/group');
    expect(res.status).to.equal(200);
    expect(await tykReply(res)).to.deep.equal({ status: 'ok', message: '' });
    await until(async () => (await get(b, '/late/x')).status === 200, { timeoutMs: 3000 });
    // A reloads too (it has no such file, so nothing new there).
    expect((await get(a, '/late/x')).status).to.equal(404);
  });

  it('B ignores and logs a badly signed notification, but obeys one signed with node_secret', async () => {
    writeApi(b.dir, { api_id: 'late2', org_id: 'org1', name: 'late2', use_keyless: true, proxy: { listen_path: '/late2/', target_url: upstream.url, strip_listen_path: true } });
    const forged = JSON.parse(encodeNotification('GroupReload', '', 'not-the-secret'));
    await raw.publish(NOTIFICATION_CHANNEL, JSON.stringify(forged));
    await raw.publish(NOTIFICATION_CHANNEL, JSON.stringify({ command: 'GroupReload', payload: '' }));
    await b.waitForLog('cluster notification rejected: unsigned', 2000);
    expect(b.logs.join('')).to.include('cluster notification rejected: bad signature');
    await sleep(300);
    expect((await get(b, '/late2/x')).status).to.equal(404);
    // What a Tyk node (or a script) that knows node_secret sends is obeyed.
    await raw.publish(NOTIFICATION_CHANNEL, encodeNotification('ApiAdded', 'late2', NODE_SECRET));
    await until(async () => (await get(b, '/late2/x')).status === 200, { timeoutMs: 3000 });
  });

  it('a session stored by an auth_check plugin on A is served from the shared cache on B', async () => {
    // B's plugin refuses everyone: B can only let this through from the cached identity.
    expect((await get(b, '/plug/x', 'cred-b-only')).status).to.equal(403);
    const onA = await get(a, '/plug/x', 'cred-1');
    expect(onA.status).to.equal(200);
    expect((await echoed(onA)).headers['x-authed-on']).to.equal('A');
    const onB = await get(b, '/plug/x', 'cred-1');
    expect(onB.status).to.equal(200);
    expect((await echoed(onB)).headers['x-authed-on']).to.equal('A');
  });

  it('a key stored with a session lifetime expires in Redis, and then on every node', async () => {
    const name = await createKey(a, 'short-lived', session({ session_lifetime: 1 }));
    const ttl = await raw.pttl(`apikey-${name}`);
    expect(ttl).to.be.within(1, 1000);
    await sleep(1300);
    expect(await raw.exists(`apikey-${name}`)).to.equal(0);
    expect((await get(b, '/keyed/x', 'short-lived')).status).to.equal(403);
  });

  it('while Redis is down a request needing the store gets 503, then all works again', async () => {
    await redis.stop();
    await sleep(100);
    const down = await get(b, '/keyed/x', 'never-cached');
    expect(down.status).to.equal(503);
    expect(await readJson(down)).to.deep.equal({ error: 'Service Unavailable' });
    expect(b.child.exitCode).to.equal(null);
    // Keyless APIs do not need the store.
    expect((await get(b, '/late/x')).status).to.equal(200);
    await redis.restart();
    // The fresh Redis has no data: a new key made on A works on B, and notifications flow again.
    await until(async () => (await a.admin('/tyk/keys')).status === 200, { timeoutMs: 5000, stepMs: 100 });
    const name = await createKey(a, 'after-outage');
    await until(async () => (await get(b, '/keyed/x', 'after-outage')).status === 200, { timeoutMs: 5000, stepMs: 100 });
    expect((await a.admin(`/tyk/keys/${name}`, { method: 'DELETE' })).status).to.equal(200);
    await until(async () => (await get(b, '/keyed/x', 'after-outage')).status === 403, { timeoutMs: 1000 });
    expect(a.logs.join('')).to.match(/Redis connection (lost|closed); reconnecting/);
    expect(a.logs.join('')).to.include('Redis connection restored');
  });
});

describe('gateway startup in Redis mode', function () {
  this.timeout(30_000);

  before(function () {
    requireRedisServer(this);
  });

  it('exits non-zero naming storage.host/storage.port when Redis is unreachable, serving nothing', async () => {
    const dir = makeWorkspace();
    const port = await freePort();
    const listen = await freePort();
    const conf = path.join(dir, 'gateway.json');
    fs.writeFileSync(conf, JSON.stringify({ listen_port: listen, secret: 's', storage: { type: 'redis', host: '127.0.0.1', port, timeout: 1 } }));
    const { code, out } = await runCli(['--conf', conf], dir);
    expect(code).to.not.equal(0);
    expect(out).to.include(`${conf}: storage.host/storage.port: cannot connect to Redis at 127.0.0.1:${port}`);
    // Not restarted in a loop by the supervisor, and nothing listened meanwhile.
    expect(out.match(/cannot connect to Redis/g)).to.have.length(1);
    expect(out).to.not.include('isogate listening');
  });

  it('warns when node_secret is missing', async () => {
    const redis = await startRedis();
    let gw: RunningGateway | undefined;
    try {
      gw = await startGateway({ config: { storage: { type: 'redis', host: '127.0.0.1', port: redis.port } } });
      expect(gw.logs.join('')).to.include('node_secret is not set');
    } finally {
      if (gw) await gw.stop();
      await redis.close();
    }
  });
});
