import { expect } from 'chai';
import http from 'node:http';
import type { SessionState } from '../src/pipeline/session';
import { keylessApi, startGateway, makeWorkspace, writeApi, writeMiddleware, type ApiDef, type RunningGateway } from './helpers/gateway';
import { startRecordingServer, type RecordingServer, echoed, readJson, tykError, type Echoed } from './helpers/http';
import { sleep } from './helpers/poll';

const PLUGIN = `
let calls = 0;
let authCalls = 0;
function addHeaders(request, session, metadata, spec) {
  calls++;
  request.set_headers['X-Pre'] = 'one';
  request.set_headers['X-Calls'] = String(calls);
  request.set_headers['X-Config'] = JSON.parse(spec.config_data).greeting;
  request.set_headers['X-Api'] = spec.APIID;
  request.delete_headers.push('X-Remove-Me');
  request.add_params['added'] = 'yes';
  request.delete_params.push('secret');
}
function second(request) {
  request.set_headers['X-Order'] = (request.headers['X-Pre'] || 'missing') + '-then-second';
}
async function asyncHook(request) {
  await Promise.resolve();
  request.set_headers['X-Async'] = 'awaited';
  return { request };
}
function rewrite(request) {
  request.raw_body = 'replaced body';
  request.method = 'PUT';
  request.url = request.url.replace('/before', '/after');
}
function echoBody(request) {
  request.set_headers['X-Body-Len'] = String(request.raw_body.length);
  request.set_headers['X-Body-Text'] = request.body === '' ? 'empty' : 'text';
}
function overrideRaw(request) {
  request.return_overrides.response_code = 200;
  request.return_overrides.response_error = '{"foo": "bar"}';
  request.return_overrides.headers['X-Foo'] = 'Bar';
}
function overrideError(request) {
  request.return_overrides.response_code = 400;
  request.return_overrides.response_body = 'foobar';
}
function overrideErrorRaw(request) {
  request.return_overrides.response_code = 400;
  request.return_overrides.override_error = true;
  request.return_overrides.response_body = 'foobar';
}
function boom() { throw new Error('plugin exploded'); }
function spin() { for (;;) {} }
function hog() { const keep = []; for (;;) keep.push({ a: Math.random(), b: 'x'.repeat(64) }); }
function auth(request, session, metadata) {
  authCalls++;
  const token = request.headers['Authorization'];
  if (token !== 'good-token') return { request };
  return { request, session: { rate: 1000, per: 1, quota_max: -1, metadata: { user: 'alice' } }, metadata: { token } };
}
function authThrows() { throw new Error('auth broke'); }
function postSeesSession(request, session, metadata) {
  request.set_headers['X-User'] = session.metadata.user || 'none';
  request.set_headers['X-Meta-Token'] = metadata.token || 'none';
}
function respond(request, response, session, metadata, spec) {
  response.raw_body = 'response hook says hi (' + response.status_code + ')';
  response.headers['X-Response-Hook'] = 'yes';
  response.status_code = 201;
  return response;
}
`;

function api(apiId: string, listenPath: string, target: string, middleware: Record<string, unknown>, extra: Record<string, unknown> = {}): ApiDef {
  return keylessApi(apiId, listenPath, target, { config_data: { greeting: 'hi from config' }, custom_middleware: { driver: 'isolate', ...middleware }, ...extra });
}

const pre = (...names: string[]) => ({ pre: names.map((name) => ({ name, path: 'plugin.js' })) });

