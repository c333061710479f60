// Header injection, URL rewrites, method transforms and tyk:// internal loops from Tyk API
// definitions (src/transform), through a real gateway process against real loopback upstreams:
// every test asserts what the upstream received and what the client got back.
import { expect } from 'chai';
import { keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type ApiDef, type RunningGateway } from './helpers/gateway';
import { echoed, readJson, startRecordingServer, tykError, tykReply, type RecordingServer } from './helpers/http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function version(settings: Record<string, unknown>, extendedPaths: Record<string, unknown> = {}): Record<string, unknown> {
  return { not_versioned: true, versions: { Default: { name: 'Default', ...settings, extended_paths: extendedPaths } } };
}

function keyedApi(apiId: string, target: string, extra: Record<string, unknown> = {}): ApiDef {
  return { api_id: apiId, org_id: 'org1', name: apiId, use_keyless: false, auth: { auth_header_name: 'Authorization' }, proxy: { listen_path: `/${apiId}/`, target_url: target, strip_listen_path: true }, ...extra };
}

const HOOKS = `
function seePre(request) { request.set_headers['X-Seen-By-Pre'] = request.headers['X-Global'] || 'absent'; }
function seePost(request) { request.set_headers['X-Seen-By-Post'] = request.headers['X-Global'] || 'absent'; }
function seeResponse(request, response) { response.headers['X-Hook-Saw'] = response.headers['X-Resp-Global'] || 'none'; return response; }
function jumpToB(request) { if (request.url.indexOf('jump') >= 0) request.url = 'tyk://loop-b/from-hook?via=post'; }
`;

const JSVM_JUMP = `
var jsvmJump = new TykJS.TykMiddleware.NewMiddleware({});
jsvmJump.NewProcessRequest(function (request, session, config) {
  if (request.URL.indexOf('jump') >= 0) request.URL = 'tyk://loop-b/from-jsvm';
  return jsvmJump.ReturnData(request, {});
});
`;

