// Tyk JSVM plugins (drivers otto / javascript) through a real gateway, real isolates and real
// loopback servers. The plugins are the examples in middleware/jsvm/, written in Tyk's style.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { SessionState } from '../src/pipeline/session';
import { hookedApi, startGateway, makeWorkspace, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { echoed, readJson, startRecordingServer, tykError, tykReply, type RecordingServer } from './helpers/http';
import { fromRoot } from './helpers/paths';

const EXAMPLES = fromRoot('middleware', 'jsvm');

// Test-only plugins, also in Tyk's style.
const EXTRAS = `
var extras = new TykJS.TykMiddleware.NewMiddleware({});
extras.NewProcessRequest(function (request, session, config) {
  request.Method = 'DELETE';
  request.URL = request.URL.replace('/old/', '/new/');
  request.ExtendedParams['tag'] = ['a', 'b'];
  request.AddParams['single'] = 'x y';
  request.SetHeaders['X-Params'] = JSON.stringify(request.Params);
  request.SetHeaders['X-Session'] = JSON.stringify(session);
  request.SetHeaders['X-Config-Keys'] = Object.keys(config).join(',');
  request.SetHeaders['X-Scheme'] = request.Scheme;
  request.SetHeaders['X-Request-Uri'] = request.RequestURI;
  return extras.ReturnData(request, {});
});

var overrideRaw = new TykJS.TykMiddleware.NewMiddleware({});
overrideRaw.NewProcessRequest(function (request) {
  request.ReturnOverrides.ResponseCode = 200;
  request.ReturnOverrides.ResponseBody = 'answered by the plugin';
  request.ReturnOverrides.ResponseHeaders = { 'X-Foo': 'Bar' };
  return overrideRaw.ReturnData(request, {});
});

var binaryEcho = new TykJS.TykMiddleware.NewMiddleware({});
binaryEcho.NewProcessRequest(function (request) {
  var same = request.Body;
  request.Body = same;
  request.SetHeaders['X-Body-Chars'] = String(request.Body.length);
  return binaryEcho.ReturnData(request, {});
});

var throws = new TykJS.TykMiddleware.NewMiddleware({});
throws.NewProcessRequest(function () { throw new Error('plugin exploded'); });

var noHandler = new TykJS.TykMiddleware.NewMiddleware({});

var noReturn = new TykJS.TykMiddleware.NewMiddleware({});
noReturn.NewProcessRequest(function (request) { request.SetHeaders['X-Lost'] = 'yes'; });

var spin = new TykJS.TykMiddleware.NewMiddleware({});
spin.NewProcessRequest(function (request) { while (true) {} });

var respHook = new TykJS.TykMiddleware.NewMiddleware({});
respHook.NewProcessResponse(function (response, request, session, config) {
  response.SetHeaders['X-Response-Js'] = 'yes';
  response.DeleteHeaders.push('X-Upstream');
  response.Body = 'upstream said ' + response.StatusCode + ' (' + response.Headers['Content-Type'][0] + ') for ' + request.URL;
  response.StatusCode = 202;
  return respHook.ReturnResponseData(response, {});
});
`;

/** The lookup service the example plugin calls: a redirect on /moved, else JSON naming the user. */
function startLookupServer() {
  return startRecordingServer((seen, res) => {
    if (seen.url.startsWith('/moved')) {
      res.writeHead(302, { location: '/users/lookup?id=9' });
      res.end();
      return;
    }
    const id = new URL(seen.url, 'http://x').searchParams.get('id');
    res.writeHead(200, { 'content-type': 'application/json', 'x-multi': ['1', '2'] });
    res.end(JSON.stringify({ user: `user-${id}` }));
  });
}

describe('Tyk JSVM plugins through a real gateway', function () {
  let upstream: RecordingServer;
  let lookup: RecordingServer;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startRecordingServer();
    lookup = await startLookupServer();
    const dir = makeWorkspace();
    for (const file of fs.readdirSync(EXAMPLES)) writeMiddleware(dir, `jsvm/${file}`, fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
    writeMiddleware(dir, 'jsvm/extras.js', EXTRAS);
    // The event handler lives in the auth API's own folder, so that API's isolate loads it.
    writeMiddleware(dir, 'jsvm-auth/event-handler.js', fs.readFileSync(path.join(EXAMPLES, 'event-handler.js'), 'utf8'));

    const api = (apiId: string, cm: Record<string, unknown>, extra: Record<string, unknown> = {}) => hookedApi(apiId, upstream.url, { driver: 'otto', ...cm }, extra);
    const pre = (name: string, file: string) => ({ pre: [{ name, path: `jsvm/${file}` }] });
    const lookupAt = (host: string) => ({ config_data: { lookup_service: `http://${host}:${lookup.port}` } });

    writeApi(dir, api('jsvm-pre', pre('samplePre', 'sample-pre.js'), { config_data: { greeting: 'hello from config_data' } }));
    writeApi(dir, api('jsvm-auth', { auth_check: { name: 'ottoAuthExample', path: 'jsvm/auth.js' } }, {
      use_keyless: false,
      enable_coprocess_auth: true,
      event_handlers: { events: { AuthFailure: [{ handler_name: 'cp_dynamic_handler', handler_meta: { name: 'authFailureHandler' } }] } },
    }));
    writeApi(dir, api('jsvm-keyed', {
      auth_check: { name: 'keyedAuth', path: 'jsvm/auth-keyed.js' },
      post: [{ name: 'visitCounter', path: 'jsvm/visit-counter.js', require_session: true }],
    }, { use_keyless: false, custom_plugin_auth_enabled: true }));
    writeApi(dir, api('jsvm-session', {
      post_key_auth: [{ name: 'noSession', path: 'jsvm/no-session.js' }],
      post: [{ name: 'visitCounter', path: 'jsvm/visit-counter.js', require_session: true }],
    }, { use_keyless: false, use_standard_auth: true }));
    writeApi(dir, api('jsvm-b64', pre('b64Helpers', 'b64.js')));
    writeApi(dir, api('jsvm-lookup', pre('lookupUser', 'lookup.js'), lookupAt('127.0.0.1')));
    writeApi(dir, api('jsvm-refused', pre('lookupUser', 'lookup.js'), lookupAt('localhost')));
    writeApi(dir, api('jsvm-keys', pre('keyMaker', 'key-data.js')));
    writeApi(dir, api('jsvm-extras', pre('extras', 'extras.js'), { config_data: { a: 1 } }));
    writeApi(dir, api('jsvm-override', pre('overrideRaw', 'extras.js')));
    writeApi(dir, api('jsvm-binary', pre('binaryEcho', 'extras.js')));
    writeApi(dir, api('jsvm-throws', pre('throws', 'extras.js')));
    writeApi(dir, api('jsvm-nohandler', pre('noHandler', 'extras.js')));
    writeApi(dir, api('jsvm-noreturn', pre('noReturn', 'extras.js')));
    writeApi(dir, api('jsvm-spin', pre('spin', 'extras.js')));
    writeApi(dir, api('jsvm-auth-throws', { auth_check: { name: 'throws', path: 'jsvm/extras.js' } }, { use_keyless: false, enable_coprocess_auth: true }));
    writeApi(dir, api('jsvm-response', { driver: 'javascript', response: [{ name: 'respHook', path: 'jsvm/extras.js' }] }));
    gw = await startGateway({ dir, config: { jsvm_timeout: 1, jsvm_http_allow: [`http://127.0.0.1:${lookup.port}`] } });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
    if (lookup) await lookup.close();
  });

  const seenBy = async (res: Response) => {
    expect(res.status, await res.clone().text()).to.equal(200);
    return echoed(res);
  };

  it('a pre plugin sets and deletes headers, adds and deletes params, replaces the body and reads config_data', async () => {
    const res = await fetch(`${gw.url}/jsvm-pre/items?page=1&debug=true&keep=x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-secret': 's3cret' },
      body: JSON.stringify({ a: 1 }),
    });
    const seen = await seenBy(res);
    expect(seen.method).to.equal('POST');
    expect(seen.headers['x-greeting']).to.equal('hello from config_data');
    expect(seen.headers['x-api-id']).to.equal('jsvm-pre');
    expect(seen.headers['x-seen-host']).to.equal('yes');
    expect(seen.headers['x-old-page']).to.equal('1');
    expect(seen.headers).to.not.have.property('x-internal-secret');
    expect(seen.url).to.equal('/items?keep=x&page=2');
    const body = Buffer.from(seen.body, 'base64').toString();
    expect(JSON.parse(body)).to.deep.equal({ wrapped: { a: 1 }, by: 'samplePre' });
    expect(seen.headers['content-length']).to.equal(String(Buffer.byteLength(body)));
    await gw.waitForLog('samplePre initialised');
  });

  it('ignores method changes, applies URL and ExtendedParams, and passes Params, Scheme, RequestURI and an empty session', async () => {
    const seen = await seenBy(await fetch(`${gw.url}/jsvm-extras/old/path?tag=z&multi=1&multi=2`));
    expect(seen.method).to.equal('GET');
    expect(seen.url).to.equal('/new/path?multi=1&multi=2&single=x+y&tag=z&tag=a&tag=b');
    expect(JSON.parse(seen.headers['x-params'] as string)).to.deep.equal({ tag: ['z'], multi: ['1', '2'] });
    expect(seen.headers['x-session']).to.equal('{}');
    expect(seen.headers['x-config-keys']).to.equal('OrgID,APIID,config_data');
    expect(seen.headers['x-scheme']).to.equal('http');
    expect(seen.headers['x-request-uri']).to.equal('/jsvm-extras/old/path?tag=z&multi=1&multi=2');
  });

  it('ReturnOverrides with a non-error code answers raw without calling the upstream', async () => {
    const before = upstream.requests.length;
    const res = await fetch(`${gw.url}/jsvm-override/x`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-foo')).to.equal('Bar');
    expect(await res.text()).to.equal('answered by the plugin');
    expect(upstream.requests.length).to.equal(before);
  });

  it('a binary body read and handed back unchanged reaches the upstream byte for byte', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x01]);
    const seen = await seenBy(await fetch(`${gw.url}/jsvm-binary/bin`, { method: 'POST', body: bytes }));
    expect(Buffer.from(seen.body, 'base64').equals(bytes)).to.equal(true);
  });

  describe("Tyk's JS auth example", () => {
    it('header missing → 401 "Header missing (JS middleware)"', async () => {
      const res = await fetch(`${gw.url}/jsvm-auth/x`);
      expect(res.status).to.equal(401);
      expect(await res.text()).to.equal('{\n    "error": "Header missing (JS middleware)"\n}');
    });

    it('wrong header → 401 "Not authorized (JS middleware)"', async () => {
      const res = await fetch(`${gw.url}/jsvm-auth/x`, { headers: { authorization: 'nope' } });
      expect(res.status).to.equal(401);
      expect(await tykError(res)).to.equal('Not authorized (JS middleware)');
    });

    it('right header → 200 through to the upstream', async () => {
      const seen = await seenBy(await fetch(`${gw.url}/jsvm-auth/hello`, { headers: { authorization: 'foobar' } }));
      expect(seen.url).to.equal('/hello');
      expect(seen.headers.authorization).to.equal('foobar');
    });

    it('the AuthFailure events reach the TykJS event handler wired with cp_dynamic_handler', async () => {
      await gw.waitForLog('JSVM event handler: AuthFailure on API jsvm-auth (org org1): Auth Failure at /jsvm-auth/x');
    });
  });

  it('a JS auth hook stores its session under AuthValue (JSON types kept); a require_session post hook sees it', async () => {
    const denied = await fetch(`${gw.url}/jsvm-keyed/x`, { headers: { 'x-api-token': 'robot' } });
    expect(denied.status).to.equal(403);
    expect(await tykError(denied)).to.equal('Unknown token');
    const seen = await seenBy(await fetch(`${gw.url}/jsvm-keyed/x`, { headers: { 'x-api-token': 'user-bob' } }));
    expect(seen.headers['x-user']).to.equal('bob');
    expect(seen.headers['x-visits']).to.equal('1');
    // The AuthValue names a key of the API's org (test/tenant-keys.test.ts): found through it.
    const stored = await readJson<SessionState>(await gw.admin('/tyk/keys/user-bob?api_id=jsvm-keyed'));
    expect(stored.rate).to.equal(1000);
    expect(stored.meta_data).to.deep.include({ user: 'bob', level: 3, tags: ['js'], visits: 1 });
  });

  it('a post plugin with require_session replaces meta_data and the key store keeps it; others get an empty session', async () => {
    const created = await gw.admin('/tyk/keys/create', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rate: 100, per: 1, quota_max: -1, access_rights: {}, meta_data: { user: 'alice', plan: { tier: 'gold' } } }),
    });
    expect(created.status).to.equal(200);
    const key = (await tykReply(created)).key!;
    for (const n of [1, 2]) {
      const seen = await seenBy(await fetch(`${gw.url}/jsvm-session/visit/${n}`, { headers: { authorization: key } }));
      expect(seen.headers['x-visits']).to.equal(String(n));
      expect(seen.headers['x-user']).to.equal('alice');
      expect(seen.headers['x-session-keys']).to.equal('0');
    }
    const stored = await readJson<SessionState>(await gw.admin(`/tyk/keys/${key}`));
    expect(stored.meta_data).to.deep.equal({ user: 'alice', plan: { tier: 'gold' }, visits: 2, last_url: '/jsvm-session/visit/2' });
  });

  it('b64enc/b64dec/rawb64enc/rawb64dec behave as Tyk\'s (padding, unpadded input, JWT segments, failures)', async () => {
    const text = 'héllo ✓ wörld';
    // Unpadded, standard alphabet: what b64dec must take from a JWT (no - or _ in this one).
    const segment = Buffer.from(JSON.stringify({ sub: 'jwt-user', n: 12 })).toString('base64').replace(/=+$/, '');
    expect(segment).to.match(/^[A-Za-z0-9+/]+$/);
    expect(segment.length % 4).to.not.equal(0);
    const seen = await seenBy(await fetch(`${gw.url}/jsvm-b64/x`, {
      method: 'POST',
      headers: { authorization: `Bearer eyJhbGciOiJub25lIn0.${segment}.` },
      body: text,
    }));
    const report = JSON.parse(Buffer.from(seen.body, 'base64').toString());
    expect(report).to.deep.equal({
      b64enc: Buffer.from(text).toString('base64'),
      rawb64enc: Buffer.from(text).toString('base64').replace(/=+$/, ''),
      b64dec: text,
      rawb64dec: text,
      b64decUnpadded: text,
      b64decInvalid: 'undefined',
      jwtClaims: { sub: 'jwt-user', n: 12 },
    });
  });

  it('TykMakeHttpRequest calls an allowed loopback server synchronously and returns Tyk\'s JSON', async () => {
    const before = lookup.requests.length;
    const seen = await seenBy(await fetch(`${gw.url}/jsvm-lookup/x?id=7`));
    expect(seen.headers['x-lookup-code']).to.equal('200');
    expect(seen.headers['x-lookup-same']).to.equal('true');
    expect(seen.headers['x-lookup-type']).to.equal('application/json');
    expect(seen.headers['x-lookup-user']).to.equal('user-7');
    const call = lookup.requests[before];
    expect(call.method).to.equal('POST');
    expect(call.url).to.equal('/users/lookup?id=7');
    expect(call.headers['x-from']).to.equal('jsvm');
    expect(JSON.parse(call.text)).to.deep.equal({ path: '/jsvm-lookup/x?id=7' });
  });

  it('TykMakeHttpRequest refuses a target outside jsvm_http_allow (the plugin gets undefined)', async () => {
    const before = lookup.requests.length;
    const res = await fetch(`${gw.url}/jsvm-refused/x?id=7`);
    expect(res.status).to.equal(502);
    expect(await tykError(res)).to.equal('lookup failed');
    expect(lookup.requests.length).to.equal(before);
    // (the log is JSON: quotes are escaped there)
    await gw.waitForLog(`Requires net access to \\"localhost:${lookup.port}\\": list it in custom_middleware.limits.allow_net of API \\"jsvm-refused\\" (or the gateway's jsvm_http_allow for every JSVM API)`);
  });

  it('TykSetKeyData creates a key in the gateway store and TykGetKeyData reads it back', async () => {
    const seen = await seenBy(await fetch(`${gw.url}/jsvm-keys/x?key=made-by-js`));
    expect(seen.headers['x-made-by']).to.equal('keyMaker');
    expect(seen.headers['x-quota-remaining']).to.equal('100');
    expect(seen.headers['x-missing']).to.equal('Key not found');
    const stored = await readJson<SessionState>(await gw.admin('/tyk/keys/made-by-js?api_id=jsvm-keys'));
    expect(stored.meta_data).to.deep.equal({ made_by: 'keyMaker', api: 'jsvm-keys' });
    expect(stored.quota_max).to.equal(100);
  });

  it('a response plugin (NewProcessResponse) changes status, headers and body', async () => {
    const res = await fetch(`${gw.url}/jsvm-response/r`);
    expect(res.status).to.equal(202);
    expect(res.headers.get('x-response-js')).to.equal('yes');
    expect(res.headers.get('x-upstream')).to.equal(null);
    expect(await res.text()).to.equal('upstream said 200 (application/json) for /jsvm-response/r');
  });

  for (const [apiId, why] of [['jsvm-throws', 'an exception'], ['jsvm-auth-throws', 'an exception in a JS auth hook'], ['jsvm-nohandler', 'no NewProcessRequest handler'], ['jsvm-noreturn', 'a handler that returns nothing']]) {
    it(`${why} → 500 "Internal Server Error"`, async () => {
      const res = await fetch(`${gw.url}/${apiId}/x`);
      expect(res.status).to.equal(500);
      expect(await res.text()).to.equal('{\n    "error": "Internal Server Error"\n}');
    });
  }

  it('an infinite loop is stopped at jsvm_timeout (1 s) with 500 "Internal Server Error"; the API recovers', async () => {
    const t0 = Date.now();
    const res = await fetch(`${gw.url}/jsvm-spin/x`);
    const ms = Date.now() - t0;
    expect(res.status).to.equal(500);
    expect(await tykError(res)).to.equal('Internal Server Error');
    expect(ms).to.be.within(900, 3000);
    expect((await fetch(`${gw.url}/jsvm-pre/again`)).status).to.equal(200);
    expect((await fetch(`${gw.url}/jsvm-spin/x`)).status).to.equal(500);
  });
});
