// Micro figures that need a real gateway process: cold start through the management API, and
// RSS per loaded hooked API at N APIs (and whether N load at all).
import { makeWorkspace, rssOf, startGateway } from './gateway.mjs';
import { median } from './load.mjs';
import { ISOLATE_PLUGIN, apiDefinition, preHookApi } from './plugins.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function expectHooked(res, what) {
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${what}: status ${res.status}: ${text.slice(0, 300)}`);
  if (!('x-bench' in JSON.parse(text).headers)) throw new Error(`${what}: the pre hook did not run`);
}

/** A reload in which nothing changed: what every reload pays before building anything. */
async function noopReloadMs(gw) {
  const t0 = performance.now();
  const res = await gw.admin('/tyk/reload?block=true');
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`reload: status ${res.status}`);
  return performance.now() - t0;
}

/**
 * From a new API definition to its first served hooked request, as an operator does it:
 * POST /tyk/apis, GET /tyk/reload?block=true, then the first request. Median of `samples`.
 */
export async function coldStartViaAdmin(upstreamUrl, samples) {
  const ws = makeWorkspace();
  ws.writeMiddleware('bench-plugin.js', ISOLATE_PLUGIN);
  // One hooked API already serving: the runtime's V8 code cache exists, as in a live gateway.
  ws.writeApi(preHookApi('warm', '/warm/', upstreamUrl));
  const gw = await startGateway(ws, { logLevel: 'warn' });
  try {
    await expectHooked(await fetch(`${gw.url}/warm/probe`), 'warm-up API');
    const runs = [];
    for (let i = 0; i < samples; i++) {
      const def = preHookApi(`cold-${i}`, `/cold-${i}/`, upstreamUrl);
      const t0 = performance.now();
      const created = await gw.admin('/tyk/apis', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(def) });
      if (created.status !== 200) throw new Error(`POST /tyk/apis: ${created.status} ${await created.text()}`);
      const t1 = performance.now();
      const reload = await gw.admin('/tyk/reload?block=true');
      const report = await reload.json();
      if (reload.status !== 200 || report.message) throw new Error(`reload: ${reload.status} ${JSON.stringify(report)}`);
      const t2 = performance.now();
      await expectHooked(await fetch(`${gw.url}/cold-${i}/probe`), `first request to cold-${i}`);
      const t3 = performance.now();
      runs.push({ postMs: t1 - t0, reloadMs: t2 - t1, firstRequestMs: t3 - t2, totalMs: t3 - t0 });
    }
    const noop = [];
    for (let i = 0; i < 5; i++) noop.push(await noopReloadMs(gw));
    return {
      noopReloadMs: median(noop),
      apisAtEnd: samples + 1,
      samples,
      medianTotalMs: median(runs.map((r) => r.totalMs)),
      medianPostMs: median(runs.map((r) => r.postMs)),
      medianReloadMs: median(runs.map((r) => r.reloadMs)),
      medianFirstRequestMs: median(runs.map((r) => r.firstRequestMs)),
    };
  } finally {
    await gw.stop();
    ws.dispose();
  }
}

/** Send `fn(i)` for i in [0, n) with `concurrency` requests in flight. */
async function forEachConcurrent(n, concurrency, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) await fn(next++);
  }));
}

/** Let the process go idle (lazy frees, GC after the burst), then read its RSS. */
async function settledRss(pid, settleMs) {
  await sleep(settleMs);
  return rssOf(pid);
}

/**
 * A gateway with `count` hooked APIs (one pre hook each, one shared middleware file), after one
 * request to each so every isolate exists. Baseline: the same gateway with one keyless API.
 */
export async function rssPerApi(upstreamUrl, count, baselineRss, settleMs) {
  const ws = makeWorkspace();
  ws.writeMiddleware('bench-plugin.js', ISOLATE_PLUGIN);
  for (let i = 0; i < count; i++) ws.writeApi(preHookApi(`rss-${i}`, `/rss-${i}/`, upstreamUrl));
  let gw;
  try {
    gw = await startGateway(ws, { logLevel: 'warn', readyTimeoutMs: 15 * 60_000 });
    const loadedRss = await rssOf(gw.pid);
    const t0 = performance.now();
    let failures = 0;
    let firstFailure = '';
    await forEachConcurrent(count, 8, async (i) => {
      try {
        await expectHooked(await fetch(`${gw.url}/rss-${i}/probe`), `rss-${i}`);
      } catch (err) {
        failures++;
        firstFailure ||= err.message;
      }
    });
    const firstRequestsMs = performance.now() - t0;
    const rss = await settledRss(gw.pid, settleMs);
    const noopReload = await noopReloadMs(gw);
    return {
      noopReloadMs: noopReload,
      apis: count,
      loaded: failures === 0,
      failures,
      firstFailure: firstFailure || undefined,
      loadMs: gw.startMs,
      firstRequestsMs,
      rssAfterLoadMiB: loadedRss / 2 ** 20,
      rssMiB: rss / 2 ** 20,
      baselineMiB: baselineRss / 2 ** 20,
      perApiMiB: (rss - baselineRss) / count / 2 ** 20,
    };
  } catch (err) {
    return { apis: count, loaded: false, error: err.message.split('\n')[0] };
  } finally {
    await gw?.stop();
    ws.dispose();
  }
}

/** RSS of a gateway serving one keyless API, after a few requests: the per-API baseline. */
export async function baselineRss(upstreamUrl, settleMs) {
  const ws = makeWorkspace();
  ws.writeApi(apiDefinition('base', '/base/', upstreamUrl));
  const gw = await startGateway(ws, { logLevel: 'warn' });
  try {
    for (let i = 0; i < 20; i++) await (await fetch(`${gw.url}/base/`)).arrayBuffer();
    return await settledRss(gw.pid, settleMs);
  } finally {
    await gw.stop();
    ws.dispose();
  }
}

/** Sequential requests to `url` for `ms`: p50 / p99 latency in ms. */
async function latencyFor(url, ms) {
  const samples = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url}: status ${res.status}`);
    samples.push(performance.now() - t0);
  }
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { n: samples.length, p50Ms: at(0.5), p99Ms: at(0.99) };
}

