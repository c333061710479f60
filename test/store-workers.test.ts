import { expect } from 'chai';
import { SECRET, makeWorkspace, startGateway, writeApi, type RunningGateway } from './helpers/gateway';
import { freshRequest, pinnedClient, startRecordingServer, type PinnedClient, type RecordingServer } from './helpers/http';
import { until } from './helpers/poll';

function keyedApi(apiId: string, target: string): { api_id: string; [k: string]: unknown } {
  return { api_id: apiId, org_id: 'o', name: apiId, use_keyless: false, use_standard_auth: true, auth: { auth_header_name: 'Authorization' }, proxy: { listen_path: `/${apiId}/`, target_url: target, strip_listen_path: true } };
}

const admin = { 'x-tyk-authorization': SECRET };

interface Pinned {
  client: PinnedClient;
  pid: number;
}

/** Connections until two land on different workers; each client then stays on its worker. */
async function twoWorkers(gw: RunningGateway): Promise<[Pinned, Pinned]> {
  const seen = new Map<number, PinnedClient>();
  for (let i = 0; i < 60 && seen.size < 2; i++) {
    const client = pinnedClient(gw.url);
    const { pid } = JSON.parse((await client.request('GET', '/tyk/stats', admin)).body) as { pid: number };
    if (seen.has(pid)) client.close();
    else seen.set(pid, client);
  }
  const found = [...seen.entries()].map(([pid, client]) => ({ pid, client }));
  if (found.length < 2) throw new Error('60 connections all reached one worker');
  return [found[0]!, found[1]!];
}

describe('--workers 2 on the embedded store', function () {
  this.timeout(120_000);
  let upstream: RecordingServer;
  let gw: RunningGateway;
  let pinned: Pinned[] = [];

  before(async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeApi(dir, keyedApi('k', upstream.url));
    gw = await startGateway({ dir, config: { storage: { type: 'embedded', path: './data' }, worker_count: 2 }, startTimeoutMs: 60_000 });
    pinned = await twoWorkers(gw);
  });
  after(async () => {
    for (const p of pinned) p.client.close();
    await gw?.stop();
    await upstream?.close();
  });

  it('/tyk/stats names the worker that answered', async () => {
    const [a, b] = pinned;
    const sa = JSON.parse((await a!.client.request('GET', '/tyk/stats', admin)).body) as { worker: { id: number; workers: number } };
    const sb = JSON.parse((await b!.client.request('GET', '/tyk/stats', admin)).body) as { worker: { id: number; workers: number } };
    expect(sa.worker.workers).to.equal(2);
    expect(sa.worker.id).to.not.equal(sb.worker.id);
  });

  it('a key created on one worker works at once on the other; an update and a delete too', async () => {
    const [a, b] = pinned;
    // Worker B reads the key before it exists: its auth cache must not keep the miss.
    expect((await b!.client.request('GET', '/k/x', { authorization: 'w-key' })).status).to.equal(403);
    expect((await a!.client.request('POST', '/tyk/keys/w-key', admin, JSON.stringify({ rate: 1000, per: 1 }))).status).to.equal(200);
    expect((await b!.client.request('GET', '/k/x', { authorization: 'w-key' })).status).to.equal(200);
    // Inactive now: B has the old session cached from the last request and must drop it.
    expect((await a!.client.request('PUT', '/tyk/keys/w-key', admin, JSON.stringify({ rate: 1000, per: 1, is_inactive: true }))).status).to.equal(200);
    expect((await b!.client.request('GET', '/k/x', { authorization: 'w-key' })).status).to.equal(403);
    expect((await a!.client.request('DELETE', '/tyk/keys/w-key', admin)).status).to.equal(200);
    expect((await b!.client.request('GET', '/k/x', { authorization: 'w-key' })).status).to.equal(403);
  });

  it('200 concurrent requests on a quota-10 key across both workers: exactly 10 pass', async () => {
    const [a] = pinned;
    expect((await a!.client.request('POST', '/tyk/keys/q-key', admin, JSON.stringify({ quota_max: 10, quota_renewal_rate: 3600 }))).status).to.equal(200);
    const before = upstream.requests.length;
    const statuses = await Promise.all(Array.from({ length: 200 }, () => freshRequest(gw.url, 'GET', '/k/q', { authorization: 'q-key' }).then((r) => r.status, () => 0)));
    expect(statuses.filter((s) => s === 200).length).to.equal(10);
    expect(statuses.filter((s) => s === 403).length).to.equal(190);
    expect(upstream.requests.length - before).to.equal(10);
  });

  it('a rate limit holds across workers: 5 per 60 s lets 5 through in all', async () => {
    const [a, b] = pinned;
    expect((await a!.client.request('POST', '/tyk/keys/r-key', admin, JSON.stringify({ rate: 5, per: 60 }))).status).to.equal(200);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await a!.client.request('GET', '/k/r', { authorization: 'r-key' })).status);
      statuses.push((await b!.client.request('GET', '/k/r', { authorization: 'r-key' })).status);
    }
    expect(statuses.filter((s) => s === 200).length).to.equal(5);
    expect(statuses.filter((s) => s === 429).length).to.equal(7);
  });

  it('/tyk/reload?block=true on one worker reloads the other before it answers', async () => {
    const [a, b] = pinned;
    writeApi(gw.dir, keyedApi('late', upstream.url));
    expect((await b!.client.request('GET', '/late/x', { authorization: 'nobody' })).status).to.equal(404);
    const reply = await a!.client.request('GET', '/tyk/reload?block=true', admin);
    expect(JSON.parse(reply.body)).to.deep.include({ status: 'ok' });
    expect((await b!.client.request('GET', '/late/x', { authorization: 'nobody' })).status).to.equal(403);
  });

  it('a worker killed under load costs only its own requests; the other keeps serving', async () => {
    const [a, b] = pinned;
    expect((await a!.client.request('POST', '/tyk/keys/load-key', admin, JSON.stringify({}))).status).to.equal(200);
    const failures = { a: 0, b: 0 };
    const ok = { a: 0, b: 0 };
    let running = true;
    const loop = async (name: 'a' | 'b', client: PinnedClient) => {
      while (running) {
        const status = await client.request('GET', '/k/load', { authorization: 'load-key' }).then((r) => r.status, () => 0);
        if (status === 200) ok[name]++;
        else failures[name]++;
        if (name === 'a' && status === 0) return; // its worker is gone: this connection is over
      }
    };
    const loops = [loop('a', a!.client), loop('b', b!.client)];
    await until(() => ok.a > 20 && ok.b > 20, { timeoutMs: 20_000, stepMs: 20, what: 'load on both workers' });
    process.kill(a!.pid, 'SIGKILL');
    const bAtKill = ok.b;
    await until(() => ok.b > bAtKill + 50, { timeoutMs: 20_000, stepMs: 20, what: 'the other worker to keep serving' });
    running = false;
    await Promise.all(loops);
    expect(failures.b).to.equal(0);
    expect(failures.a).to.be.at.most(1);
    // The slot is filled again: a fresh connection reaches a worker other than the killed one.
    await until(async () => {
      const s = await freshRequest(gw.url, 'GET', '/tyk/stats', admin).then((r) => JSON.parse(r.body) as { pid: number }, () => undefined);
      return s !== undefined && s.pid !== a!.pid && s.pid !== b!.pid;
    }, { timeoutMs: 30_000, stepMs: 50, what: 'a replacement worker' });
  });
});
