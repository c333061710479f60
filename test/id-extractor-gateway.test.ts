import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { startGateway, makeWorkspace, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { startRecordingServer, type RecordingServer, echoed, readJson, tykError } from './helpers/http';
import { sleep } from './helpers/poll';

// The plugin succeeds only the first time it sees a credential (Tyk's own test case), counts its
// calls in a header-visible session field, and lets a query flag choose the deadline.
const PLUGIN = `
const seen = new Set();
let calls = 0;
function auth(request, session, metadata) {
  calls++;
  const id = request.headers['Authorization'] || request.params['token'] || request.body || 'none';
  if (seen.has(id) && !request.url.includes('again=1')) return { request };
  seen.add(id);
  const deadline = request.url.includes('deadline=0') ? 0 : request.url.includes('short=1') ? Math.floor(Date.now() / 1000) + 1 : Math.floor(Date.now() / 1000) + 3600;
  return {
    request,
    session: { rate: 1000, per: 1, quota_max: 10, quota_renewal_rate: 3600, id_extractor_deadline: deadline, metadata: { calls: String(calls) } },
    metadata: { token: 'tok-' + id },
  };
}
let onceUsed = false;
function authOnce(request) {
  if (onceUsed) return { request };
  onceUsed = true;
  return { request, session: { rate: 100, per: 1, quota_max: -1, id_extractor_deadline: Math.floor(Date.now() / 1000) + 3600, metadata: { calls: '1' } }, metadata: { token: 'once' } };
}
function post(request, session) {
  request.set_headers['X-Auth-Calls'] = session.metadata.calls;
  request.set_headers['X-Quota-Remaining'] = String(session.quota_remaining);
  request.set_headers['X-Body-Seen'] = request.body;
}
`;

function api(apiId: string, extractor: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    api_id: apiId, org_id: 'org1', use_keyless: false, custom_plugin_auth_enabled: true,
    proxy: { listen_path: `/${apiId}/`, target_url: 'http://127.0.0.1:1', strip_listen_path: true },
    custom_middleware: { driver: 'isolate', auth_check: { name: 'auth', path: 'idx.js' }, post: [{ name: 'post', path: 'idx.js' }], id_extractor: extractor },
    ...extra,
  };
}