const SPAM_PLUGIN = `
function spam() {
  for (let i = 0; i < 1e6; i++) console.log('spam line', i);
  for (let i = 0; i < 1e6; i++) TykTriggerEvent('SpamEvent', { i });
}
function calm(request) { request.set_headers['X-Bench'] = '1'; }
`;

function hookedApi(apiId, upstreamUrl, name, limits = {}) {
  return { ...apiDefinition(apiId, `/${apiId}/`, upstreamUrl), custom_middleware: { driver: 'isolate', pre: [{ name, path: 'spam.js' }], limits: { hook_timeout_ms: 60_000, ...limits } } };
}

/**
 * Guest output budgets: another API's latency alone, then while one API's hook logs 1e6 lines
 * and fires 1e6 events per request (two clients keep it busy). Default budgets, log level info.
 */
export async function spamIsolation(upstreamUrl, measureMs) {
  const ws = makeWorkspace();
  ws.writeMiddleware('spam.js', SPAM_PLUGIN);
  ws.writeApi(hookedApi('spam', upstreamUrl, 'spam'));
  ws.writeApi(hookedApi('calm', upstreamUrl, 'calm'));
  const gw = await startGateway(ws, { logLevel: 'info' });
  let spamming = true;
  let spamRequests = 0;
  const loops = [];
  try {
    const alone = await latencyFor(`${gw.url}/calm/x`, measureMs);
    const rssBefore = await rssOf(gw.pid);
    const loop = async () => {
      while (spamming) {
        const res = await fetch(`${gw.url}/spam/x`);
        await res.arrayBuffer();
        spamRequests++;
      }
    };
    loops.push(loop(), loop());
    await sleep(500);
    const underSpam = await latencyFor(`${gw.url}/calm/x`, measureMs);
    const rssDuring = await rssOf(gw.pid);
    spamming = false;
    await Promise.all(loops);
    const out = (await (await gw.admin('/tyk/stats')).json()).guest_output;
    return { alone, underSpam, spamRequests, rssBeforeMiB: rssBefore / 2 ** 20, rssDuringMiB: rssDuring / 2 ** 20, logLines: out.log_lines, logLinesDropped: out.log_lines_dropped, events: out.events, eventsDropped: out.events_dropped };
  } finally {
    spamming = false;
    await Promise.allSettled(loops);
    await gw.stop();
    ws.dispose();
  }
}

/**
 * One catastrophic abort under the supervisor: a hook allocates Array(1e9). How long the other
 * APIs are unavailable (from the first failed request to the first answered one, polled every
 * 10 ms), with the warm standby worker ready as it is in steady state.
 */
export async function abortOutage(upstreamUrl) {
  const ws = makeWorkspace();
  ws.writeMiddleware('bomb.js', 'function bomb(request) { if (request.headers["X-Boom"]) { const a = Array(1e9).fill(0); } }');
  ws.writeApi({ ...apiDefinition('bomb', '/bomb/', upstreamUrl), custom_middleware: { driver: 'isolate', pre: [{ name: 'bomb', path: 'bomb.js' }], limits: { memory_limit_mb: 32, hook_timeout_ms: 60_000 } } });
  ws.writeApi(apiDefinition('plain', '/plain/', upstreamUrl));
  const gw = await startGateway(ws, { logLevel: 'info', supervise: true });
  const ok = (url, init) => fetch(url, init).then(async (r) => (await r.arrayBuffer(), r.status === 200), () => false);
  try {
    const ready = performance.now() + 60_000;
    while (!gw.log.text().includes('standby worker ready')) {
      if (performance.now() > ready) throw new Error('no standby worker became ready');
      await sleep(50);
    }
    const fired = performance.now();
    void ok(`${gw.url}/bomb/x`, { headers: { 'X-Boom': '1' } });
    let downAt;
    while (performance.now() - fired < 120_000) {
      const up = await ok(`${gw.url}/plain/x`);
      if (!up && downAt === undefined) downAt = performance.now();
      if (up && downAt !== undefined) {
        const quarantined = (await fetch(`${gw.url}/bomb/x`)).status === 503;
        return { abortAfterMs: downAt - fired, outageMs: performance.now() - downAt, quarantined };
      }
      await sleep(10);
    }
    throw new Error('the other API did not come back within 120 s');
  } finally {
    await gw.stop();
    ws.dispose();
  }
}
