// `fetch` inside isolates and Tyk's TykBatchRequest, through the one network layer (src/net/),
// against a real gateway, real isolates and real loopback services: what is allowed arrives,
// what is refused never reaches the forbidden service, and the caps and deadline hold.
import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { hookedApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { until } from './helpers/poll';
import { readJson, startRecordingServer, tykError, type Echoed, type Received, type RecordingServer } from './helpers/http';

// A pre hook that fetches what the client asks for (X-Target, X-Init as JSON) and reports the
// outcome to the upstream in X-Result or X-Error.
const PROBE = `
async function probe(request) {
  const target = request.headers['X-Target'];
  const init = request.headers['X-Init'] ? JSON.parse(request.headers['X-Init']) : undefined;
  try {
    const r = await fetch(target, init);
    const text = await r.text();
    request.set_headers['X-Result'] = JSON.stringify({ status: r.status, ok: r.ok, url: r.url, redirected: r.redirected, type: r.headers.get('content-type'), body: text.slice(0, 200) });
  } catch (e) {
    request.set_headers['X-Error'] = e.name + ': ' + e.message;
  }
  return request;
}

// Three at once against a cap of two.
async function flood(request) {
  const target = request.headers['X-Target'];
  const all = await Promise.allSettled([fetch(target), fetch(target), fetch(target)]);
  request.set_headers['X-Outcomes'] = all.map((o) => o.status === 'fulfilled' ? String(o.value.status) : o.reason.message).join(' | ');
  return request;
}

// Awaits a slow service without catching: the hook's deadline must cut it.
async function slow(request) {
  const r = await fetch(request.headers['X-Target']);
  request.set_headers['X-Result'] = String(r.status);
  return request;
}

// Spins after the answer arrives: that code must run under the hook's timeout like any other.
async function spinAfter(request) {
  const r = await fetch(request.headers['X-Target']);
  if (request.headers['X-Spin'] === 'yes') for (;;) {}
  request.set_headers['X-Result'] = String(r.status);
  return request;
}

// Header injection attempts, in the guest's Headers and past it (a plugin replacing the method
// that hands the pairs to the host): each must fail with a TypeError, nothing sent.
async function inject(request) {
  const target = request.headers['X-Target'];
  const outcomes = [];
  const attempt = async (what, fn) => {
    try { await fn(); outcomes.push(what + ':sent'); } catch (e) { outcomes.push(what + ':' + e.name); }
  };
  await attempt('crlf-value', () => fetch(target, { headers: { 'X-A': 'v\\r\\nX-Injected: 1' } }));
  await attempt('lf-value', () => fetch(target, { headers: [['X-A', 'v\\nX-Injected: 1']] }));
  await attempt('nul-value', () => fetch(target, { headers: { 'X-A': 'v\\u0000w' } }));
  await attempt('crlf-name', () => fetch(target, { headers: { 'X-A\\r\\nX-Injected': '1' } }));
  const pairs = Headers.prototype.pairs;
  Headers.prototype.pairs = () => [['X-A', 'v\\r\\nX-Injected: 1']];
  await attempt('host-value', () => fetch(target));
  Headers.prototype.pairs = () => [['X-A\\r\\nX-Injected', '1']];
  await attempt('host-name', () => fetch(target));
  Headers.prototype.pairs = pairs;
  // Framing headers are the layer's: these are dropped, the body's real length is sent.
  const r = await fetch(target + '?framing', { method: 'POST', body: 'abc', headers: { Host: 'evil.example', 'Content-Length': '999', 'Transfer-Encoding': 'chunked', Connection: 'keep-alive' } });
  outcomes.push('framing:' + r.status);
  request.set_headers['X-Outcomes'] = outcomes.join(' ');
  return request;
}
`;

// A Tyk JSVM plugin that runs the batch the client sends (X-Batch) and forwards the answer as the body.
const BATCH = `
var batch = new TykJS.TykMiddleware.NewMiddleware({});
batch.NewProcessRequest(function (request, session, config) {
  var reply = TykBatchRequest(request.Headers['X-Batch'][0]);
  request.Body = reply === undefined ? 'undefined' : reply;
  return batch.ReturnData(request, {});
});
`;

describe('fetch and TykBatchRequest through the network layer', function () {
  let gw: RunningGateway;
  let upstream: RecordingServer;
  let service: RecordingServer;
  let forbidden: RecordingServer;
  /** Requests of the service whose connection closed before an answer (the deadline test). */
  const abandoned: string[] = [];
  /** /delay requests being answered now, and the most at once since the last reset. */
  const delay = { now: 0, max: 0 };

  before(async () => {
    upstream = await startRecordingServer();
    forbidden = await startRecordingServer((seen, res) => res.end('forbidden service'));
    service = await startRecordingServer((seen: Received, res: ServerResponse) => {
      const path = seen.url.split('?')[0];
      if (path === '/redirect-out') {
        res.writeHead(302, { location: `${forbidden.url}/stolen` });
        res.end();
      } else if (path === '/redirect-in') {
        res.writeHead(307, { location: '/auth?after=redirect' });
        res.end();
      } else if (path === '/big') {
        res.end(Buffer.alloc(2048, 0x61));
      } else if (path === '/slow') {
        res.on('close', () => abandoned.push(seen.url));
      } else if (path === '/delay') {
        delay.now++;
        delay.max = Math.max(delay.max, delay.now);
        setTimeout(() => {
          delay.now--;
          res.end('late');
        }, 300);
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'x-service': 'auth' });
        res.end(JSON.stringify({ user: 'alice', method: seen.method, url: seen.url, body: seen.text }));
      }
    });
    const dir = makeWorkspace();
    writeMiddleware(dir, 'net.js', PROBE);
    writeMiddleware(dir, 'batch.js', BATCH);
    const own = `127.0.0.1:${service.port}`;
    const isolate = (id: string, hook: string, limits: Record<string, unknown>) =>
      writeApi(dir, hookedApi(id, upstream.url, { driver: 'isolate', pre: [{ name: hook, path: 'net.js' }], limits }));
    const allowed = { allow_net: [own], net_max_response_bytes: 1024, net_max_concurrent: 2, hook_timeout_ms: 600 };
    isolate('allowed', 'probe', allowed);
    isolate('flood', 'flood', allowed);
    isolate('slow', 'slow', allowed);
    isolate('inject', 'inject', allowed);
    isolate('spin', 'spinAfter', allowed);
    isolate('star', 'probe', { allow_net: ['*'] });
    isolate('byname', 'probe', { allow_net: [`localhost:${service.port}`] });
    isolate('none', 'probe', {});
    writeApi(dir, hookedApi('batch', upstream.url, { driver: 'otto', pre: [{ name: 'batch', path: 'batch.js' }], limits: { allow_net: [own] } }));
    gw = await startGateway({ dir });
  });

  after(async () => {
    if (gw) await gw.stop();
    await Promise.all([upstream?.close(), service?.close(), forbidden?.close()]);
  });

  /** Call API `api` with the probe's headers; what the upstream received. */
  async function probe(api: string, target: string, init?: unknown): Promise<{ result?: Record<string, unknown>; error?: string; seen: Echoed }> {
    const headers: Record<string, string> = { 'x-target': target };
    if (init !== undefined) headers['x-init'] = JSON.stringify(init);
    const res = await fetch(`${gw.url}/${api}/probe`, { headers });
    expect(res.status, await res.clone().text()).to.equal(200);
    const seen = await readJson<Echoed>(res);
    const result = seen.headers['x-result'] as string | undefined;
    return { result: result === undefined ? undefined : JSON.parse(result), error: seen.headers['x-error'] as string | undefined, seen };
  }

  const serviceUrl = (path: string) => `${service.url}${path}`;

  it('a hook fetches a literally listed loopback service and uses the answer', async () => {
    const { result, error } = await probe('allowed', serviceUrl('/auth?u=1'), { method: 'POST', body: 'hello', headers: { 'X-Custom': 'v1' } });
    expect(error).to.equal(undefined);
    expect(result).to.include({ status: 200, ok: true, redirected: false, type: 'application/json', url: serviceUrl('/auth?u=1') });
    expect(JSON.parse(result!.body as string)).to.deep.equal({ user: 'alice', method: 'POST', url: '/auth?u=1', body: 'hello' });
    const seen = service.requests.find((r) => r.url === '/auth?u=1')!;
    expect(seen.headers['x-custom']).to.equal('v1');
    expect(seen.headers.host).to.equal(`127.0.0.1:${service.port}`);
    expect(seen.headers['content-length']).to.equal('5');
    expect(seen.headers['content-type']).to.equal('text/plain;charset=UTF-8');
  });

  it('refuses an unlisted host with PermissionDenied naming the host and the key', async () => {
    const { error } = await probe('allowed', 'http://unlisted.example/x');
    expect(error).to.equal('PermissionDenied: Requires net access to "unlisted.example:80": list it in custom_middleware.limits.allow_net of API "allowed"');
    const none = await probe('none', serviceUrl('/auth?none'));
    expect(none.error).to.equal(`PermissionDenied: Requires net access to "127.0.0.1:${service.port}": list it in custom_middleware.limits.allow_net of API "none" (or the gateway's isolate_options.allow_net for every API)`);
    expect(service.requests.some((r) => r.url === '/auth?none')).to.equal(false);
  });

  it('refuses loopback, metadata and numeric loopback forms unless listed literally ("*" is not literal)', async () => {
    const before = service.requests.length;
    const cases: [string, string, string][] = [
      ['star', serviceUrl('/auth?star'), 'loopback'],
      ['star', 'http://169.254.169.254/latest/meta-data/', 'link-local'],
      ['star', `http://0x7f000001:${service.port}/auth`, 'loopback'],
      ['star', `http://2130706433:${service.port}/auth`, 'loopback'],
      ['star', `http://127.1:${service.port}/auth`, 'loopback'],
      ['star', `http://[::ffff:127.0.0.1]:${service.port}/auth`, 'loopback'],
      ['star', `http://[::1]:${service.port}/auth`, 'loopback'],
      ['star', 'http://10.1.2.3/', 'private'],
      ['star', 'http://100.64.0.1/', 'carrier-grade NAT'],
      ['star', 'http://0.0.0.0/', 'unspecified'],
      ['star', 'http://[fd00::1]/', 'unique local'],
      ['star', 'http://[fe80::1]/', 'link-local'],
      ['star', `http://127%2E0%2E0%2E1:${service.port}/auth`, 'loopback'],
      ['star', `http://[0:0:0:0:0:ffff:7f00:1]:${service.port}/auth`, 'loopback'],
      // The gateway's own management API, with its secret: loopback like any other.
      ['star', `http://127.0.0.1:${gw.port}/tyk/apis`, 'loopback'],
    ];
    for (const [api, target, why] of cases) {
      const { error } = await probe(api, target);
      expect(error, target).to.match(/^PermissionDenied: Requires net access to /);
      expect(error, target).to.include(why);
    }
    // Listed literally as 127.0.0.1:<port>, the normalised 0x7f000001 form on another port is still refused.
    const { error } = await probe('allowed', 'http://0x7f000001/');
    expect(error).to.equal('PermissionDenied: Requires net access to "127.0.0.1:80": list it in custom_middleware.limits.allow_net of API "allowed"');
    expect(service.requests.length).to.equal(before);
  });

  it('checks DNS answers: a name that resolves to loopback is refused unless the name is listed literally', async () => {
    const before = service.requests.length;
    const { error } = await probe('star', `http://localhost:${service.port}/auth?byname`);
    expect(error).to.match(/^PermissionDenied: Requires net access to "localhost:\d+", which is (127\.0\.0\.1|::1), a loopback address/);
    expect(service.requests.length).to.equal(before);
    // Listed by name, the name may reach its private address (here: the loopback service).
    const listed = await probe('byname', `http://localhost:${service.port}/auth?byname`);
    expect(listed.error).to.equal(undefined);
    expect(listed.result).to.include({ status: 200 });
  });

  it('re-checks every redirect hop: a redirect to an unlisted host is refused and the other service gets nothing', async () => {
    const { error } = await probe('allowed', serviceUrl('/redirect-out'));
    expect(error).to.equal(`PermissionDenied: Requires net access to "127.0.0.1:${forbidden.port}": list it in custom_middleware.limits.allow_net of API "allowed"`);
    expect(forbidden.requests).to.have.length(0);
    const manual = await probe('allowed', serviceUrl('/redirect-out'), { redirect: 'manual' });
    expect(manual.result).to.include({ status: 302, redirected: false });
    expect(forbidden.requests).to.have.length(0);
    const within = await probe('allowed', serviceUrl('/redirect-in'), { method: 'POST', body: 'kept' });
    expect(within.result).to.include({ status: 200, redirected: true, url: serviceUrl('/auth?after=redirect') });
    expect(JSON.parse(within.result!.body as string)).to.include({ method: 'POST', body: 'kept' });
  });

  it('cuts a fetch at the hook deadline: 500, the connection closed, the gateway and the next request fine', async () => {
    const t0 = Date.now();
    const res = await fetch(`${gw.url}/slow/x`, { headers: { 'x-target': serviceUrl('/slow?1') } });
    const ms = Date.now() - t0;
    expect(res.status).to.equal(500);
    expect(await tykError(res)).to.equal('Middleware error');
    expect(ms).to.be.within(500, 2500);
    await until(() => abandoned.includes('/slow?1'), { timeoutMs: 3000, what: 'the slow service to see its connection closed' });
    expect((await fetch(`${gw.url}/hello`)).status).to.equal(200);
    const next = await probe('allowed', serviceUrl('/auth?after-slow'));
    expect(next.result).to.include({ status: 200 });
  });

  it('runs the code after `await fetch` under the hook timeout: a spin there is a 500, and the API recovers', async () => {
    const t0 = Date.now();
    const res = await fetch(`${gw.url}/spin/x`, { headers: { 'x-target': serviceUrl('/auth?spin'), 'x-spin': 'yes' } });
    expect(res.status).to.equal(500);
    expect(Date.now() - t0).to.be.below(3000);
    const again = await fetch(`${gw.url}/spin/x`, { headers: { 'x-target': serviceUrl('/auth?spin-ok') } });
    expect(again.status).to.equal(200);
    expect((await readJson<Echoed>(again)).headers['x-result']).to.equal('200');
    expect((await probe('allowed', serviceUrl('/auth?after-spin'))).result).to.include({ status: 200 });
  });

  it('caps the response body', async () => {
    const { error } = await probe('allowed', serviceUrl('/big'));
    expect(error).to.equal('TypeError: the response body exceeds 1024 bytes (custom_middleware.limits.net_max_response_bytes, or isolate_options.net_max_response_bytes)');
  });

  it('caps the requests in flight per API', async () => {
    const res = await fetch(`${gw.url}/flood/x`, { headers: { 'x-target': serviceUrl('/delay') } });
    expect(res.status).to.equal(200);
    const outcomes = ((await readJson<Echoed>(res)).headers['x-outcomes'] as string).split(' | ');
    expect(outcomes.filter((o) => o === '200')).to.have.length(2);
    expect(outcomes.filter((o) => o.startsWith('too many requests in flight: this API may have 2 at once'))).to.have.length(1);
  });

  it('refuses CR/LF/NUL in header names and values, in the guest and at the host; framing headers are the layer\'s', async () => {
    const before = service.requests.length;
    const res = await fetch(`${gw.url}/inject/x`, { headers: { 'x-target': serviceUrl('/auth') } });
    expect(res.status).to.equal(200);
    const outcomes = (await readJson<Echoed>(res)).headers['x-outcomes'];
    expect(outcomes).to.equal('crlf-value:TypeError lf-value:TypeError nul-value:TypeError crlf-name:TypeError host-value:TypeError host-name:TypeError framing:200');
    const sent = service.requests.slice(before);
    expect(sent).to.have.length(1);
    expect(sent[0].url).to.equal('/auth?framing');
    expect(sent[0].headers.host).to.equal(`127.0.0.1:${service.port}`);
    expect(sent[0].headers['content-length']).to.equal('3');
    expect(sent[0].headers['transfer-encoding']).to.equal(undefined);
    expect(sent[0].headers['x-injected']).to.equal(undefined);
    expect(sent[0].text).to.equal('abc');
  });

  describe('TykBatchRequest', () => {
    async function batch(body: unknown): Promise<string> {
      const res = await fetch(`${gw.url}/batch/x`, { method: 'POST', headers: { 'x-batch': typeof body === 'string' ? body : JSON.stringify(body) }, body: 'original' });
      expect(res.status).to.equal(200);
      return Buffer.from((await readJson<Echoed>(res)).body, 'base64').toString('utf8');
    }

    it("answers Tyk's per-request results, in order when suppress_parallel_execution is set", async () => {
      const reply = JSON.parse(await batch({
        suppress_parallel_execution: true,
        requests: [
          { method: 'POST', headers: { 'x-one': '1' }, body: 'first', relative_url: serviceUrl('/auth?b=1') },
          { method: 'GET', headers: {}, body: '', relative_url: serviceUrl('/auth?b=2') },
        ],
      })) as { relative_url: string; code: number; headers: Record<string, string[]>; body: string }[];
      expect(reply.map((r) => r.relative_url)).to.deep.equal([serviceUrl('/auth?b=1'), serviceUrl('/auth?b=2')]);
      expect(reply[0].code).to.equal(200);
      expect(reply[0].headers['X-Service']).to.deep.equal(['auth']);
      expect(JSON.parse(reply[0].body)).to.deep.equal({ user: 'alice', method: 'POST', url: '/auth?b=1', body: 'first' });
      expect(service.requests.find((r) => r.url === '/auth?b=1')!.headers['x-one']).to.equal('1');
    });

    it('runs the requests at once by default, one after the other with suppress_parallel_execution', async () => {
      const three = [1, 2, 3].map((i) => ({ method: 'GET', relative_url: serviceUrl(`/delay?n=${i}`) }));
      delay.max = 0;
      const parallel = JSON.parse(await batch({ requests: three })) as { code: number; body: string }[];
      expect(parallel.map((r) => [r.code, r.body])).to.deep.equal([[200, 'late'], [200, 'late'], [200, 'late']]);
      expect(delay.max).to.equal(3);
      delay.max = 0;
      const serial = JSON.parse(await batch({ requests: three, suppress_parallel_execution: true })) as { relative_url: string }[];
      expect(serial.map((r) => r.relative_url)).to.deep.equal(three.map((r) => r.relative_url));
      expect(delay.max).to.equal(1);
    });

    it('a refused or failed request is the empty reply', async () => {
      const reply = JSON.parse(await batch({
        requests: [
          { method: 'GET', relative_url: serviceUrl('/auth?p=1') },
          { method: 'GET', relative_url: `${forbidden.url}/batch` },
          { method: 'GET', relative_url: 'not a url' },
        ],
      })) as unknown[];
      expect(reply).to.have.length(3);
      expect(reply).to.deep.include({ relative_url: '', code: 0, headers: null, body: '' });
      expect(reply.filter((r) => JSON.stringify(r) === '{"relative_url":"","code":0,"headers":null,"body":""}')).to.have.length(2);
      expect(reply.some((r) => (r as { code: number }).code === 200)).to.equal(true);
      expect(forbidden.requests).to.have.length(0);
      // (the log is JSON: the quotes around the host are escaped there)
      await gw.waitForLog(`TykBatchRequest: ${forbidden.url}/batch: Requires net access to \\"127.0.0.1:${forbidden.port}\\"`);
    });

    it("bad JSON returns undefined, as Tyk's does, and the request goes on", async () => {
      expect(await batch('{not json')).to.equal('undefined');
      expect(await batch({ requests: 'nope' })).to.equal('undefined');
      expect(await batch({ requests: [{ headers: { a: 1 } }] })).to.equal('undefined');
      expect(await batch({ requests: [] })).to.equal('[]');
      await gw.waitForLog('TykBatchRequest: Could not decode batch request, decoding failed');
    });
  });
});

