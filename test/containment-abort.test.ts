// Catastrophic allocations (issue 13): `Array(1e9).fill(0)` aborts the whole process, and
// isolated-vm cannot catch it. New code is validated in a child process; an API whose code
// aborts a worker anyway is quarantined. Real gateway under its supervisor, real aborts.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { type ApiDef, makeWorkspace, type RunningGateway, SECRET, startGateway, writeApi, writeMiddleware } from './helpers/gateway';
import { type RecordingServer, readJson, startRecordingServer, type TykReply } from './helpers/http';
import { sleep, until } from './helpers/poll';
import type { QuarantineEntry } from '../src/containment/quarantine';

const BOMB = 'const big = Array(1e9).fill(0);';

interface Hooked extends ApiDef {
  custom_middleware: { limits: Record<string, unknown> };
}

function api(apiId: string, target: string, file?: string, extra: Record<string, unknown> = {}): Hooked {
  return {
    api_id: apiId, org_id: 'o', use_keyless: true,
    proxy: { listen_path: `/${apiId}/`, target_url: target, strip_listen_path: true },
    // 32 MB: V8 gives up on the huge allocation sooner than at 128 (fewer last-resort GCs).
    ...(file ? { custom_middleware: { driver: 'isolate', pre: [{ name: 'pre', path: file }], limits: { memory_limit_mb: 32, hook_timeout_ms: 20000 } } } : {}),
    ...extra,
  } as unknown as Hooked;
}

interface Runtime {
  status: string;
  quarantine?: QuarantineEntry;
}

/** The supervisor keeps a warm standby worker; an abort before it is ready costs a cold start. */
function standbyReady(gw: RunningGateway): Promise<void> {
  return gw.waitForLog('standby worker ready', 60000);
}

async function workerPid(gw: RunningGateway): Promise<number> {
  return (await readJson<{ pid: number }>(await gw.admin('/tyk/stats'))).pid;
}

const runtime = async (gw: RunningGateway, apiId: string): Promise<Runtime> => readJson<Runtime>(await gw.admin(`/tyk/apis/${apiId}/runtime`));

async function status(url: string, init?: RequestInit): Promise<number> {
  return fetch(url, init).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  }, () => 0);
}

/** Poll `url` until it answers 200; returns ms waited. */
async function until200(url: string, limitMs: number): Promise<number> {
  const start = Date.now();
  await until(async () => (await status(url)) === 200, { timeoutMs: limitMs, stepMs: 20, what: `${url} to answer 200` });
  return Date.now() - start;
}

/** Every request to each URL answers 200 for `ms`. */
async function staysUp(urls: string[], ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) for (const url of urls) expect(await status(url), url).to.equal(200);
}

