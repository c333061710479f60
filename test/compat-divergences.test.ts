// Divergences from Tyk found by running Tyk's own plugin tests against isogate (issue #20), each
// written from Tyk's documented behaviour (TYK-FACTS.md §2–§5): a real gateway, real isolates,
// real loopback upstreams; assertions are on what the upstream or the client actually received.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { hookedApi, keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { readJson, startRecordingServer, tykError, type RecordingServer } from './helpers/http';
import { rawExchange, responsesComplete, startRawUpstream, type RawUpstream } from './helpers/raw-http';

const JSVM = `
var malformed = new TykJS.TykMiddleware.NewMiddleware({});
malformed.NewProcessRequest(function (request) {
  request.SetHeaders['X-Reached'] = 'yes';
  return { Request: request, Session: 'malformed' };
});

var badAuthValue = new TykJS.TykMiddleware.NewMiddleware({});
badAuthValue.NewProcessRequest(function (request) {
  var out = badAuthValue.ReturnData(request, {});
  out.AuthValue = 42;
  return out;
});

var appendBody = new TykJS.TykMiddleware.NewMiddleware({});
appendBody.NewProcessRequest(function (request) {
  request.Body = request.Body + '-tail';
  return appendBody.ReturnData(request, {});
});

var undefHeader = new TykJS.TykMiddleware.NewMiddleware({});
undefHeader.NewProcessRequest(function (request) {
  request.SetHeaders['X-Undefined'] = undefined;
  request.SetHeaders['X-Null'] = null;
  request.SetHeaders['X-Kept'] = 'kept';
  return undefHeader.ReturnData(request, {});
});

var showConfig = new TykJS.TykMiddleware.NewMiddleware({});
showConfig.NewProcessRequest(function (request, session, config) {
  request.SetHeaders['X-Has-Config-Data'] = ('config_data' in config) ? 'yes' : 'no';
  request.SetHeaders['X-Config-Data'] = JSON.stringify(config.config_data === undefined ? null : config.config_data);
  return showConfig.ReturnData(request, {});
});

var mixedCase = new TykJS.TykMiddleware.NewMiddleware({});
mixedCase.NewProcessRequest(function (request) {
  request.SetHeaders['x-mIxEd-CASE'] = 'v';
  return mixedCase.ReturnData(request, {});
});

var editResponse = new TykJS.TykMiddleware.NewMiddleware({});
editResponse.NewProcessResponse(function (response) {
  response.SetHeaders['X-Edited'] = 'by-jsvm';
  return editResponse.ReturnResponseData(response, {});
});
`;

const ISOLATE = `
function showSpec(request, session, metadata, spec) {
  request.set_headers['X-Spec-Config'] = spec.config_data === undefined ? 'absent' : spec.config_data;
}
function editHeaders(request, response) {
  response.headers['X-Edited'] = 'by-isolate';
  return response;
}
function auth(request) {
  return {
    request,
    session: { rate: 100, per: 1, quota_max: -1, id_extractor_deadline: Math.floor(Date.now() / 1000) + 3600 },
    metadata: { token: request.headers['Authorization'] },
  };
}
`;

/** A GET through the raw socket; the whole answer as latin1 text. */
async function rawGet(port: number, path: string): Promise<string> {
  const { data } = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { until: responsesComplete(1) });
  return data.toString('latin1');
}

