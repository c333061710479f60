import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { hookedApi, keylessApi, makeWorkspace, SECRET, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { echo, startRecordingServer, type RecordingServer } from './helpers/http';
import { freePort } from './helpers/ports';
import { parsePrometheus, type PromScrape } from './helpers/prometheus';

const PLUGIN = `
function ok(request) {
  request.set_headers['X-Ok'] = 'yes';
  return { request };
}
function boom(request) {
  if (request.headers['X-Boom']) throw new Error('boom on purpose');
  return { request };
}
`;

/** 404 for /missing, the echo otherwise: known 2xx and 4xx counts. */
function upstreamResponder(seen: Parameters<typeof echo>[0], res: Parameters<typeof echo>[1]): void {
  if (seen.url.includes('missing')) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('nope');
    return;
  }
  echo(seen, res);
}

async function scrape(gw: RunningGateway): Promise<PromScrape> {
  const res = await gw.admin('/metrics');
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

describe('Prometheus /metrics from a real gateway', function () {
  let upstream: RecordingServer;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startRecordingServer(upstreamResponder);
    const dir = makeWorkspace();
    writeMiddleware(dir, 'metrics.js', PLUGIN);
    writeApi(dir, keylessApi('plain', '/plain/', upstream.url));
    writeApi(dir, hookedApi('hooked', upstream.url, { driver: 'isolate', pre: [{ name: 'ok', path: 'metrics.js' }, { name: 'boom', path: 'metrics.js' }] }));
    gw = await startGateway({ dir, supervise: false });
    const get = async (p: string, headers: Record<string, string> = {}) => (await fetch(`${gw.url}${p}`, { headers })).arrayBuffer();
    for (let i = 0; i < 3; i++) await get('/plain/ok');
    for (let i = 0; i < 2; i++) await get('/plain/missing');
    for (let i = 0; i < 4; i++) await get('/hooked/x');
    for (let i = 0; i < 2; i++) await get('/hooked/x', { 'x-boom': '1' });
  });

  after(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  it('counts requests per API by status class, with latency histograms', async () => {
    const m = await scrape(gw);
    expect(m.types.get('isogate_requests_total')).to.equal('counter');
    expect(m.value('isogate_requests_total', { api_id: 'plain', code: '2xx' })).to.equal(3);
    expect(m.value('isogate_requests_total', { api_id: 'plain', code: '4xx' })).to.equal(2);
    expect(m.value('isogate_requests_total', { api_id: 'plain', code: '5xx' })).to.equal(0);
    expect(m.value('isogate_requests_total', { api_id: 'hooked', code: '2xx' })).to.equal(4);
    expect(m.value('isogate_requests_total', { api_id: 'hooked', code: '5xx' })).to.equal(2);
    expect(m.types.get('isogate_request_duration_seconds')).to.equal('histogram');
    expect(m.value('isogate_request_duration_seconds_count', { api_id: 'plain' })).to.equal(5);
    expect(m.value('isogate_request_duration_seconds_bucket', { api_id: 'plain', le: '+Inf' })).to.equal(5);
    expect(m.value('isogate_request_duration_seconds_sum', { api_id: 'plain' })).to.be.greaterThan(0);
    // Buckets are cumulative: never decreasing.
    const buckets = m.find('isogate_request_duration_seconds_bucket', { api_id: 'plain' }).map((s) => s.value);
    expect(buckets).to.deep.equal([...buckets].sort((a, b) => a - b));
    // The hooked API's failed requests never went upstream.
    expect(m.value('isogate_upstream_duration_seconds_count', { api_id: 'plain' })).to.equal(5);
    expect(m.value('isogate_upstream_duration_seconds_count', { api_id: 'hooked' })).to.equal(4);
  });

  it('counts hook calls per API and hook by outcome, with latency and batch sizes', async () => {
    const m = await scrape(gw);
    const calls = (hook: string, outcome: string) => m.value('isogate_hook_calls_total', { api_id: 'hooked', hook_type: 'pre', hook, outcome });
    expect(calls('ok', 'ok')).to.equal(6);
    expect(calls('ok', 'exception')).to.equal(0);
    expect(calls('boom', 'ok')).to.equal(4);
    expect(calls('boom', 'exception')).to.equal(2);
    for (const outcome of ['timeout', 'memory', 'bad_result', 'unavailable']) expect(calls('boom', outcome)).to.equal(0);
    expect(m.value('isogate_hook_duration_seconds_count', { api_id: 'hooked', hook: 'ok' })).to.equal(6);
    expect(m.value('isogate_hook_duration_seconds_count', { api_id: 'hooked', hook: 'boom' })).to.equal(6);
    // Every hook call went into the isolate in some batch: the sizes add up to the calls.
    expect(m.value('isogate_isolate_batch_size_sum', { api_id: 'hooked' })).to.equal(12);
    expect(m.find('isogate_hook_calls_total', { api_id: 'plain' })).to.have.length(0);
  });

  it('reports isolates, heap, quarantine, auth cache and event bus', async () => {
    const m = await scrape(gw);
    expect(m.value('isogate_isolates_live')).to.be.at.least(1);
    expect(m.value('isogate_isolate_heap_used_bytes', { api_id: 'hooked' })).to.be.greaterThan(0);
    // V8's limit is memory_limit_mb (128 by default) plus its own young-generation share.
    expect(m.value('isogate_isolate_heap_limit_bytes', { api_id: 'hooked' })).to.be.within(128 * 1024 * 1024, 160 * 1024 * 1024);
    expect(m.value('isogate_isolate_rebuilds_total', { api_id: 'hooked' })).to.equal(0);
    expect(m.value('isogate_api_quarantined', { api_id: 'hooked' })).to.equal(0);
    expect(m.value('isogate_apis_loaded')).to.equal(2);
    const stats = (await (await gw.admin('/tyk/stats')).json()) as { auth_cache: { hits: number; misses: number; evictions: number } };
    expect(m.value('isogate_auth_cache_hits_total')).to.equal(stats.auth_cache.hits);
    expect(m.value('isogate_auth_cache_misses_total')).to.equal(stats.auth_cache.misses);
    expect(m.value('isogate_auth_cache_evictions_total')).to.equal(stats.auth_cache.evictions);
    // A MiddlewareError fired per failed hook; no handler wanted it, so nothing was delivered.
    expect(m.value('isogate_events_fired_total')).to.be.at.least(2);
    expect(m.value('isogate_event_deliveries_total', { handler: 'eh_web_hook_handler', result: 'dropped' })).to.equal(0);
    expect(m.value('isogate_guest_log_lines_dropped_total', { api_id: 'hooked' })).to.equal(0);
    // prom-client's process metrics come along for the standard dashboards.
    expect(m.find('process_cpu_user_seconds_total')).to.have.length(1);
  });

  it('refuses a scrape without the secret, with a wrong one, and anything but GET/HEAD', async () => {
    const bare = await fetch(`${gw.url}/metrics`);
    expect(bare.status).to.equal(403);
    expect(await bare.text()).to.not.include('isogate_requests_total');
    const wrong = await fetch(`${gw.url}/metrics`, { headers: { 'x-tyk-authorization': `${SECRET}x` } });
    expect(wrong.status).to.equal(403);
    const wrongBearer = await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrongBearer.status).to.equal(403);
    const bearer = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(bearer.status).to.equal(200);
    expect(await bearer.text()).to.include('isogate_requests_total');
    const post = await gw.admin('/metrics', { method: 'POST', body: 'x' });
    expect(post.status).to.equal(405);
    // Dot segments and escapes normalise to /metrics: still behind the secret.
    for (const p of ['/x/../metrics', '/%6detrics', '//metrics']) {
      const res = await fetch(`${gw.url}${p}`);
      expect(res.status, p).to.be.oneOf([403, 404, 400]);
      expect(await res.text(), p).to.not.include('isogate_requests_total');
    }
  });

  it('never labels by path, key or unknown API id: a flood of made-up ids adds no series', async () => {
    const before = (await scrape(gw)).samples.length;
    const junk = [];
    for (let i = 0; i < 200; i++) junk.push(fetch(`${gw.url}/api-${i}/k?api_id=evil-${i}`, { headers: { authorization: `key-${i}`, 'x-api-id': `evil-${i}` } }).then((r) => r.arrayBuffer()));
    await Promise.all(junk);
    for (let i = 0; i < 20; i++) await (await fetch(`${gw.url}/plain/secret-path-${i}?token=tok-${i}`, { headers: { authorization: `key-${i}` } })).arrayBuffer();
    const m = await scrape(gw);
    const ids = new Set(m.samples.filter((s) => 'api_id' in s.labels).map((s) => s.labels.api_id));
    expect([...ids].sort()).to.deep.equal(['hooked', 'plain']);
    const text = m.samples.map((s) => JSON.stringify(s.labels)).join('\n');
    expect(text).to.not.match(/secret-path|tok-|key-|evil/);
    // Same series as before (counter values moved, no new lines), give or take the GC metrics
    // prom-client adds once a GC kind first happens.
    const isogate = (s: PromScrape) => s.samples.filter((x) => x.name.startsWith('isogate_')).length;
    expect(isogate(m)).to.equal(isogate(parsePrometheus(await (await gw.admin('/metrics')).text())));
    expect(m.samples.length).to.be.within(before - 5, before + 20);
  });

  it('drops the series of an API that is removed', async () => {
    fs.rmSync(path.join(gw.dir, 'apps', 'plain.json'));
    const reload = await gw.reload();
    expect(reload.status).to.equal('ok');
    const m = await scrape(gw);
    expect(m.find('isogate_requests_total', { api_id: 'plain' })).to.have.length(0);
    expect(m.value('isogate_requests_total', { api_id: 'hooked', code: '2xx' })).to.equal(4);
    expect(m.value('isogate_apis_loaded')).to.equal(1);
  });
});