describe('isolate coprocess engine through a real gateway', function () {
  let upstream: RecordingServer;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'plugin.js', PLUGIN);
    const u = upstream.url;
    writeApi(dir, api('hdr', '/hdr/', u, pre('addHeaders', 'second')));
    writeApi(dir, api('async', '/async/', u, pre('asyncHook')));
    writeApi(dir, api('rewrite', '/rewrite/', u, pre('rewrite')));
    writeApi(dir, api('body', '/body/', u, pre('echoBody')));
    writeApi(dir, api('ovr-raw', '/ovr-raw/', u, pre('overrideRaw')));
    writeApi(dir, api('ovr-err', '/ovr-err/', u, pre('overrideError')));
    writeApi(dir, api('ovr-err-raw', '/ovr-err-raw/', u, pre('overrideErrorRaw')));
    writeApi(dir, api('boom', '/boom/', u, pre('boom')));
    writeApi(dir, api('spin', '/spin/', u, { ...pre('spin'), limits: { hook_timeout_ms: 300 } }));
    writeApi(dir, api('hog', '/hog/', u, { ...pre('hog'), limits: { memory_limit_mb: 16, hook_timeout_ms: 5000 } }));
    writeApi(dir, api('resp', '/resp/', u, { response: [{ name: 'respond', path: 'plugin.js' }] }));
    writeApi(dir, api('auth', '/auth/', u, { auth_check: { name: 'auth', path: 'plugin.js' }, post: [{ name: 'postSeesSession', path: 'plugin.js' }] }, { use_keyless: false, custom_plugin_auth_enabled: true }));
    writeApi(dir, api('auth-throws', '/auth-throws/', u, { auth_check: { name: 'authThrows', path: 'plugin.js' } }, { use_keyless: false, custom_plugin_auth_enabled: true }));
    writeApi(dir, { api_id: 'plain', org_id: 'org1', use_keyless: true, proxy: { listen_path: '/plain/', target_url: u, strip_listen_path: true } });
    gw = await startGateway({ dir });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  it('pre hooks edit headers and params, in chain order, with spec and config_data', async () => {
    const res = await fetch(`${gw.url}/hdr/x?secret=1&keep=2`, { headers: { 'x-remove-me': 'bye' } });
    expect(res.status).to.equal(200);
    const seen = await echoed(res);
    expect(seen.headers['x-pre']).to.equal('one');
    expect(seen.headers['x-order']).to.equal('one-then-second');
    expect(seen.headers['x-config']).to.equal('hi from config');
    expect(seen.headers['x-api']).to.equal('hdr');
    expect(seen.headers).to.not.have.property('x-remove-me');
    expect(seen.url).to.equal('/x?added=yes&keep=2');
  });

  it('keeps isolate globals between calls', async () => {
    const a = await echoed(await fetch(`${gw.url}/hdr/x`));
    const b = await echoed(await fetch(`${gw.url}/hdr/x`));
    expect(Number(b.headers['x-calls'])).to.equal(Number(a.headers['x-calls']) + 1);
  });

  it('awaits async hooks', async () => {
    const seen = await echoed(await fetch(`${gw.url}/async/x`));
    expect(seen.headers['x-async']).to.equal('awaited');
  });

  it('applies the returned body, method and url', async () => {
    const seen = await echoed(await fetch(`${gw.url}/rewrite/before?q=1`, { method: 'POST', body: 'original' }));
    expect(seen.method).to.equal('PUT');
    expect(seen.url).to.equal('/after?q=1');
    expect(Buffer.from(seen.body, 'base64').toString()).to.equal('replaced body');
    expect(seen.headers['content-length']).to.equal(String('replaced body'.length));
  });

  it('binary (non-UTF-8) bodies survive the hook byte for byte; body text stays empty', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x01]);
    const seen = await echoed(await fetch(`${gw.url}/body/bin`, { method: 'POST', body: bytes }));
    expect(Buffer.from(seen.body, 'base64').equals(bytes)).to.equal(true);
    expect(seen.headers['x-body-text']).to.equal('empty');
  });

  it('carries a 5 MB body through a hook', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x61);
    const seen = await echoed(await fetch(`${gw.url}/body/big`, { method: 'POST', body: big }));
    expect(seen.headers['x-body-len']).to.equal(String(big.length));
    expect(Buffer.from(seen.body, 'base64').length).to.equal(big.length);
  });

  it('return_overrides 200 answers raw with headers, skipping the upstream', async () => {
    const before = upstream.requests.length;
    const res = await fetch(`${gw.url}/ovr-raw/x`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-foo')).to.equal('Bar');
    expect(await res.text()).to.equal('{"foo": "bar"}');
    expect(upstream.requests.length).to.equal(before);
  });

  it('return_overrides >= 400 uses the error template; override_error answers raw', async () => {
    const res = await fetch(`${gw.url}/ovr-err/x`);
    expect(res.status).to.equal(400);
    expect(await res.text()).to.equal('{\n    "error": "foobar"\n}');
    const raw = await fetch(`${gw.url}/ovr-err-raw/x`);
    expect(raw.status).to.equal(400);
    expect(await raw.text()).to.equal('foobar');
  });

  it('a throwing hook gives 500 "Middleware error" and the next request still reaches the hook', async () => {
    const res = await fetch(`${gw.url}/boom/x`);
    expect(res.status).to.equal(500);
    expect(await tykError(res)).to.equal('Middleware error');
    expect((await fetch(`${gw.url}/boom/x`)).status).to.equal(500);
    expect(gw.logs.join('')).to.include('plugin exploded');
  });

  it('a spinning hook times out with 500 while other APIs keep answering fast', async () => {
    const spinning = fetch(`${gw.url}/spin/x`);
    await sleep(50);
    const t0 = Date.now();
    const other = await fetch(`${gw.url}/plain/x`);
    const otherMs = Date.now() - t0;
    expect(other.status).to.equal(200);
    expect(otherMs).to.be.below(250);
    const res = await spinning;
    expect(res.status).to.equal(500);
    expect(await tykError(res)).to.equal('Middleware error');
    expect((await fetch(`${gw.url}/spin/x`)).status).to.equal(500);
    expect((await fetch(`${gw.url}/hdr/x`)).status).to.equal(200);
  });

  it('a hook that exhausts its memory limit gives 500; the gateway and other APIs live on', async () => {
    const res = await fetch(`${gw.url}/hog/x`);
    expect(res.status).to.equal(500);
    expect((await fetch(`${gw.url}/hdr/x`)).status).to.equal(200);
    expect((await fetch(`${gw.url}/hog/x`)).status).to.equal(500);
  });

  it('response hooks replace the body, headers and status', async () => {
    const res = await fetch(`${gw.url}/resp/x`);
    expect(res.status).to.equal(201);
    expect(res.headers.get('x-response-hook')).to.equal('yes');
    expect(await res.text()).to.equal('response hook says hi (200)');
  });

  it('auth_check: a session plus token authenticates; post hooks see the session', async () => {
    const res = await fetch(`${gw.url}/auth/x`, { headers: { authorization: 'good-token' } });
    expect(res.status).to.equal(200);
    const seen = await echoed(res);
    expect(seen.headers['x-user']).to.equal('alice');
    expect(seen.headers['x-meta-token']).to.equal('good-token');
    // The plugin's token names a key of the API's org (test/tenant-keys.test.ts): found through it.
    const key = await gw.admin('/tyk/keys/good-token?api_id=auth');
    expect(key.status).to.equal(200);
    expect((await readJson<SessionState>(key)).meta_data!.user).to.equal('alice');
  });

  it('auth_check without a session or token answers 403 "Forbidden"', async () => {
    const res = await fetch(`${gw.url}/auth/x`, { headers: { authorization: 'bad' } });
    expect(res.status).to.equal(403);
    expect(await tykError(res)).to.equal('Forbidden');
  });

  it('auth_check that fails to run answers 403 "Key not authorised"', async () => {
    const res = await fetch(`${gw.url}/auth-throws/x`, { headers: { authorization: 'x' } });
    expect(res.status).to.equal(403);
    expect(await tykError(res)).to.equal('Key not authorised');
  });

  it('serves hundreds of parallel requests through one hooked API', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const one = () => new Promise<{ status?: number; pre: string }>((resolve, reject) => {
      http.get(`${gw.url}/hdr/p`, { agent }, (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode, pre: (JSON.parse(data) as Echoed).headers['x-pre'] as string }));
      }).on('error', reject);
    });
    const results = await Promise.all(Array.from({ length: 300 }, one));
    agent.destroy();
    expect(results.filter((r) => r.status === 200 && r.pre === 'one')).to.have.length(300);
  });
});