function headerLines(raw: string, name: string): string[] {
  const head = raw.split('\r\n\r\n')[0]!;
  return head.split('\r\n').filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`)).map((line) => line.slice(name.length + 1).trim());
}

describe('Tyk divergences fixed (#20 part C)', function () {
  this.timeout(60_000);
  let gw: RunningGateway;
  let upstream: RecordingServer;
  let raw: RawUpstream;

  before(async () => {
    upstream = await startRecordingServer();
    raw = await startRawUpstream(() => ({ raw: 'HTTP/1.1 200 OK\r\nX-Multi: a\r\nX-Multi: b\r\nX-Single: s\r\nSet-Cookie: c1=1\r\nSet-Cookie: c2=2\r\nContent-Length: 2\r\n\r\nok' }));
    const dir = makeWorkspace();
    writeMiddleware(dir, 'div.js', JSVM);
    writeMiddleware(dir, 'iso.js', ISOLATE);
    const jsvm = (id: string, name: string, extra: Record<string, unknown> = {}) => hookedApi(id, upstream.url, { driver: 'otto', pre: [{ name, path: 'div.js' }] }, extra);
    writeApi(dir, jsvm('malformed', 'malformed'));
    writeApi(dir, jsvm('bad-auth-value', 'badAuthValue'));
    writeApi(dir, jsvm('append', 'appendBody'));
    writeApi(dir, jsvm('undef', 'undefHeader'));
    writeApi(dir, jsvm('cfg-off', 'showConfig', { config_data: { secret: 'do-not-leak' }, config_data_disabled: true }));
    writeApi(dir, jsvm('cfg-on', 'showConfig', { config_data: { greeting: 'hi' } }));
    writeApi(dir, hookedApi('iso-cfg-off', upstream.url, { driver: 'isolate', pre: [{ name: 'showSpec', path: 'iso.js' }] }, { config_data: { secret: 'do-not-leak' }, config_data_disabled: true }));
    writeApi(dir, hookedApi('iso-cfg-on', upstream.url, { driver: 'isolate', pre: [{ name: 'showSpec', path: 'iso.js' }] }, { config_data: { a: 1 } }));
    writeApi(dir, keylessApi('multi-jsvm', '/multi-jsvm/', raw.url, { custom_middleware: { driver: 'otto', response: [{ name: 'editResponse', path: 'div.js' }] } }));
    writeApi(dir, keylessApi('multi-iso', '/multi-iso/', raw.url, { custom_middleware: { driver: 'isolate', response: [{ name: 'editHeaders', path: 'iso.js' }] } }));
    const extractor = { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'X-Id' } };
    // enable_coprocess_auth with an ID extractor but no auth_check entry at all.
    writeApi(dir, { ...keylessApi('no-auth-name', '/no-auth-name/', upstream.url), use_keyless: false, enable_coprocess_auth: true, custom_middleware: { driver: 'isolate', pre: [{ name: 'showSpec', path: 'iso.js' }], id_extractor: extractor } });
    writeApi(dir, { ...keylessApi('hashed-ids', '/hashed-ids/', upstream.url), org_id: 'org-h', use_keyless: false, enable_coprocess_auth: true, custom_middleware: { driver: 'isolate', auth_check: { name: 'auth', path: 'iso.js' }, id_extractor: { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } } } });
    gw = await startGateway({ dir, config: { hash_keys: false, hash_key_function: 'murmur64', auth_cache: { id_extractor_scope: 'org' } } });
  });

  after(async () => {
    await gw?.stop();
    await upstream?.close();
    await raw?.close();
  });

  it('a JSVM hook whose return value does not decode (Session: "malformed") stops the request with 500', async () => {
    const before = upstream.requests.length;
    const res = await fetch(`${gw.url}/malformed/x`);
    expect(res.status).to.equal(500);
    expect(await tykError(res)).to.equal('Internal Server Error');
    const bad = await fetch(`${gw.url}/bad-auth-value/x`);
    expect(bad.status).to.equal(500);
    await bad.arrayBuffer();
    expect(upstream.requests.length, 'nothing was proxied').to.equal(before);
    await gw.waitForLog('Session that does not decode');
  });

  it('a JSVM hook appending to a body with non-UTF-8 bytes keeps the bytes exactly', async () => {
    const body = Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x28, 0xe2, 0x82, 0xac, 0xf0, 0x9f]);
    const res = await fetch(`${gw.url}/append/bin`, { method: 'POST', body });
    expect(res.status).to.equal(200);
    await res.arrayBuffer();
    const seen = await upstream.waitFor((r) => r.url === '/bin');
    expect(seen.body.equals(Buffer.concat([body, Buffer.from('-tail')])), seen.body.toString('hex')).to.equal(true);
    expect(seen.headers['content-length']).to.equal(String(body.length + 5));
  });

  it('repeated upstream response headers stay separate values through response hooks that edit another header', async () => {
    for (const api of ['multi-jsvm', 'multi-iso']) {
      const answer = await rawGet(gw.port, `/${api}/r`);
      expect(answer.startsWith('HTTP/1.1 200'), answer).to.equal(true);
      expect(headerLines(answer, 'X-Multi'), `${api}: ${answer}`).to.deep.equal(['a', 'b']);
      expect(headerLines(answer, 'X-Single'), api).to.deep.equal(['s']);
      expect(headerLines(answer, 'Set-Cookie'), api).to.deep.equal(['c1=1', 'c2=2']);
      expect(headerLines(answer, 'X-Edited'), api).to.deep.equal([api === 'multi-jsvm' ? 'by-jsvm' : 'by-isolate']);
    }
  });

  it('enable_coprocess_auth without an auth_check name: the ID extractor answers 400 Authorization field missing', async () => {
    const before = upstream.requests.length;
    const res = await fetch(`${gw.url}/no-auth-name/x`);
    expect(res.status).to.equal(400);
    expect(await tykError(res)).to.equal('Authorization field missing');
    // With the identity present, the plugin named "" is called: no such hook, a failed auth_check.
    const named = await fetch(`${gw.url}/no-auth-name/x`, { headers: { 'X-Id': 'someone' } });
    expect(named.status).to.equal(403);
    expect(await tykError(named)).to.equal('Key not authorised');
    expect(upstream.requests.length, 'nothing was proxied').to.equal(before);
  });

  it('hash_key_function applies with hash_keys false: ID-extractor sessions are stored under Tyk generated ids', async () => {
    const res = await fetch(`${gw.url}/hashed-ids/x`, { headers: { Authorization: 'user-7' } });
    expect(res.status).to.equal(200);
    await res.arrayBuffer();
    const md5 = createHash('md5').update('user-7').digest('hex');
    const id = Buffer.from(JSON.stringify({ org: 'org-h', id: md5, h: 'murmur64' })).toString('base64');
    const stored = await gw.admin(`/tyk/keys/${encodeURIComponent(id)}?api_id=hashed-ids`);
    expect(stored.status, await stored.clone().text()).to.equal(200);
    const session = await readJson<{ org_id: string; rate: number }>(stored);
    expect(session.org_id).to.equal('org-h');
    expect(session.rate).to.equal(100);
    // Not under the legacy `<org><md5>` name.
    expect((await gw.admin(`/tyk/keys/org-h${md5}?api_id=hashed-ids`)).status).to.equal(404);
  });

  it('SetHeaders[x] = undefined sends no header at all (null is an empty value, as Go decodes it)', async () => {
    const res = await fetch(`${gw.url}/undef/h`);
    expect(res.status).to.equal(200);
    await res.arrayBuffer();
    const seen = await upstream.waitFor((r) => r.url === '/h' && r.headers['x-kept'] === 'kept');
    expect(seen.headers).to.not.have.property('x-undefined');
  });

  it('config_data does not reach plugins when config_data_disabled is true (JSVM config, isolate spec map)', async () => {
    await (await fetch(`${gw.url}/cfg-off/c1`)).arrayBuffer();
    await (await fetch(`${gw.url}/cfg-on/c2`)).arrayBuffer();
    await (await fetch(`${gw.url}/iso-cfg-off/c3`)).arrayBuffer();
    await (await fetch(`${gw.url}/iso-cfg-on/c4`)).arrayBuffer();
    const off = await upstream.waitFor((r) => r.url === '/c1');
    expect(off.headers['x-has-config-data']).to.equal('no');
    expect(JSON.stringify(off.headers)).to.not.contain('do-not-leak');
    const on = await upstream.waitFor((r) => r.url === '/c2');
    expect(on.headers['x-has-config-data']).to.equal('yes');
    expect(on.headers['x-config-data']).to.equal('{"greeting":"hi"}');
    expect((await upstream.waitFor((r) => r.url === '/c3')).headers['x-spec-config']).to.equal('absent');
    expect((await upstream.waitFor((r) => r.url === '/c4')).headers['x-spec-config']).to.equal('{"a":1}');
  });

  it('ignore_canonical_mime_header_key: on, the name a plugin sets reaches the upstream wire as spelled; off, it does not', async () => {
    const wires: Record<string, string> = {};
    for (const keepCase of [true, false]) {
      const rawUp = await startRawUpstream();
      const dir = makeWorkspace();
      writeMiddleware(dir, 'div.js', JSVM);
      writeApi(dir, hookedApi('case', rawUp.url, { driver: 'otto', pre: [{ name: 'mixedCase', path: 'div.js' }] }));
      const one = await startGateway({ dir, config: { ignore_canonical_mime_header_key: keepCase } });
      try {
        const res = await fetch(`${one.url}/case/k`);
        expect(res.status).to.equal(200);
        await res.arrayBuffer();
      } finally {
        await rawUp.close();
        await one.stop();
      }
      wires[String(keepCase)] = rawUp.connections.map((c) => c.raw.toString('latin1')).join('\n');
    }
    expect(wires.true).to.contain('\r\nx-mIxEd-CASE: v\r\n');
    expect(wires.false).to.not.contain('x-mIxEd-CASE');
    expect(wires.false.toLowerCase()).to.contain('\r\nx-mixed-case: v\r\n');
  });
});