describe('ID extractor and auth cache through a real gateway', function () {
  let upstream: RecordingServer;
  let gw: RunningGateway;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers });

  before(async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'idx.js', PLUGIN);
    const withTarget = (def: ReturnType<typeof api>) => ({ ...def, proxy: { ...def.proxy, target_url: upstream.url } });
    writeApi(dir, withTarget(api('hv', { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } })));
    const once = api('once', { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } });
    once.custom_middleware.auth_check.name = 'authOnce';
    writeApi(dir, withTarget(once));
    writeApi(dir, withTarget(api('form', { extract_from: 'form', extract_with: 'value', extractor_config: { param_name: 'token' } })));
    writeApi(dir, withTarget(api('rx', { extract_from: 'header', extract_with: 'regex', extractor_config: { header_name: 'Authorization', regex_expression: '[0-9]+', regex_match_index: 0 } })));
    writeApi(dir, withTarget(api('xh', { extract_from: 'header', extract_with: 'xpath', extractor_config: { header_name: 'Authorization', xpath_expression: '//object/key' } })));
    writeApi(dir, withTarget(api('xb', { extract_from: 'body', extract_with: 'xpath', extractor_config: { xpath_expression: '//object/key' } })));
    writeApi(dir, withTarget(api('off', { disabled: true, extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } })));
    writeApi(dir, withTarget(api('badrx', { extract_from: 'header', extract_with: 'regex', extractor_config: { header_name: 'Authorization', regex_expression: '([' } })));
    gw = await startGateway({ dir });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  it('header/value: the second request is served from cache though the plugin would refuse; another credential is 403', async () => {
    const first = await get('/hv/x', { authorization: 'cred-1' });
    expect(first.status).to.equal(200);
    const calls = (await echoed(first)).headers['x-auth-calls'];
    const second = await get('/hv/x', { authorization: 'cred-1' });
    expect(second.status).to.equal(200);
    expect((await echoed(second)).headers['x-auth-calls']).to.equal(calls);
    const other = await get('/hv/x', { authorization: 'cred-2' });
    expect(other.status).to.equal(200);
    const otherAgain = await get('/hv/x', { authorization: 'cred-2' });
    expect(otherAgain.status).to.equal(200);
  });

  it("Tyk's case: a plugin that succeeds only once still serves the same credential from cache; another is 403", async () => {
    expect((await get('/once/x', { authorization: 'first' })).status).to.equal(200);
    expect((await get('/once/x', { authorization: 'first' })).status).to.equal(200);
    const other = await get('/once/x', { authorization: 'second' });
    expect(other.status).to.equal(403);
    expect(await tykError(other)).to.equal('Forbidden');
  });

  it('a missing source gives 400 "Authorization field missing"', async () => {
    const res = await get('/hv/x');
    expect(res.status).to.equal(400);
    expect(await tykError(res)).to.equal('Authorization field missing');
  });

  it('form/value from a urlencoded POST body, which later hooks still read', async () => {
    const body = 'token=form-cred&other=1';
    const res = await fetch(`${gw.url}/form/x`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).to.equal(200);
    const seen = await echoed(res);
    expect(seen.headers['x-body-seen']).to.equal(body);
    expect(Buffer.from(seen.body, 'base64').toString()).to.equal(body);
    const cached = await fetch(`${gw.url}/form/x`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(cached.status).to.equal(200);
  });

  it('header/regex [0-9]+: prefix-12345 and prefix-123456 are different identities', async () => {
    expect((await get('/rx/x', { authorization: 'prefix-12345' })).status).to.equal(200);
    expect((await get('/rx/x', { authorization: 'prefix-12345' })).status).to.equal(200); // cached
    const other = await get('/rx/x', { authorization: 'prefix-123456' });
    expect(other.status).to.equal(200); // plugin called: a new identity, first time seen
  });

  it('xpath on a header and on the body', async () => {
    const xml = '<object><key>thevalue</key></object>';
    expect((await get('/xh/x', { authorization: xml })).status).to.equal(200);
    expect((await get('/xh/x', { authorization: xml })).status).to.equal(200);
    const bodyRes = await fetch(`${gw.url}/xb/x`, { method: 'POST', body: xml, headers: { 'content-type': 'application/xml' } });
    expect(bodyRes.status).to.equal(200);
    const bad = await fetch(`${gw.url}/xb/x`, { method: 'POST', body: '<object><key>', headers: { 'content-type': 'application/xml' } });
    expect(bad.status).to.equal(400);
  });

  it('disabled: true calls the plugin on every request', async () => {
    expect((await get('/off/x', { authorization: 'dis-1' })).status).to.equal(200);
    expect((await get('/off/x', { authorization: 'dis-1' })).status).to.equal(403);
  });

  it('after the deadline passes the plugin is called again, and quota carries over', async () => {
    const first = await get('/hv/x?short=1', { authorization: 'short-cred' });
    expect(first.status).to.equal(200);
    const q1 = Number((await echoed(first)).headers['x-quota-remaining']);
    await sleep(2100);
    const again = await get('/hv/x?short=1&again=1', { authorization: 'short-cred' });
    expect(again.status).to.equal(200);
    const seen = await echoed(again);
    expect(Number(seen.headers['x-auth-calls'])).to.be.greaterThan(0);
    expect(Number(seen.headers['x-quota-remaining'])).to.equal(q1 - 1);
  });

  it('an invalid regex keeps that API from loading and names the key', async () => {
    expect((await get('/badrx/x', { authorization: '1' })).status).to.equal(404);
    expect(gw.logs.join('')).to.include('regex_expression');
  });

  it('deleting the key through /tyk/keys evicts the cached identity at once', async () => {
    expect((await get('/hv/x', { authorization: 'evict-me' })).status).to.equal(200);
    const keys = await readJson<{ keys: string[] }>(await gw.admin('/tyk/keys'));
    const md5 = createHash('md5').update('evict-me').digest('hex');
    const key = keys.keys.find((k) => k.endsWith(md5));
    // Per API by default (test/id-extractor-scope.test.ts): <org><api_id>:<md5>.
    expect(key, 'cache key org1+hv:+md5').to.equal(`org1hv:${md5}`);
    expect((await gw.admin(`/tyk/keys/${key}`, { method: 'DELETE' })).status).to.equal(200);
    // Not cached any more: the plugin decides again, and it refuses a credential it has seen.
    expect((await get('/hv/x', { authorization: 'evict-me' })).status).to.equal(403);
  });
});