describe('Tyk header injection, URL rewrites and internal loops (real gateway, real upstream)', function () {
  let upstream: RecordingServer;
  let other: RecordingServer;
  let gw: RunningGateway;
  let failed: { file: string; api_id?: string; error: string }[] = [];

  async function createKey(apiId: string, meta: Record<string, unknown>): Promise<string> {
    const res = await gw.admin('/tyk/keys/create', { method: 'POST', body: JSON.stringify({ org_id: 'org1', rate: 1000, per: 1, quota_max: -1, meta_data: meta, access_rights: { [apiId]: { api_id: apiId, api_name: apiId, versions: ['Default'] } } }) });
    expect(res.status).to.equal(200);
    return (await tykReply(res)).key!;
  }

  const received = (pathPrefix: string) => upstream.requests.filter((r) => r.url.startsWith(pathPrefix));

  before(async () => {
    upstream = await startRecordingServer();
    other = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'hooks.js', HOOKS);
    writeMiddleware(dir, 'jsvm-jump.js', JSVM_JUMP);
    writeApi(dir, keyedApi('hdr', upstream.url, {
      enable_context_vars: true,
      custom_middleware: { driver: 'isolate', pre: [{ name: 'seePre', path: 'hooks.js' }], post: [{ name: 'seePost', path: 'hooks.js' }], response: [{ name: 'seeResponse', path: 'hooks.js' }] },
      version_data: version({
        global_headers: {
          'X-Global': 'g',
          'X-Meta': '$tyk_meta.tier',
          'X-Req-Id': '$tyk_context.request_id',
          'X-Remote': '$tyk_context.remote_addr',
          'X-Ctx-Path': '$tyk_context.path',
          'X-Tag': '$tyk_context.headers_X_Client_Tag',
          'X-Form': '$tyk_context.request_data_q',
          'X-Missing': 'a$tyk_meta.nope b',
          'X-Bad-Meta': '$tyk_meta.crlf',
          'X-Nul-Meta': '$tyk_meta.nul',
          'X-Bad-Form': '$tyk_context.request_data_evil',
        },
        global_headers_remove: ['X-Drop-Me'],
        global_response_headers: { 'X-Resp-Global': 'rg', 'X-Resp-Meta': '$tyk_meta.tier', 'X-Resp-Bad': '$tyk_meta.crlf' },
        global_response_headers_remove: ['X-Upstream'],
      }, {
        transform_headers: [{ path: '/only/{id}', method: 'GET', add_headers: { 'X-Path-Hdr': 'yes' }, delete_headers: ['X-Path-Drop'] }],
        transform_response_headers: [{ path: '/only/{id}', method: 'GET', add_headers: { 'X-Resp-Path': 'rp' } }],
      }),
    }));
    // No response hooks: the upstream answer streams, and is still injected into.
    writeApi(dir, keylessApi('hdr-stream', '/hdr-stream/', upstream.url, {
      version_data: version({ global_response_headers: { 'X-Streamed': 'yes' }, global_response_headers_remove: ['X-Upstream'] }),
    }));
    writeApi(dir, keylessApi('rw', '/rw/', `${upstream.url}/base`, {
      version_data: version({}, {
        url_rewrites: [
          { path: '/items/{id}', method: 'GET', match_pattern: '/rw/items/(\\w+)', rewrite_to: '/v2/products/$1?src=rw' },
          {
            path: '/beta/{id}', method: 'GET', match_pattern: '/rw/beta/(\\w+)', rewrite_to: '/stable/$1',
            triggers: [
              { on: 'any', options: { header_matches: { 'X-Channel': { match_rx: '^beta$' } }, query_val_matches: { chan: { match_rx: '^beta$' } } }, rewrite_to: '/beta/$1' },
              { on: 'all', options: { header_matches: { 'X-A': { match_rx: '^1$' } }, query_val_matches: { b: { match_rx: '^(\\d)$' } } }, rewrite_to: '/all/$1/$tyk_context.trigger-1-b-0' },
            ],
          },
          { path: '/dots', match_pattern: '\\?to=(.*)$', rewrite_to: '/files/$1' },
          { path: '/go', match_pattern: '\\?u=(.*)$', rewrite_to: '$1' },
          { path: '/ext/{x}', match_pattern: '/rw/ext(.*)', rewrite_to: `${other.url}/external$1` },
          { path: '/evil/{x}', match_pattern: '^/rw/evil/(a+)+$', rewrite_to: '/never' },
          { path: '/grp/{x}', match_pattern: '/rw/grp/(.*)', rewrite_to: '/grp/$1/$tyk_meta.x' },
          { path: '/mt', method: 'GET', match_pattern: '/rw/mt', rewrite_to: '/mt-rewritten' },
        ],
        method_transforms: [{ path: '/mt', method: 'GET', to_method: 'post' }],
      }),
    }));
    writeApi(dir, keyedApi('rwk', upstream.url, {
      version_data: version({}, {
        url_rewrites: [{
          path: '/{rest}', match_pattern: '/rwk/(.*)', rewrite_to: '/plain/$1',
          triggers: [{ on: 'all', options: { session_meta_matches: { tier: { match_rx: '^gold$' } } }, rewrite_to: '/gold/$1?tier=$tyk_meta.tier' }],
        }],
      }),
    }));
    writeApi(dir, keylessApi('loop-a', '/loop-a/', `${upstream.url}/a-base`, {
      version_data: version({ global_headers: { 'X-Via-A': 'yes' } }, {
        url_rewrites: [
          { path: '/self/{x}', match_pattern: '/loop-a/self/(\\w+)', rewrite_to: 'tyk://self/landed/$1?k=v' },
          { path: '/other/{x}', match_pattern: '/loop-a/other/(\\w+)', rewrite_to: 'tyk://loop-b/from-a/$1' },
          { path: '/byname', match_pattern: '/loop-a/byname', rewrite_to: 'tyk://Loop B Api/named' },
          { path: '/pingpong', match_pattern: 'pingpong', rewrite_to: 'tyk://loop-b/pingpong' },
          { path: '/limited', match_pattern: 'limited', rewrite_to: 'tyk://self/limited?loop_limit=2' },
          { path: '/tenant', match_pattern: '/loop-a/tenant', rewrite_to: 'tyk://loop-c/stolen' },
          { path: '/nowhere', match_pattern: '/loop-a/nowhere', rewrite_to: 'tyk://no-such-api/x' },
          { path: '/method', match_pattern: '/loop-a/method', rewrite_to: 'tyk://loop-b/m?method=PUT' },
          { path: '/dyn/{x}', match_pattern: '/dyn/(.*)$', rewrite_to: 'tyk://self/dyn/$1' },
        ],
      }),
    }));
    writeApi(dir, { ...keylessApi('loop-b', '/loop-b/', `${upstream.url}/b-base`), name: 'Loop B Api', version_data: version({ global_headers: { 'X-Loop-B': 'yes' } }, {
      url_rewrites: [{ path: '/pingpong', match_pattern: 'pingpong', rewrite_to: 'tyk://loop-a/pingpong' }],
    }) });
    writeApi(dir, keyedApi('lk', upstream.url, {
      version_data: version({}, {
        url_rewrites: [
          { path: '/in', match_pattern: '/lk/in', rewrite_to: 'tyk://self/out' },
          { path: '/checked', match_pattern: '/lk/checked', rewrite_to: 'tyk://self/out?check_limits=true' },
        ],
      }),
    }));
    writeApi(dir, { ...keylessApi('loop-c', '/loop-c/', `${upstream.url}/c-base`), org_id: 'org2' });
    writeApi(dir, keylessApi('jsvm-loop', '/jsvm-loop/', upstream.url, { custom_middleware: { driver: 'otto', post: [{ name: 'jsvmJump', path: 'jsvm-jump.js' }] } }));
    writeApi(dir, keylessApi('hook-loop', '/hook-loop/', upstream.url, { custom_middleware: { driver: 'isolate', post: [{ name: 'jumpToB', path: 'hooks.js' }] } }));
    // Tyk keys isogate does not honour: the API loads, one warning per key.
    writeApi(dir, keylessApi('warn-api', '/warn-api/', upstream.url, {
      CORS: { enable: true },
      version_data: version({}, {
        mock_response: [{ path: '/m', method: 'GET', code: 200 }],
        circuit_breakers: [{ path: '/c', method: 'GET', threshold_percent: 0.5, samples: 5, return_to_service_after: 10 }],
        validate_json: [{ path: '/v', method: 'POST', schema: {} }],
        hard_timeouts: [{ path: '/t', method: 'GET', timeout: 1 }],
        size_limits: [{ path: '/s', method: 'POST', size_limit: 10 }],
        cache: [],
      }),
    }));
    // Refused at load, each naming its file and key; the other APIs load.
    writeApi(dir, keylessApi('bad-crlf', '/bad-crlf/', upstream.url, { version_data: version({ global_headers: { 'X-A': 'a\r\nInjected: yes' } }) }));
    writeApi(dir, keylessApi('bad-nul', '/bad-nul/', upstream.url, { version_data: version({ global_response_headers: { 'X-A': 'a\u0000b' } }) }));
    writeApi(dir, keylessApi('bad-name', '/bad-name/', upstream.url, { version_data: version({}, { transform_headers: [{ path: '/x', add_headers: { 'X Bad': 'v' } }] }) }));
    writeApi(dir, keylessApi('bad-regex', '/bad-regex/', upstream.url, { version_data: version({}, { url_rewrites: [{ path: '/x', match_pattern: '(a)\\1', rewrite_to: '/y' }] }) }));
    writeApi(dir, keylessApi('bad-scheme', '/bad-scheme/', upstream.url, { version_data: version({}, { url_rewrites: [{ path: '/x', match_pattern: '.*', rewrite_to: 'file:///etc/passwd' }] }) }));
    gw = await startGateway({ dir });
    failed = (await gw.reload()).failed ?? [];
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
    if (other) await other.close();
  });

  describe('header injection', () => {
    it('global and per-path request headers reach the upstream, with $tyk_meta from the real key and $tyk_context values, after auth and before post hooks', async () => {
      const key = await createKey('hdr', { tier: 'gold', crlf: 'a\r\nInjected: x', nul: 'a\u0000b' });
      const res = await fetch(`${gw.url}/hdr/only/7?q=form1&evil=%0d%0aInjected:%20y`, { headers: { authorization: key, 'x-client-tag': 'tagv', 'x-drop-me': '1', 'x-path-drop': '1' } });
      expect(res.status).to.equal(200);
      const seen = await echoed(res);
      expect(seen.url).to.equal('/only/7?q=form1&evil=%0d%0aInjected:%20y');
      const h = seen.headers;
      expect(h['x-global']).to.equal('g');
      expect(h['x-meta']).to.equal('gold');
      expect(h['x-req-id']).to.match(UUID);
      expect(h['x-remote']).to.equal('127.0.0.1');
      expect(h['x-ctx-path']).to.equal('/hdr/only/7');
      expect(h['x-tag']).to.equal('tagv');
      expect(h['x-form']).to.equal('form1');
      expect(h['x-missing']).to.equal('a b');
      expect(h['x-path-hdr']).to.equal('yes');
      expect(h).to.not.have.property('x-drop-me');
      expect(h).to.not.have.property('x-path-drop');
      // Values a variable filled with CR/LF/NUL never reach the wire (the header is left out and logged).
      expect(h).to.not.have.property('x-bad-meta');
      expect(h).to.not.have.property('x-nul-meta');
      expect(h).to.not.have.property('x-bad-form');
      expect(h).to.not.have.property('injected');
      // Tyk's order: the pre hook runs before the header transform, the post hook after it.
      expect(h['x-seen-by-pre']).to.equal('absent');
      expect(h['x-seen-by-post']).to.equal('g');
      // Response side: injected before the response hook, upstream's X-Upstream removed, bad value left out.
      expect(res.headers.get('x-resp-global')).to.equal('rg');
      expect(res.headers.get('x-resp-meta')).to.equal('gold');
      expect(res.headers.get('x-resp-path')).to.equal('rp');
      expect(res.headers.get('x-hook-saw')).to.equal('rg');
      expect(res.headers.get('x-upstream')).to.equal(null);
      expect(res.headers.get('x-resp-bad')).to.equal(null);
      expect(res.headers.get('injected')).to.equal(null);
      await gw.waitForLog('header x-bad-meta left out');
      await gw.waitForLog('header x-resp-bad left out');
    });

    it('per-path entries match path and method only; each request gets its own request_id', async () => {
      const key = await createKey('hdr', { tier: 'silver' });
      const other1 = await echoed(await fetch(`${gw.url}/hdr/elsewhere`, { headers: { authorization: key } }));
      expect(other1.headers['x-global']).to.equal('g');
      expect(other1.headers['x-meta']).to.equal('silver');
      expect(other1.headers).to.not.have.property('x-path-hdr');
      const post = await fetch(`${gw.url}/hdr/only/7`, { method: 'POST', body: 'x', headers: { authorization: key } });
      expect((await echoed(post)).headers).to.not.have.property('x-path-hdr');
      expect(post.headers.get('x-resp-path')).to.equal(null);
      const deeper = await echoed(await fetch(`${gw.url}/hdr/only/7/deeper`, { headers: { authorization: key } }));
      expect(deeper.headers).to.not.have.property('x-path-hdr');
      const again = await echoed(await fetch(`${gw.url}/hdr/elsewhere`, { headers: { authorization: key } }));
      expect(again.headers['x-req-id']).to.match(UUID).and.not.equal(other1.headers['x-req-id']);
    });

    it('an unauthenticated request is refused before any header is injected', async () => {
      const before = upstream.requests.length;
      const res = await fetch(`${gw.url}/hdr/only/7`);
      expect(res.status).to.equal(401);
      expect(res.headers.get('x-resp-global')).to.equal(null);
      expect(upstream.requests.length).to.equal(before);
    });

    it('a streamed upstream answer gets the response headers too', async () => {
      const res = await fetch(`${gw.url}/hdr-stream/x`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-streamed')).to.equal('yes');
      expect(res.headers.get('x-upstream')).to.equal(null);
      expect((await echoed(res)).url).to.equal('/x');
    });

    it('a definition writing CR/LF/NUL or a bad header name is refused at load, naming the file and key', () => {
      const error = (id: string) => failed.find((f) => f.api_id === id)?.error ?? '';
      expect(error('bad-crlf')).to.include('bad-crlf.json').and.include('version_data.versions.Default.global_headers.X-A').and.include('CR, LF, NUL');
      expect(error('bad-nul')).to.include('bad-nul.json').and.include('global_response_headers.X-A');
      expect(error('bad-name')).to.include('bad-name.json').and.include('extended_paths.transform_headers[0]').and.include('"X Bad" is not a valid header name');
    });

    it('a refused API is not served; the others are', async () => {
      expect((await fetch(`${gw.url}/bad-crlf/x`)).status).to.equal(404);
      expect(upstream.requests.some((r) => r.headers.injected !== undefined)).to.equal(false);
    });
  });

  describe('URL rewrites and method transforms', () => {
    it('rewrites with match groups onto the target path', async () => {
      const seen = await echoed(await fetch(`${gw.url}/rw/items/abc`));
      expect(seen.url).to.equal('/base/v2/products/abc?src=rw');
      // POST does not match the entry's method: the URL goes on unchanged.
      const post = await echoed(await fetch(`${gw.url}/rw/items/abc`, { method: 'POST', body: '' }));
      expect(post.url).to.equal('/base/items/abc');
    });

    it('triggers on headers and query values (any, all), with trigger groups as context variables', async () => {
      const url = `${gw.url}/rw/beta/x1`;
      expect((await echoed(await fetch(url))).url).to.equal('/base/stable/x1');
      expect((await echoed(await fetch(url, { headers: { 'x-channel': 'beta' } }))).url).to.equal('/base/beta/x1');
      expect((await echoed(await fetch(`${url}?chan=beta`))).url).to.equal('/base/beta/x1');
      expect((await echoed(await fetch(url, { headers: { 'x-a': '1' } }))).url).to.equal('/base/stable/x1');
      expect((await echoed(await fetch(`${url}?b=7`, { headers: { 'x-a': '1' } }))).url).to.equal('/base/all/x1/7');
    });

    it('triggers on session metadata of a real key', async () => {
      const gold = await createKey('rwk', { tier: 'gold' });
      const silver = await createKey('rwk', { tier: 'silver' });
      expect((await echoed(await fetch(`${gw.url}/rwk/thing`, { headers: { authorization: gold } }))).url).to.equal('/gold/thing?tier=gold');
      expect((await echoed(await fetch(`${gw.url}/rwk/thing`, { headers: { authorization: silver } }))).url).to.equal('/plain/thing');
    });

    it('a group holding $tyk_meta text stays literal text', async () => {
      const seen = await echoed(await fetch(`${gw.url}/rw/grp/$tyk_meta.x`));
      expect(seen.url).to.equal('/base/grp/$tyk_meta.x/');
    });

    it('a rewrite producing .. never climbs above the target path', async () => {
      const seen = await echoed(await fetch(`${gw.url}/rw/dots?to=../../../etc/passwd`));
      expect(seen.url).to.equal('/base/etc/passwd');
      const encoded = await echoed(await fetch(`${gw.url}/rw/dots?to=%2e%2e/%2e%2e/x`));
      expect(encoded.url.startsWith('/base/')).to.equal(true);
    });

    it('an absolute URL the request supplies is refused; one the definition writes is followed', async () => {
      const before = other.requests.length;
      const res = await fetch(`${gw.url}/rw/go?u=${other.url}/steal`);
      expect(res.status).to.equal(500);
      expect(await tykError(res)).to.equal('URL rewrite refused');
      const scheme = await fetch(`${gw.url}/rw/go?u=//127.0.0.1:${other.port}/steal2`);
      expect((await echoed(scheme)).url).to.equal('/base//127.0.0.1:' + other.port + '/steal2');
      expect(other.requests.length).to.equal(before);
      await gw.waitForLog('URL rewrite refused');
      const ext = await echoed(await fetch(`${gw.url}/rw/ext/deep?z=1`));
      expect(ext.url).to.equal('/external/deep?z=1');
      expect(other.requests.length).to.equal(before + 1);
      expect(other.requests.at(-1)!.headers.host).to.equal(`127.0.0.1:${other.port}`);
    });

    it('a pathological pattern runs in linear time: the request completes and the gateway keeps serving', async () => {
      const evil = fetch(`${gw.url}/rw/evil/${'a'.repeat(8000)}b`);
      const meanwhile = await fetch(`${gw.url}/hello`);
      expect(meanwhile.status).to.equal(200);
      const res = await evil;
      expect(res.status).to.equal(200);
      expect((await echoed(res)).url).to.equal(`/base/evil/${'a'.repeat(8000)}b`);
    });

    it('a pattern that needs backtracking, or a target of another scheme, is refused at load naming the key', () => {
      const regex = failed.find((f) => f.api_id === 'bad-regex')?.error ?? '';
      expect(regex).to.include('bad-regex.json').and.include('extended_paths.url_rewrites[0].match_pattern').and.include('backtracking');
      const scheme = failed.find((f) => f.api_id === 'bad-scheme')?.error ?? '';
      expect(scheme).to.include('bad-scheme.json').and.include('url_rewrites[0]: rewrite_to "file:///etc/passwd"');
    });

    it('method transform and URL rewrite both match the request as sent (GET), and the upstream gets POST on the new path', async () => {
      await fetch(`${gw.url}/rw/mt`);
      const seen = await upstream.waitFor((r) => r.url === '/base/mt-rewritten');
      expect(seen.method).to.equal('POST');
    });
  });

  describe('tyk:// internal loops', () => {
    it('tyk://self continues on the same API with the loop URL\'s path and query', async () => {
      const seen = await echoed(await fetch(`${gw.url}/loop-a/self/q1?dropped=1`));
      expect(seen.url).to.equal('/a-base/landed/q1?k=v');
      expect(seen.headers['x-via-a']).to.equal('yes');
    });

    it('tyk://<api_id> and tyk://<API name> continue on that API\'s chain and upstream', async () => {
      const byId = await echoed(await fetch(`${gw.url}/loop-a/other/z9`));
      expect(byId.url).to.equal('/b-base/from-a/z9');
      expect(byId.headers['x-loop-b']).to.equal('yes');
      expect(byId.headers['x-via-a']).to.equal('yes');
      const byName = await echoed(await fetch(`${gw.url}/loop-a/byname`));
      expect(byName.url).to.equal('/b-base/named');
      const method = await echoed(await fetch(`${gw.url}/loop-a/method`));
      expect(method.method).to.equal('PUT');
      expect(method.url).to.equal('/b-base/m?method=PUT');
    });

    it('a post hook (isolate, JSVM) rewriting url to tyk:// continues on that API', async () => {
      const seen = await echoed(await fetch(`${gw.url}/hook-loop/jump`));
      expect(seen.url).to.equal('/b-base/from-hook?via=post');
      expect(seen.headers['x-loop-b']).to.equal('yes');
      const plain = await echoed(await fetch(`${gw.url}/hook-loop/stay`));
      expect(plain.url).to.equal('/stay');
      const jsvm = await echoed(await fetch(`${gw.url}/jsvm-loop/jump`));
      expect(jsvm.url).to.equal('/b-base/from-jsvm');
      expect(jsvm.headers['x-loop-b']).to.equal('yes');
    });

    it('a loop between two APIs stops at Tyk\'s limit of 5 with 500, and loop_limit sets another', async () => {
      const res = await fetch(`${gw.url}/loop-a/pingpong`);
      expect(res.status).to.equal(500);
      expect(await tykError(res)).to.equal('Loop level too deep. Found more than 5 loops in single request');
      const limited = await fetch(`${gw.url}/loop-a/limited`);
      expect(limited.status).to.equal(500);
      expect(await tykError(limited)).to.equal('Loop level too deep. Found more than 2 loops in single request');
      expect(received('/a-base/pingpong').length + received('/b-base/pingpong').length + received('/a-base/limited').length).to.equal(0);
    });

    it('a loop_limit the request supplies is capped at 100', async () => {
      const res = await fetch(`${gw.url}/loop-a/dyn/x?loop_limit=1000000`);
      expect(res.status).to.equal(500);
      expect(await tykError(res)).to.equal('Loop level too deep. Found more than 100 loops in single request');
      expect(received('/a-base/dyn').length).to.equal(0);
    });

    it('a looped request is not counted against rate limits again unless check_limits=true', async () => {
      const session = { org_id: 'org1', rate: 2, per: 60, quota_max: -1, access_rights: { lk: { api_id: 'lk', api_name: 'lk', versions: ['Default'] } } };
      const make = async () => (await tykReply(await gw.admin('/tyk/keys/create', { method: 'POST', body: JSON.stringify(session) }))).key!;
      const plain = await make();
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${gw.url}/lk/in`, { headers: { authorization: plain } })).status);
      expect(statuses).to.deep.equal([200, 200, 429]);
      const checked = await make();
      const counted = [];
      for (let i = 0; i < 2; i++) counted.push((await fetch(`${gw.url}/lk/checked`, { headers: { authorization: checked } })).status);
      expect(counted).to.deep.equal([200, 429]);
      expect(received('/out').length).to.equal(3);
    });

    it('a loop to another organisation\'s API answers as an unknown target, and reaches nothing', async () => {
      const res = await fetch(`${gw.url}/loop-a/tenant`);
      expect(res.status).to.equal(500);
      expect(await tykError(res)).to.equal("Can't detect loop target");
      const unknown = await fetch(`${gw.url}/loop-a/nowhere`);
      expect(unknown.status).to.equal(500);
      expect(await tykError(unknown)).to.equal("Can't detect loop target");
      expect(received('/c-base').length).to.equal(0);
      await gw.waitForLog('internal loop to api loop-c refused: it belongs to another organisation');
      // loop-c itself serves its own listen path.
      expect((await echoed(await fetch(`${gw.url}/loop-c/ok`))).url).to.equal('/c-base/ok');
    });
  });

  describe('Tyk keys isogate does not honour', () => {
    it('load with one warning per key, naming the file and key', async () => {
      expect((await fetch(`${gw.url}/warn-api/m`)).status).to.equal(200);
      for (const key of ['CORS.enable', 'version_data.versions.Default.extended_paths.mock_response',
        'version_data.versions.Default.extended_paths.circuit_breakers', 'version_data.versions.Default.extended_paths.validate_json',
        'version_data.versions.Default.extended_paths.hard_timeouts', 'version_data.versions.Default.extended_paths.size_limits']) {
        await gw.waitForLog(`warn-api.json (api warn-api): ${key} is not honoured by isogate`);
      }
      const logs = gw.logs.join('');
      // An empty list sets nothing; honoured keys are not reported.
      expect(logs).to.not.include('extended_paths.cache is not honoured');
      expect(logs).to.not.include('url_rewrites is not honoured');
      expect(logs.split('extended_paths.mock_response is not honoured').length - 1).to.equal(1);
    });
  });

  it('the management API lists no failure for the APIs that loaded', async () => {
    const ids = failed.map((f) => f.api_id);
    for (const id of ['hdr', 'hdr-stream', 'rw', 'rwk', 'lk', 'loop-a', 'loop-b', 'loop-c', 'hook-loop', 'jsvm-loop', 'warn-api']) expect(ids).to.not.include(id);
    const apis = await readJson<unknown[]>(await gw.admin('/tyk/apis'));
    expect(apis.length).to.be.greaterThan(8);
  });
});
