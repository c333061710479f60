// Keys belong to an org (issue 13): a plugin of org "evil" can neither mint a key that org
// "acme"'s APIs accept nor replace an acme key, through auth_check, JS auth or
// TykGetKeyData/TykSetKeyData; every auth path refuses a session of another org.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { SessionState } from '../src/pipeline/session';
import { startGateway, makeWorkspace, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { echoed, readJson, startRecordingServer, tykError, tykReply, type RecordingServer } from './helpers/http';

// auth_check (driver isolate, no ID extractor): approves any request and names the key it wants
// in metadata.token, taken from a header; it even claims org "acme" in the session.
const MINTER = `
let calls = 0;
function mint(request) {
  calls++;
  request.set_headers['X-Minter-Calls'] = String(calls);
  const token = request.headers['X-Mint'];
  if (!token) return { request };
  return {
    request,
    session: { org_id: 'acme', rate: 1000, per: 1, quota_max: -1, access_rights: {}, metadata: { minted_by: 'evil' } },
    metadata: { token },
  };
}
let strictCalls = 0;
function strict(request) {
  strictCalls++;
  request.set_headers['X-Strict-Calls'] = String(strictCalls);
  return { request };
}
`;

// JS auth (driver otto) that stores its session under whatever AuthValue the client asks for.
const JS_MINTER = `
var jsMint = new TykJS.TykMiddleware.NewMiddleware({});
jsMint.NewProcessRequest(function (request, session, config) {
  var result = jsMint.ReturnAuthData(request, { rate: 1000, per: 1, quota_max: -1, access_rights: {}, meta_data: { minted_by: 'js-evil' } });
  result.AuthValue = request.Headers['X-Mint'][0];
  return result;
});
`;

// A JSVM pre hook that reads (and with ?set=1 first writes) the key named in ?key=, in the
// context of ?api= (default its own API), and shows what it saw to the upstream.
const KEY_PROBE = `
var keyProbe = new TykJS.TykMiddleware.NewMiddleware({});
keyProbe.NewProcessRequest(function (request, session, config) {
  var key = request.Params['key'][0];
  var api = request.Params['api'] ? request.Params['api'][0] : config.APIID;
  if (request.Params['set']) {
    TykSetKeyData(key, JSON.stringify({ rate: 1, per: 1, quota_max: -1, access_rights: {}, meta_data: { written_by: config.OrgID } }), '0');
  }
  var got = TykGetKeyData(key, api);
  request.SetHeaders['X-Got'] = got === undefined ? 'undefined' : got;
  return keyProbe.ReturnData(request, {});
});
`;

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
// What a plugin could change about a key (the limiter's counters move with traffic).
const settings = (s: SessionState) => ({ org_id: s.org_id, rate: s.rate, per: s.per, quota_max: s.quota_max, access_rights: s.access_rights, meta_data: s.meta_data, date_created: s.date_created });

function workspace(upstreamUrl: string) {
  const dir = makeWorkspace();
  writeMiddleware(dir, 'minter.js', MINTER);
  writeMiddleware(dir, 'js-minter.js', JS_MINTER);
  writeMiddleware(dir, 'key-probe.js', KEY_PROBE);
  const proxy = (id: string) => ({ listen_path: `/${id}/`, target_url: upstreamUrl, strip_listen_path: true });
  // acme: standard token auth, a JSVM key reader, and an auth_check API with an ID extractor.
  writeApi(dir, { api_id: 'acme', org_id: 'acme', use_keyless: false, use_standard_auth: true, proxy: proxy('acme') });
  writeApi(dir, { api_id: 'acme-js', org_id: 'acme', use_keyless: true, proxy: proxy('acme-js'), custom_middleware: { driver: 'otto', pre: [{ name: 'keyProbe', path: 'key-probe.js' }] } });
  writeApi(dir, {
    api_id: 'acme-ex', org_id: 'acme', use_keyless: false, custom_plugin_auth_enabled: true, proxy: proxy('acme-ex'),
    custom_middleware: { driver: 'isolate', auth_check: { name: 'strict', path: 'minter.js' }, id_extractor: { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } } },
  });
  // evil: the same three kinds of plugin, written by a hostile tenant.
  writeApi(dir, { api_id: 'evil', org_id: 'evil', use_keyless: false, custom_plugin_auth_enabled: true, proxy: proxy('evil'), custom_middleware: { driver: 'isolate', auth_check: { name: 'mint', path: 'minter.js' } } });
  writeApi(dir, { api_id: 'evil-js-auth', org_id: 'evil', use_keyless: false, enable_coprocess_auth: true, proxy: proxy('evil-js-auth'), custom_middleware: { driver: 'otto', auth_check: { name: 'jsMint', path: 'js-minter.js' } } });
  writeApi(dir, { api_id: 'evil-js', org_id: 'evil', use_keyless: true, proxy: proxy('evil-js'), custom_middleware: { driver: 'otto', pre: [{ name: 'keyProbe', path: 'key-probe.js' }] } });
  return dir;
}