describe('containment: catastrophic allocations', function () {
  this.timeout(180000);
  let upstream: RecordingServer;
  before(async () => {
    upstream = await startRecordingServer();
  });
  after(() => upstream.close());

  function lastHeader(name: string): unknown {
    return upstream.requests[upstream.requests.length - 1]!.headers[name];
  }

  it('an upload whose top-level code aborts gets a 400 naming the file; the same worker keeps serving and nothing is written', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'v1.js', 'function pre(request) { request.set_headers["X-Version"] = "1"; }');
    writeApi(dir, api('up', upstream.url, 'v1.js'));
    const short = api('short', upstream.url, 'v1.js');
    short.custom_middleware.limits = { hook_timeout_ms: 200 };
    writeApi(dir, short);
    writeApi(dir, api('other', upstream.url));
    const gw = await startGateway({ dir });
    try {
      const pid = await workerPid(gw);
      expect(await status(`${gw.url}/up/x`)).to.equal(200);
      expect(lastHeader('x-version')).to.equal('1');

      let res = await gw.admin('/tyk/apis/up/middleware/boom.js', { method: 'PUT', body: BOMB });
      let body = await readJson<TykReply>(res);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(body.message).to.include(path.join('middleware', 'up', 'boom.js')).and.include('aborted the validation process');
      expect(await workerPid(gw)).to.equal(pid);
      expect(fs.existsSync(path.join(dir, 'middleware', 'up', 'boom.js'))).to.equal(false);
      expect(await status(`${gw.url}/up/x`)).to.equal(200);
      expect(lastHeader('x-version')).to.equal('1');
      expect(await status(`${gw.url}/other/x`)).to.equal(200);

      // A second file aborting after a good one: the record of progress names the one that did it.
      const two = `globalThis.loaded = true;\n${BOMB}`;
      res = await gw.admin('/tyk/apis/up/middleware/zz-late.js', { method: 'PUT', body: two });
      body = await readJson<TykReply>(res);
      expect(res.status).to.equal(400);
      expect(body.message).to.include('zz-late.js').and.include('aborted');

      // Top-level code that never ends is refused the same way (within the API's start budget).
      res = await gw.admin('/tyk/apis/short/middleware/hang.js', { method: 'PUT', body: 'for (;;) {}' });
      body = await readJson<TykReply>(res);
      expect(res.status).to.equal(400);
      expect(body.message).to.include('hang.js').and.match(/timed out|did not finish/);

      // The validator recovers: a good upload goes live.
      res = await gw.admin('/tyk/apis/up/middleware/v1.js', { method: 'PUT', body: 'function pre(request) { request.set_headers["X-Version"] = "2"; }' });
      expect(res.status, await res.clone().text()).to.equal(200);
      expect(await status(`${gw.url}/up/x`)).to.equal(200);
      expect(lastHeader('x-version')).to.equal('2');
      expect(await workerPid(gw)).to.equal(pid);
      expect(gw.logs.join('')).to.not.include('aborted the gateway worker');
    } finally {
      await gw.stop();
    }
  });

  it('a reload whose changed file aborts at top level keeps the old version serving in the same worker', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'mw.js', 'function pre(request) { request.set_headers["X-Version"] = "disk-1"; }');
    writeApi(dir, api('disk', upstream.url, 'mw.js'));
    const gw = await startGateway({ dir });
    try {
      const pid = await workerPid(gw);
      writeMiddleware(dir, 'mw.js', `function pre() {}\n${BOMB}`);
      const report = await gw.reload();
      expect(report.message).to.include('mw.js').and.include('aborted the validation process').and.include('previous version keeps serving');
      expect(await workerPid(gw)).to.equal(pid);
      expect(await status(`${gw.url}/disk/x`)).to.equal(200);
      expect(lastHeader('x-version')).to.equal('disk-1');
    } finally {
      await gw.stop();
    }
  });

  it('a hook that aborts the worker at its first call: the API is quarantined (503), the others are back within seconds and stay up, DELETE releases it', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'bomb.js', `function pre(request) {\n  if (request.headers['X-Boom']) { ${BOMB} }\n  request.set_headers['X-Bomb'] = 'defused';\n}`);
    writeMiddleware(dir, 'calm.js', 'function pre(request) { request.set_headers["X-Calm"] = "yes"; }');
    // Busy for longer than V8 takes to give up on the bomb, even on a loaded machine.
    writeMiddleware(dir, 'slow.js', 'function pre() { const end = Date.now() + 45000; while (Date.now() < end) {} }');
    writeApi(dir, api('bomb', upstream.url, 'bomb.js'));
    writeApi(dir, api('calm', upstream.url, 'calm.js'));
    const slowApi = api('slow', upstream.url, 'slow.js');
    slowApi.custom_middleware.limits.hook_timeout_ms = 60000;
    writeApi(dir, slowApi);
    writeApi(dir, api('plain', upstream.url));
    const gw = await startGateway({ dir });
    try {
      const pid = await workerPid(gw);
      expect(await status(`${gw.url}/bomb/x`)).to.equal(200);
      const others = [`${gw.url}/calm/x`, `${gw.url}/plain/x`];
      await standbyReady(gw);

      // Another isolate is busy when the bomb goes off: the blame must still fall on the bomb.
      const slow = status(`${gw.url}/slow/x`);
      await sleep(300);
      // Fire the bomb and watch the other APIs: they serve until the worker dies, then come back.
      const fired = status(`${gw.url}/bomb/x`, { headers: { 'X-Boom': '1' } });
      let downAt: number | undefined;
      let backAt = 0;
      const watchStart = Date.now();
      while (Date.now() - watchStart < 60000) {
        const s = await status(others[1]);
        if (s !== 200 && downAt === undefined) downAt = Date.now();
        if (s === 200 && downAt !== undefined) {
          backAt = Date.now();
          break;
        }
        await sleep(10);
      }
      expect(await fired).to.not.equal(200);
      expect(downAt, 'the worker never went down').to.not.equal(undefined);
      const outage = backAt - downAt!;
      console.log(`      other APIs unavailable for ${outage} ms after the abort`);
      expect(outage).to.be.below(15000);
      expect(await until200(others[0], 15000)).to.be.below(15000);
      expect(await workerPid(gw)).to.not.equal(pid);

      // The bomb API answers 503 without running its code, and says why.
      const res = await fetch(`${gw.url}/bomb/x`, { headers: { 'X-Boom': '1' } });
      expect(res.status).to.equal(503);
      expect(res.headers.get('content-type')).to.equal('application/json');
      expect(await res.text()).to.equal('{\n    "error": "This API is quarantined: its middleware crashed the gateway"\n}');
      // …and everything else stays up while the bomb keeps being called: it is never run.
      const end = Date.now() + 3000;
      let rounds = 0;
      while (Date.now() < end) {
        for (const url of others) expect(await status(url), url).to.equal(200);
        expect(await status(`${gw.url}/bomb/x`, { headers: { 'X-Boom': '1' } })).to.equal(503);
        rounds++;
      }
      expect(rounds).to.be.above(5);

      const bombRuntime = await runtime(gw, 'bomb');
      expect(bombRuntime.status).to.equal('quarantined');
      expect(bombRuntime.quarantine).to.include({ api: 'bomb', phase: 'call', attribution: 'culprit' });
      expect(bombRuntime.quarantine!.reason).to.include('SIGABRT');
      expect((await runtime(gw, 'calm')).status).to.equal('serving');
      expect(await slow, 'the slow call was in flight on the aborted worker').to.equal(0);
      expect((await runtime(gw, 'slow')).status).to.equal('serving');
      expect((await readJson<{ quarantined: QuarantineEntry[] }>(await gw.admin('/tyk/stats'))).quarantined.map((q) => q.api)).to.deep.equal(['bomb']);
      const text = gw.logs.join('');
      expect(text).to.include('api bomb aborted the gateway worker');
      expect(text).to.include('api bomb is quarantined');

      // Management: the secret is required, unknown or healthy APIs are not quarantined.
      expect((await fetch(`${gw.url}/tyk/apis/bomb/quarantine`, { method: 'DELETE' })).status).to.equal(403);
      expect((await fetch(`${gw.url}/tyk/apis/bomb/quarantine`, { method: 'DELETE', headers: { 'x-tyk-authorization': `${SECRET}x` } })).status).to.equal(403);
      expect((await gw.admin('/tyk/apis/calm/quarantine', { method: 'DELETE' })).status).to.equal(404);
      expect((await gw.admin('/tyk/apis/nope/quarantine', { method: 'DELETE' })).status).to.equal(404);
      // (fetch resolves a literal %2e%2e segment itself, so it never reaches the route.)
      for (const bad of ['..%2Fbomb', '.%2Fx', 'bo%00mb', 'a%0D%0Ab', 'x'.repeat(129)]) {
        expect((await gw.admin(`/tyk/apis/${bad}/quarantine`, { method: 'DELETE' })).status, bad).to.equal(400);
      }
      expect(await status(`${gw.url}/bomb/x`)).to.equal(503);

      // Released: the API runs its code again (without the trigger it is harmless).
      const released = await gw.admin('/tyk/apis/bomb/quarantine', { method: 'DELETE' });
      expect(released.status, await released.clone().text()).to.equal(200);
      expect(await status(`${gw.url}/bomb/x`)).to.equal(200);
      expect(lastHeader('x-bomb')).to.equal('defused');
      expect((await runtime(gw, 'bomb')).status).to.equal('serving');
      expect((await gw.admin('/tyk/apis/bomb/quarantine', { method: 'DELETE' })).status).to.equal(404);
    } finally {
      await gw.stop();
    }
  });

  it('a time bomb in top-level code that fires at the next start: quarantined at start, the others serve, release is refused while it still aborts, a fix lifts it', async () => {
    const dir = makeWorkspace();
    writeMiddleware(dir, 'timebomb.js', 'function pre(request) { request.set_headers["X-Timebomb"] = "harmless"; }');
    writeApi(dir, api('timebomb', upstream.url, 'timebomb.js'));
    writeApi(dir, api('plain', upstream.url));
    const gw = await startGateway({ dir });
    try {
      const firesAt = Date.now() + 8000;
      const armed = `if (Date.now() > ${firesAt}) { ${BOMB} }\nfunction pre(request) { request.set_headers["X-Timebomb"] = "armed"; }`;
      const upload = await gw.admin('/tyk/apis/timebomb/middleware/timebomb.js', { method: 'PUT', body: armed });
      expect(upload.status, await upload.clone().text()).to.equal(200);
      expect(Date.now(), 'the upload took too long for this test').to.be.below(firesAt);
      expect(await status(`${gw.url}/timebomb/x`)).to.equal(200);
      expect(lastHeader('x-timebomb')).to.equal('armed');
      await sleep(firesAt - Date.now() + 200);

      // The worker dies for an unrelated reason; its successor runs the armed top-level code.
      await standbyReady(gw);
      const pid = await workerPid(gw);
      process.kill(pid, 'SIGKILL');
      const waited = await until200(`${gw.url}/plain/x`, 15000);
      console.log(`      after the worker was killed, the other API served again in ${waited} ms (one abort at start included)`);
      await staysUp([`${gw.url}/plain/x`], 3000);
      expect(await status(`${gw.url}/timebomb/x`)).to.equal(503);
      const held = await runtime(gw, 'timebomb');
      expect(held.status).to.equal('quarantined');
      expect(held.quarantine).to.include({ api: 'timebomb', phase: 'start' });

      // Releasing runs the code in the validation child first: it still aborts, so it stays.
      const pidNow = await workerPid(gw);
      const refused = await gw.admin('/tyk/apis/timebomb/quarantine', { method: 'DELETE' });
      const refusedBody = await readJson<TykReply>(refused);
      expect(refused.status, refusedBody.message).to.equal(409);
      expect(refusedBody.message).to.include('quarantine kept').and.include('timebomb.js').and.include('aborted the validation process');
      expect(await workerPid(gw)).to.equal(pidNow);
      expect(await status(`${gw.url}/timebomb/x`)).to.equal(503);
      expect((await runtime(gw, 'timebomb')).status).to.equal('quarantined');

      // Changed middleware lifts the quarantine.
      const fixed = await gw.admin('/tyk/apis/timebomb/middleware/timebomb.js', { method: 'PUT', body: 'function pre(request) { request.set_headers["X-Timebomb"] = "fixed"; }' });
      expect(fixed.status, await fixed.clone().text()).to.equal(200);
      expect(await status(`${gw.url}/timebomb/x`)).to.equal(200);
      expect(lastHeader('x-timebomb')).to.equal('fixed');
      expect((await runtime(gw, 'timebomb')).status).to.equal('serving');
      expect((await readJson<{ quarantined: QuarantineEntry[] }>(await gw.admin('/tyk/stats'))).quarantined).to.deep.equal([]);
      expect(await workerPid(gw)).to.equal(pidNow);
    } finally {
      await gw.stop();
    }
  });
});