describe('metrics_listen_port and enable_metrics', function () {
  let upstream: RecordingServer;
  const gateways: RunningGateway[] = [];

  before(async () => {
    upstream = await startRecordingServer();
  });

  after(async () => {
    for (const gw of gateways) await gw.stop();
    await upstream?.close();
  });

  it('serves /metrics on its own port without the secret, and not on the main listener', async () => {
    const dir = makeWorkspace();
    writeApi(dir, keylessApi('solo', '/', upstream.url));
    const port = await freePort();
    const gw = await startGateway({ dir, supervise: false, config: { metrics_listen_port: port } });
    gateways.push(gw);
    await (await fetch(`${gw.url}/metrics`, { headers: { 'x-tyk-authorization': SECRET } })).arrayBuffer();
    // On the main listener /metrics is an ordinary path of the catch-all API: it went upstream.
    expect(upstream.requests.some((r) => r.url === '/metrics')).to.equal(true);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).to.equal(200);
    const m = parsePrometheus(await res.text());
    expect(m.value('isogate_requests_total', { api_id: 'solo', code: '2xx' })).to.equal(1);
    expect((await fetch(`http://127.0.0.1:${port}/tyk/apis`)).status).to.equal(404);
  });

  it('with enable_metrics false there is no /metrics at all', async () => {
    const dir = makeWorkspace();
    const gw = await startGateway({ dir, supervise: false, config: { enable_metrics: false } });
    gateways.push(gw);
    const res = await gw.admin('/metrics');
    expect(res.status).to.equal(404);
  });
});