const VICTIM_BODY = { org_id: 'acme', rate: 50, per: 1, quota_max: 5, quota_renewal_rate: 3600, access_rights: { acme: { api_id: 'acme', api_name: 'acme', versions: ['Default'] } }, meta_data: { owner: 'acme' } };

describe('keys belong to an org (real gateway, real isolates)', function () {
  this.timeout(60_000);
  let upstream: RecordingServer;
  let gw: RunningGateway;
  let victim: SessionState;

  const get = (p: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${p}`, { headers });
  const readKey = async (key: string, apiId: string) => {
    const res = await gw.admin(`/tyk/keys/${encodeURIComponent(key)}?api_id=${apiId}`);
    return { status: res.status, body: await readJson<SessionState>(res) };
  };

  before(async () => {
    upstream = await startRecordingServer();
    gw = await startGateway({ dir: workspace(upstream.url) });
    const created = await gw.admin('/tyk/keys/VICTIM', { method: 'POST', body: JSON.stringify(VICTIM_BODY) });
    expect(created.status).to.equal(200);
    expect((await tykReply(created)).key).to.equal('acmeVICTIM');
    victim = (await readKey('VICTIM', 'acme')).body;
    expect((await get('/acme/x', { authorization: 'VICTIM' })).status).to.equal(200);
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  it('auth_check of org evil returning token "acmeMINTED" mints nothing org acme accepts', async () => {
    const minted = await get('/evil/x', { 'x-mint': 'acmeMINTED' });
    expect(minted.status).to.equal(200); // evil may authenticate its own traffic
    for (const presented of ['MINTED', 'acmeMINTED']) {
      const res = await get('/acme/x', { authorization: presented });
      expect(res.status, presented).to.equal(403);
      expect(await tykError(res)).to.equal('Access to this API has been disallowed');
    }
    // Nothing under acme's names: the session went into evil's name space, stamped with org evil.
    expect((await readKey('MINTED', 'acme')).status).to.equal(404);
    const own = await readKey('acmeMINTED', 'evil');
    expect(own.status).to.equal(200);
    expect(own.body.org_id).to.equal('evil');
    expect(own.body.meta_data!.minted_by).to.equal('evil');
  });

  it('auth_check of org evil cannot overwrite acme\'s key; the victim reads back unchanged and still works', async () => {
    // acme's key is invisible to evil's plugin: "acmeVICTIM" names a new key of evil's instead.
    const res = await get('/evil/x', { 'x-mint': 'acmeVICTIM' });
    expect(res.status).to.equal(200);
    const after = await readKey('VICTIM', 'acme');
    expect(after.status).to.equal(200);
    expect(settings(after.body)).to.deep.equal(settings(victim));
    expect((await get('/acme/x', { authorization: 'VICTIM' })).status).to.equal(200);
    const own = await readKey('acmeVICTIM', 'evil');
    expect(own.body).to.deep.include({ org_id: 'evil', quota_max: -1 });
    expect(own.body.meta_data!.minted_by).to.equal('evil');
  });

  it('a JS auth hook of org evil cannot store its session under acme\'s key (AuthValue)', async () => {
    expect((await get('/evil-js-auth/x', { 'x-mint': 'acmeVICTIM' })).status).to.equal(200);
    const after = await readKey('VICTIM', 'acme');
    expect(settings(after.body)).to.deep.equal(settings(victim));
    expect((await get('/acme/x', { authorization: 'VICTIM' })).status).to.equal(200);
    // Its AuthValues land in evil's name space, stamped with org evil, and acme refuses them.
    expect((await get('/evil-js-auth/x', { 'x-mint': 'evil-user' })).status).to.equal(200);
    expect((await readKey('evil-user', 'evil-js-auth')).body.org_id).to.equal('evil');
    expect((await get('/acme/x', { authorization: 'evil-user' })).status).to.equal(403);
  });

  it('a plugin whose every name for a token is held by another org gets 403, and changes nothing', async () => {
    // Legacy names are <org><key>: org "ev" holds "evil"+"X" and the bare "X", both names evil could mean by "X".
    const taken = { rate: 3, per: 1, quota_max: -1, access_rights: {} };
    for (const [key, body] of [['ilTAKEN', { ...taken, org_id: 'ev' }], ['TAKEN', taken]]) {
      const res = await gw.admin(`/tyk/keys/${key}`, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status).to.equal(200);
    }
    const res = await get('/evil/x', { 'x-mint': 'TAKEN' });
    expect(res.status).to.equal(403);
    expect(await tykError(res)).to.equal('Access to this API has been disallowed');
    expect(await readJson<SessionState>(await gw.admin('/tyk/keys/evilTAKEN'))).to.deep.include({ org_id: 'ev', rate: 3 });
    expect((await readJson<SessionState>(await gw.admin('/tyk/keys/TAKEN'))).rate).to.equal(3);
  });

  it('TykGetKeyData in org evil does not see acme\'s key, by bare or full name, in any API\'s context', async () => {
    for (const query of ['key=VICTIM&api=acme', 'key=acmeVICTIM&api=acme', 'key=acmeVICTIM', 'key=VICTIM&api=acme-js']) {
      const seen = await echoed(await get(`/evil-js/x?${query}`));
      const got = JSON.parse(seen.headers['x-got'] as string);
      // Not found, or evil's own key of that name (the tests above made "evilacmeVICTIM").
      if (got.status === 'error') expect(got, query).to.deep.equal({ status: 'error', message: 'Key not found' });
      else expect(got.org_id, query).to.equal('evil');
    }
    // acme's own JSVM plugin does see it.
    const own = await echoed(await get('/acme-js/x?key=VICTIM'));
    expect(JSON.parse(own.headers['x-got'] as string)).to.deep.include({ org_id: 'acme', quota_max: 5 });
  });

  it('TykSetKeyData in org evil cannot replace acme\'s key, and what it creates is evil\'s', async () => {
    for (const key of ['acmeVICTIM', 'VICTIM']) {
      const res = await get(`/evil-js/x?set=1&key=${key}&api=acme`);
      expect(res.status).to.equal(200);
    }
    const after = await readKey('VICTIM', 'acme');
    expect(settings(after.body)).to.deep.equal(settings(victim));
    expect((await get('/acme/x', { authorization: 'VICTIM' })).status).to.equal(200);
    // The write of the bare name made an evil key that acme's APIs refuse.
    const own = await readKey('VICTIM', 'evil-js');
    expect(own.body).to.deep.include({ org_id: 'evil', rate: 1 });
    expect(own.body.meta_data).to.deep.equal({ written_by: 'evil' });
  });

  it('token auth refuses a key of another org with 403; a key without org_id keeps Tyk\'s behaviour', async () => {
    const other = await tykReply(await gw.admin('/tyk/keys/create', { method: 'POST', body: JSON.stringify({ org_id: 'other', rate: 10, per: 1, quota_max: -1, access_rights: {} }) }));
    const res = await get('/acme/x', { authorization: other.key! });
    expect(res.status).to.equal(403);
    expect(await tykError(res)).to.equal('Access to this API has been disallowed');
    const orgless = await tykReply(await gw.admin('/tyk/keys/create', { method: 'POST', body: JSON.stringify({ rate: 10, per: 1, quota_max: -1, access_rights: {} }) }));
    expect((await get('/acme/x', { authorization: orgless.key! })).status).to.equal(200);
  });

  it('an ID-extractor cache hit on a session of another org is refused, without calling the plugin', async () => {
    // Legacy key names are <org><id>: org "ac" + key "me" + id is the same name as org "acme" + id.
    const identity = 'cached-identity';
    const name = `acme-ex:${md5(identity)}`;
    const created = await gw.admin(`/tyk/keys/${encodeURIComponent(`me${name}`)}`, {
      method: 'POST',
      body: JSON.stringify({ org_id: 'ac', rate: 10, per: 1, quota_max: -1, access_rights: {}, id_extractor_deadline: Math.floor(Date.now() / 1000) + 3600 }),
    });
    expect((await tykReply(created)).key).to.equal(`acme${name}`);
    const res = await get('/acme-ex/x', { authorization: identity });
    expect(res.status).to.equal(403);
    expect(await tykError(res)).to.equal('Access to this API has been disallowed');
  });
});

describe('jsvm_key_access: "global" gives back Tyk\'s key access (unsafe, opt-in)', function () {
  this.timeout(60_000);
  let upstream: RecordingServer;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startRecordingServer();
    gw = await startGateway({ dir: workspace(upstream.url), config: { jsvm_key_access: 'global' } });
    expect((await gw.admin('/tyk/keys/VICTIM', { method: 'POST', body: JSON.stringify(VICTIM_BODY) })).status).to.equal(200);
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  it('a JSVM plugin of org evil reads acme\'s key through acme\'s API id, as in Tyk', async () => {
    const seen = await echoed(await fetch(`${gw.url}/evil-js/x?key=VICTIM&api=acme`));
    expect(JSON.parse(seen.headers['x-got'] as string)).to.deep.include({ org_id: 'acme', quota_max: 5 });
  });

  it('TykSetKeyData writes exactly the name given, without an org, as Tyk does', async () => {
    expect((await fetch(`${gw.url}/evil-js/x?set=1&key=acmeGLOBAL`)).status).to.equal(200);
    const stored = await readJson<SessionState>(await gw.admin('/tyk/keys/acmeGLOBAL'));
    expect(stored.meta_data).to.deep.equal({ written_by: 'evil' });
    expect(stored.org_id).to.equal(undefined);
  });

  it('auth paths still refuse a session of another org', async () => {
    const other = await tykReply(await gw.admin('/tyk/keys/create', { method: 'POST', body: JSON.stringify({ org_id: 'evil', access_rights: {} }) }));
    const res = await fetch(`${gw.url}/acme/x`, { headers: { authorization: other.key! } });
    expect(res.status).to.equal(403);
  });
});
