// Tyk virtual endpoints (`extended_paths.virtual`) through a real gateway, real isolates and a
// real loopback upstream: the functions are written as Tyk users write them, answering with
// TykJsResponse({Body, Headers, Code}, session.meta_data).
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { hookedApi, keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { readJson, startRecordingServer, tykError, tykReply, type RecordingServer } from './helpers/http';
import type { SessionState } from '../src/pipeline/session';

const b64 = (code: string): string => Buffer.from(code).toString('base64');
const VIRTUAL_ERROR = 'Error during virtual endpoint execution. Contact Administrator for more details.';

/** One `virtual` entry. */
function virtual(path: string, fn: string, source: { blob?: string; file?: string }, extra: Record<string, unknown> = {}) {
  return {
    path,
    method: 'GET',
    response_function_name: fn,
    function_source_type: source.file ? 'file' : 'blob',
    function_source_uri: source.file ?? b64(source.blob!),
    ...extra,
  };
}

function versions(entries: unknown[]) {
  return { version_data: { not_versioned: true, versions: { Default: { name: 'Default', extended_paths: { virtual: entries } } } } };
}

const FILE_HANDLERS = `
function fromFile(request, session, config) {
  var responseObject = {
    Body: JSON.stringify({ url: request.URL, params: request.Params, body: request.Body, pre: request.Headers['X-Pre'], method: 'fromFile' }),
    Headers: { 'Content-Type': 'application/json', 'X-From': 'file' },
    Code: 200
  };
  return TykJsResponse(responseObject, session.meta_data);
}
`;

const HOOKS = `
var preTag = new TykJS.TykMiddleware.NewMiddleware({});
preTag.NewProcessRequest(function (request, session, config) {
  request.SetHeaders['X-Pre'] = 'pre ran';
  return preTag.ReturnData(request, {});
});
var respTag = new TykJS.TykMiddleware.NewMiddleware({});
respTag.NewProcessResponse(function (response, request, session, config) {
  response.SetHeaders['X-Resp'] = 'response hook saw ' + response.StatusCode;
  return respTag.ReturnResponseData(response, {});
});
`;

describe('Tyk virtual endpoints through a real gateway', function () {
  let upstream: RecordingServer;
  let gw: RunningGateway;

  before(async function () {
    this.timeout(60_000);
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'virtual/handlers.js', FILE_HANDLERS);
    writeMiddleware(dir, 'hooks/tags.js', HOOKS);
    fs.writeFileSync(path.join(dir, 'outside.js'), 'function outside(){ return TykJsResponse({Body: "leaked", Code: 200}, {}); }');
    fs.symlinkSync(path.join(dir, 'outside.js'), path.join(dir, 'middleware', 'link-out.js'));

    // A keyless API without hooks: the functions get a JSVM of their own.
    writeApi(dir, keylessApi('virt-blob', '/virt-blob/', upstream.url, {
      config_data: { greeting: 'hi from config_data' },
      ...versions([
        virtual('/hello/{name}', 'hello', { blob: `function hello(request, session, config) {
          return TykJsResponse({ Body: JSON.stringify({ url: request.URL, greeting: config.config_data.greeting, api: config.APIID, session: session, scheme: request.Scheme }),
            Headers: { 'X-Virtual': 'yes', 'Content-Type': 'application/json' }, Code: 201 }, session.meta_data);
        }` }),
        virtual('/plain', 'plain', { blob: 'function plain() { return TykJsResponse({ Body: "THIS IS A VIRTUAL RESPONSE", Code: 200 }, {}); }' }),
        virtual('/throws', 'throwing', { blob: 'function throwing() { throw new Error("virtual boom"); }' }),
        virtual('/throws-proxied', 'throwing2', { blob: 'function throwing2() { throw new Error("virtual boom 2"); }' }, { proxy_on_error: true }),
        // Tyk's cache: an answer is kept cache_timeout seconds and marked X-Tyk-Cached-Response: 1.
        virtual('/counted', 'counted', { blob: 'var n = 0; function counted() { n++; return TykJsResponse({ Body: "call " + n, Code: 200 }, {}); }' }, { cache_results: true }),
        virtual('/failing', 'failing', { blob: 'var f = 0; function failing() { f++; return TykJsResponse({ Body: "fail " + f, Code: 503 }, {}); }' }, { cache_results: true }),
        virtual('/broken', 'broken', { blob: 'function broken( { this is not javascript' }, { cache_results: true }),
        virtual('/top-throws', 'topThrows', { blob: 'throw new Error("top level fails"); function topThrows() {}' }, { cache_results: true }),
        virtual('/not-base64', 'nothing', { blob: '' }, { function_source_uri: '%%% not base64 %%%' }),
        virtual('/crlf', 'crlf', { blob: 'function crlf() { return TykJsResponse({ Body: "x", Headers: { "X-Evil": "a\\r\\nSet-Cookie: stolen=1" }, Code: 200 }, {}); }' }),
        virtual('/bad-name', 'badName', { blob: 'function badName() { return TykJsResponse({ Body: "x", Headers: { "Bad Header": "v" }, Code: 200 }, {}); }' }),
        virtual('/huge', 'huge', { blob: 'function huge() { return TykJsResponse({ Body: new Array(300001).join("x"), Code: 200 }, {}); }' }),
        virtual('/code/{code}', 'code', { blob: `function code(request) {
          var raw = request.URL.split('/').pop();
          var c = raw === 'text' ? 'abc' : raw === 'float' ? 200.5 : Number(raw);
          return TykJsResponse({ Body: "code " + raw, Code: c }, {});
        }` }),
        virtual('/not-json', 'notJson', { blob: 'function notJson() { return "this is not JSON"; }' }),
        virtual('/forever', 'forever', { blob: 'function forever() { while (true) {} }' }),
        virtual('/rawlog', 'raw', { blob: `function raw(request) {
          rawlog('RAW-MARKER {"level":30,"not":"a record"} ' + request.Params.id[0]);
          rawlog('RAW-TWO first\\nsecond\\r{"forged":true}');
          return TykJsResponse({ Body: 'logged', Code: 200 }, {});
        }` }),
      ]),
    }));

    // An otto API: the functions share the isolate of its hooks; pre hooks run before, response hooks after.
    writeApi(dir, hookedApi('virt-otto', upstream.url, {
      driver: 'otto',
      pre: [{ name: 'preTag', path: 'hooks/tags.js' }],
      response: [{ name: 'respTag', path: 'hooks/tags.js' }],
    }, versions([virtual('/from-file', 'fromFile', { file: 'virtual/handlers.js' }, { method: 'POST' })])));

    // use_session: the key's session goes in, a changed SessionMeta is saved with the key.
    writeApi(dir, keylessApi('virt-session', '/virt-session/', upstream.url, {
      use_keyless: false,
      use_standard_auth: true,
      ...versions([
        virtual('/visit', 'visit', { blob: `function visit(request, session) {
          var meta = session.meta_data || {};
          var visits = (meta.visits || 0) + 1;
          return TykJsResponse({ Body: "visit " + visits + " of " + meta.owner, Code: 200 }, { visits: visits, owner: meta.owner });
        }` }, { use_session: true }),
        virtual('/nosession', 'nosession', { blob: 'function nosession(request, session) { return TykJsResponse({ Body: JSON.stringify(session), Code: 200 }, { visits: 1000 }); }' }),
      ]),
    }));

    // Sources outside middleware_path: each API is refused at load, naming the key.
    writeApi(dir, keylessApi('virt-dotdot', '/virt-dotdot/', upstream.url, versions([virtual('/x', 'outside', { file: '../outside.js' })])));
    writeApi(dir, keylessApi('virt-absolute', '/virt-absolute/', upstream.url, versions([virtual('/x', 'outside', { file: path.join(dir, 'outside.js') })])));
    writeApi(dir, keylessApi('virt-symlink', '/virt-symlink/', upstream.url, versions([virtual('/x', 'outside', { file: 'link-out.js' })])));

    gw = await startGateway({ dir, config: { jsvm_timeout: 1, isolate_options: { max_body_bytes: 256 * 1024 } } });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  it('a blob function answers with its Body, Headers and Code, gets config.config_data, and the upstream is not called', async () => {
    const before = upstream.requests.length;
    const res = await fetch(`${gw.url}/virt-blob/hello/world?x=1`);
    expect(res.status).to.equal(201);
    expect(res.headers.get('x-virtual')).to.equal('yes');
    expect(res.headers.get('server')).to.equal('tyk');
    expect(res.headers.get('x-tyk-cached-response')).to.equal(null);
    expect(await readJson(res)).to.deep.equal({ url: '/virt-blob/hello/world?x=1', greeting: 'hi from config_data', api: 'virt-blob', session: {}, scheme: 'http' });
    expect(upstream.requests.length).to.equal(before);
  });

  it("answers Tyk's documented example as text/plain", async () => {
    const res = await fetch(`${gw.url}/virt-blob/plain`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    expect(await res.text()).to.equal('THIS IS A VIRTUAL RESPONSE');
  });

  it('only the configured method and path are virtual: the rest goes to the upstream', async () => {
    const post = await fetch(`${gw.url}/virt-blob/plain`, { method: 'POST', body: 'x' });
    expect(post.status).to.equal(200);
    expect(post.headers.get('x-upstream')).to.equal('echo');
    const deeper = await fetch(`${gw.url}/virt-blob/hello/world/more`);
    expect(deeper.headers.get('x-upstream')).to.equal('echo');
    const seen = upstream.requests.at(-1)!;
    expect(seen.url).to.equal('/hello/world/more');
  });

  it('a file function runs in the otto API\'s isolate after its pre hook, sees Params (query and form body) and Body, and response hooks run on its answer', async () => {
    const before = upstream.requests.length;
    const res = await fetch(`${gw.url}/virt-otto/from-file?q=1`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=2&q=3' });
    expect(res.status, await res.clone().text()).to.equal(200);
    expect(res.headers.get('x-from')).to.equal('file');
    expect(res.headers.get('x-resp')).to.equal('response hook saw 200');
    expect(await readJson(res)).to.deep.equal({ url: '/virt-otto/from-file?q=1', params: { a: ['2'], q: ['3', '1'] }, body: 'a=2&q=3', pre: ['pre ran'], method: 'fromFile' });
    expect(upstream.requests.length).to.equal(before);
  });

  it('rawlog writes its string as is, on a line of its own; line breaks in it cannot start another line', async () => {
    const res = await fetch(`${gw.url}/virt-blob/rawlog?id=7`);
    expect(await res.text()).to.equal('logged');
    await gw.waitForLog('RAW-TWO');
    const lines = gw.logs.join('').split('\n');
    expect(lines).to.include('RAW-MARKER {"level":30,"not":"a record"} 7');
    expect(lines).to.include('RAW-TWO first\\nsecond\\r{"forged":true}');
    expect(lines.some((l) => l.startsWith('{"forged"'))).to.equal(false);
  });

  describe('use_session', () => {
    let key: string;
    before(async () => {
      const created = await gw.admin('/tyk/keys/create', { method: 'POST', body: JSON.stringify({ org_id: 'org1', rate: 100, per: 1, quota_max: -1, meta_data: { owner: 'alice', visits: 0 } }) });
      key = (await tykReply(created)).key!;
    });

    it('gives the function the key\'s session and saves the SessionMeta it returns', async () => {
      const first = await fetch(`${gw.url}/virt-session/visit`, { headers: { authorization: key } });
      expect(await first.text()).to.equal('visit 1 of alice');
      const second = await fetch(`${gw.url}/virt-session/visit`, { headers: { authorization: key } });
      expect(await second.text()).to.equal('visit 2 of alice');
      const stored = await readJson<SessionState>(await gw.admin(`/tyk/keys/${key}`));
      expect(stored.meta_data).to.deep.equal({ visits: 2, owner: 'alice' });
    });

    it('without use_session the function gets an empty session and its SessionMeta is not saved', async () => {
      const res = await fetch(`${gw.url}/virt-session/nosession`, { headers: { authorization: key } });
      expect(await res.text()).to.equal('{}');
      const stored = await readJson<SessionState>(await gw.admin(`/tyk/keys/${key}`));
      expect((stored.meta_data as Record<string, unknown>).visits).to.not.equal(1000);
    });

    it('auth still applies before the virtual endpoint', async () => {
      const res = await fetch(`${gw.url}/virt-session/visit`);
      expect(res.status).to.equal(401);
    });
  });

  describe('failures', () => {
    it("a function that throws answers 500 with Tyk's message", async () => {
      const res = await fetch(`${gw.url}/virt-blob/throws`);
      expect(res.status).to.equal(500);
      expect(await tykError(res)).to.equal(VIRTUAL_ERROR);
      await gw.waitForLog('virtual boom');
    });

    it('with proxy_on_error a failing function sends the request to the upstream', async () => {
      const res = await fetch(`${gw.url}/virt-blob/throws-proxied?z=1`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-upstream')).to.equal('echo');
      expect(upstream.requests.at(-1)!.url).to.equal('/throws-proxied?z=1');
    });

    for (const [what, route] of [['does not compile', 'broken'], ['throws at its top level', 'top-throws']] as const) {
      it(`JS that ${what} answers 500 on every call and nothing of it is cached; the API's other endpoints work`, async () => {
        for (let i = 0; i < 3; i++) {
          const res = await fetch(`${gw.url}/virt-blob/${route}`);
          expect(res.status).to.equal(500);
          expect(res.headers.get('x-tyk-cached-response')).to.equal(null);
          expect(await tykError(res)).to.equal(VIRTUAL_ERROR);
        }
        expect((await fetch(`${gw.url}/virt-blob/plain`)).status).to.equal(200);
      });
    }

    it('the load error of broken JS is logged, naming the endpoint', async () => {
      await gw.waitForLog('extended_paths.virtual[6] (blob) did not load');
      await gw.waitForLog('top level fails');
      await gw.waitForLog('virtual[8].function_source_uri: not base64');
      expect((await fetch(`${gw.url}/virt-blob/not-base64`)).status).to.equal(500);
    });

    it('an answer that is not TykJsResponse JSON answers 500', async () => {
      expect((await fetch(`${gw.url}/virt-blob/not-json`)).status).to.equal(500);
    });

    it('a function that never returns is cut at jsvm_timeout with 500, and the API serves the next request', async () => {
      const started = Date.now();
      const res = await fetch(`${gw.url}/virt-blob/forever`);
      expect(res.status).to.equal(500);
      expect(Date.now() - started).to.be.below(10_000);
      const next = await fetch(`${gw.url}/virt-blob/plain`);
      expect(next.status).to.equal(200);
    });
  });

  describe('cache_results', () => {
    it('a cached answer carries X-Tyk-Cached-Response: 1 and the function is not called again', async () => {
      const first = await fetch(`${gw.url}/virt-blob/counted`);
      expect(first.headers.get('x-tyk-cached-response')).to.equal(null);
      const body = await first.text();
      expect(body).to.match(/^call \d+$/);
      const second = await fetch(`${gw.url}/virt-blob/counted`);
      expect(second.headers.get('x-tyk-cached-response')).to.equal('1');
      expect(await second.text()).to.equal(body);
      // Another URL is another cache entry.
      const other = await fetch(`${gw.url}/virt-blob/counted?v=2`);
      expect(other.headers.get('x-tyk-cached-response')).to.equal(null);
      expect(await other.text()).to.not.equal(body);
    });

    it('a 5xx is never cached', async () => {
      const bodies: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${gw.url}/virt-blob/failing`);
        expect(res.status).to.equal(503);
        expect(res.headers.get('x-tyk-cached-response')).to.equal(null);
        bodies.push(await res.text());
      }
      expect(new Set(bodies).size).to.equal(3);
    });
  });

  describe('hostile answers', () => {
    it('CR/LF in a header value answers 500 and nothing is injected', async () => {
      const res = await fetch(`${gw.url}/virt-blob/crlf`);
      expect(res.status).to.equal(500);
      expect(res.headers.get('set-cookie')).to.equal(null);
      expect(res.headers.get('x-evil')).to.equal(null);
      await gw.waitForLog('the value contains CR, LF, NUL');
    });

    it('an invalid header name answers 500', async () => {
      expect((await fetch(`${gw.url}/virt-blob/bad-name`)).status).to.equal(500);
    });

    it('a Body over isolate_options.max_body_bytes answers 500', async () => {
      const res = await fetch(`${gw.url}/virt-blob/huge`);
      expect(res.status).to.equal(500);
      expect(await tykError(res)).to.equal(VIRTUAL_ERROR);
      await gw.waitForLog('over isolate_options.max_body_bytes');
    });

    for (const code of ['0', '99', '100', '600', '1000', '-1', 'text', 'float', '99999999999']) {
      it(`Code ${code} answers 500`, async () => {
        const res = await fetch(`${gw.url}/virt-blob/code/${code}`);
        expect(res.status).to.equal(500);
        expect(await tykError(res)).to.equal(VIRTUAL_ERROR);
      });
    }

    it('Code 404 from the function is sent as is', async () => {
      const res = await fetch(`${gw.url}/virt-blob/code/404`);
      expect(res.status).to.equal(404);
      expect(await res.text()).to.equal('code 404');
    });
  });

  describe('function_source_uri outside middleware_path', () => {
    let failed: { file: string; api_id?: string; error: string }[];
    before(async () => {
      failed = (await gw.reload()).failed ?? [];
    });

    for (const [api, why] of [['virt-dotdot', 'contains ".."'], ['virt-absolute', 'is absolute'], ['virt-symlink', 'outside middleware_path']] as const) {
      it(`${api}: fails at load, naming the key (${why}), and answers 500 (failed-middleware state), nothing leaked`, async () => {
        const failure = failed.find((f) => f.api_id === api);
        expect(failure, JSON.stringify(failed)).to.not.equal(undefined);
        expect(failure!.error).to.include('extended_paths.virtual[0].function_source_uri');
        expect(failure!.error).to.include(why);
        const res = await fetch(`${gw.url}/${api}/x`);
        expect(res.status).to.equal(500);
        expect(await res.text()).to.not.include('leaked');
      });
    }
  });
});
