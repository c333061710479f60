import { expect } from 'chai';
import { SECRET, makeWorkspace, startGateway, writeApi, type RunningGateway } from './helpers/gateway';
import { freshRequest, startRecordingServer, type RecordingServer } from './helpers/http';
import { requireRedisServer, startRedis, type RunningRedis } from './helpers/redis';

function keyedApi(target: string): { api_id: string; [k: string]: unknown } {
  return { api_id: 'k', org_id: 'o', name: 'k', use_keyless: false, use_standard_auth: true, auth: { auth_header_name: 'Authorization' }, proxy: { listen_path: '/k/', target_url: target, strip_listen_path: true } };
}


describe('two nodes on one Redis: quotas and rate limits counted in Redis (Tyk key names)', function () {
  this.timeout(120_000);
  let redis: RunningRedis;
  let upstream: RecordingServer;
  let nodes: RunningGateway[] = [];

  before(async function () {
    requireRedisServer(this);
    redis = await startRedis();
    upstream = await startRecordingServer();
    const storage = { type: 'redis', host: redis.host, port: redis.port };
    for (let i = 0; i < 2; i++) {
      const dir = makeWorkspace();
      writeApi(dir, keyedApi(upstream.url));
      nodes.push(await startGateway({ dir, config: { storage, node_secret: 'n', enable_redis_rolling_limiter: true }, startTimeoutMs: 60_000 }));
    }
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
    await upstream?.close();
    await redis?.close();
  });

  const create = async (key: string, session: Record<string, unknown>) => {
    const res = await nodes[0]!.admin(`/tyk/keys/${key}`, { method: 'POST', body: JSON.stringify(session) });
    expect(res.status, await res.clone().text()).to.equal(200);
  };

  it('200 concurrent requests on a quota-10 key across 2 nodes: exactly 10 pass; the count is Redis quota-<key>', async () => {
    await create('rq-key', { quota_max: 10, quota_renewal_rate: 3600 });
    const before = upstream.requests.length;
    const statuses = await Promise.all(Array.from({ length: 200 }, (_, i) => freshRequest(nodes[i % 2]!.url, 'GET', '/k/q', { authorization: 'rq-key' }).then((r) => r.status, () => 0)));
    expect(statuses.filter((s) => s === 200).length).to.equal(10);
    expect(statuses.filter((s) => s === 403).length).to.equal(190);
    expect(upstream.requests.length - before).to.equal(10);
    const client = redis.client();
    expect(Number(await client.get('quota-rq-key'))).to.equal(200);
    expect(await client.ttl('quota-rq-key')).to.be.within(3500, 3600);
  });

  it('a rolling-window rate limit (enable_redis_rolling_limiter) holds across 2 nodes: 5 per 60 s', async () => {
    await create('rr-key', { rate: 5, per: 60 });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await freshRequest(nodes[i % 2]!.url, 'GET', '/k/r', { authorization: 'rr-key' })).status);
    expect(statuses.filter((s) => s === 200).length).to.equal(5);
    expect(statuses.filter((s) => s === 429).length).to.equal(7);
    expect(await redis.client().zcard('rate-limit-rr-key')).to.equal(5);
  });

  it('quota state survives a restart of both nodes (it lives in Redis); deleting the key drops it', async () => {
    await create('rs-key', { quota_max: 3, quota_renewal_rate: 3600 });
    expect((await freshRequest(nodes[0]!.url, 'GET', '/k/s', { authorization: 'rs-key' })).status).to.equal(200);
    expect((await freshRequest(nodes[1]!.url, 'GET', '/k/s', { authorization: 'rs-key' })).status).to.equal(200);
    const dirs = nodes.map((n) => n.dir);
    await Promise.all(nodes.map((n) => n.stop()));
    const storage = { type: 'redis', host: redis.host, port: redis.port };
    nodes = [];
    for (const dir of dirs) nodes.push(await startGateway({ dir, config: { storage, node_secret: 'n', enable_redis_rolling_limiter: true }, startTimeoutMs: 60_000 }));
    expect((await freshRequest(nodes[1]!.url, 'GET', '/k/s', { authorization: 'rs-key' })).status).to.equal(200);
    expect((await freshRequest(nodes[0]!.url, 'GET', '/k/s', { authorization: 'rs-key' })).status).to.equal(403);
    expect((await nodes[0]!.admin('/tyk/keys/rs-key', { method: 'DELETE' })).status).to.equal(200);
    expect(await redis.client().exists('quota-rs-key')).to.equal(0);
  });
});
