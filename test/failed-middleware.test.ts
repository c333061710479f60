// Request-time vs load-time middleware failures (#20 part C). Tyk loads an API whose hook file is
// missing or does not compile, or whose driver is unknown or not loaded, and answers 500 at
// request time (TYK-FACTS.md §2.5, §2.7, §5.5). isogate does the same by default
// (`middleware_load_failure: "serve_500"`), never proxying such an API, and keeps refusing it at
// load as an operator option (`"refuse_api"`). Real gateways, real isolates, a real upstream.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { hookedApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { readJson, startRecordingServer, tykError, type RecordingServer } from './helpers/http';

interface Runtime {
  status: string;
  answers?: number;
  error?: string;
  file?: string;
}

const GOOD_ISO = 'function tag(request) { request.set_headers["X-Tag"] = "ok"; }\n';
const GOOD_JSVM = `var tagJs = new TykJS.TykMiddleware.NewMiddleware({});
tagJs.NewProcessRequest(function (request) { request.SetHeaders['X-Tag'] = 'js'; return tagJs.ReturnData(request, {}); });
`;

/** The broken APIs of both suites, and what Tyk answers for each at request time. */
function writeBrokenApis(dir: string, upstream: string): void {
  writeMiddleware(dir, 'good.js', GOOD_ISO);
  writeMiddleware(dir, 'syntax.js', 'function tag(request) { request.set_headers[ = 1; }\n');
  writeApi(dir, hookedApi('iso-missing', upstream, { driver: 'isolate', pre: [{ name: 'tag', path: 'nowhere.js' }] }));
  writeApi(dir, hookedApi('iso-syntax', upstream, { driver: 'isolate', pre: [{ name: 'tag', path: 'syntax.js' }] }));
  writeApi(dir, hookedApi('iso-no-hook', upstream, { driver: 'isolate', pre: [{ name: 'notDefined', path: 'good.js' }] }));
  writeApi(dir, hookedApi('js-missing', upstream, { driver: 'otto', pre: [{ name: 'tagJs', path: 'js-later.js' }] }));
  writeApi(dir, hookedApi('unknown-driver', upstream, { driver: 'cobol', pre: [{ name: 'tag', path: 'good.js' }] }));
  writeApi(dir, hookedApi('grpc-bad', upstream, { driver: 'grpc', pre: [{ name: 'Tag' }] }));
  writeApi(dir, hookedApi('fine', upstream, { driver: 'isolate', pre: [{ name: 'tag', path: 'good.js' }] }));
}

const EXPECTED: [string, string, string][] = [
  // api, Tyk's message, what the reported reason names
  ['iso-missing', 'Middleware error', 'nowhere.js'],
  ['iso-syntax', 'Middleware error', 'syntax.js'],
  ['iso-no-hook', 'Middleware error', 'notDefined'],
  ['js-missing', 'Internal Server Error', 'js-later.js'],
  ['unknown-driver', 'Internal Server Error', 'cobol'],
  ['grpc-bad', 'Internal Server Error', 'coprocess_grpc_server'],
];

const GRPC_BAD = { coprocess_options: { enable_coprocess: true, coprocess_grpc_server: 'tcp://[::1:5555' } };

describe('APIs whose middleware does not load', function () {
  this.timeout(60_000);
  let upstream: RecordingServer;

  before(async () => {
    upstream = await startRecordingServer();
  });
  after(async () => {
    await upstream?.close();
  });

  describe('default (middleware_load_failure: "serve_500", as Tyk)', function () {
    let gw: RunningGateway;
    let dir: string;

    before(async () => {
      dir = makeWorkspace();
      writeBrokenApis(dir, upstream.url);
      gw = await startGateway({ dir, config: GRPC_BAD });
    });
    after(async () => {
      await gw?.stop();
    });

    for (const [apiId, message, names] of EXPECTED) {
      it(`${apiId}: loads, answers 500 "${message}" (never proxied) and reports why`, async () => {
        upstream.requests.length = 0;
        for (const method of ['GET', 'POST']) {
          const res = await fetch(`${gw.url}/${apiId}/x`, { method, body: method === 'POST' ? 'payload' : undefined });
          expect(res.status, `${method} ${apiId}`).to.equal(500);
          expect(await tykError(res)).to.equal(message);
        }
        expect(upstream.requests, 'nothing reached the upstream').to.deep.equal([]);
        const runtime = await readJson<Runtime>(await gw.admin(`/tyk/apis/${apiId}/runtime`));
        expect(runtime.status).to.equal('failed');
        expect(runtime.answers).to.equal(500);
        expect(runtime.error).to.include(`api ${apiId}`).and.include(names).and.include('answers 500');
        expect(runtime.file).to.equal(path.join(dir, 'apps', `${apiId}.json`));
      });
    }

    it('the healthy API beside them serves', async () => {
      const res = await fetch(`${gw.url}/fine/x`);
      expect(res.status).to.equal(200);
      await res.arrayBuffer();
      expect((await upstream.waitFor((r) => r.url === '/x' && r.headers['x-tag'] === 'ok')).method).to.equal('GET');
    });

    it('/tyk/reload lists every failed API, still failed after a reload that changed nothing', async () => {
      for (let round = 0; round < 2; round++) {
        const answer = await gw.reload();
        expect(answer.status).to.equal('error');
        const failedIds = (answer.failed ?? []).map((f) => f.api_id).sort();
        expect(failedIds, `round ${round}`).to.deep.equal(EXPECTED.map(([id]) => id).sort());
      }
      expect((await fetch(`${gw.url}/iso-missing/x`)).status).to.equal(500);
    });

    it('once the missing file exists a reload serves the API, and its failure is no longer reported', async () => {
      writeMiddleware(dir, 'js-later.js', GOOD_JSVM);
      const answer = await gw.reload();
      expect((answer.failed ?? []).map((f) => f.api_id)).to.not.include('js-missing');
      const res = await fetch(`${gw.url}/js-missing/later`);
      expect(res.status).to.equal(200);
      await res.arrayBuffer();
      expect((await upstream.waitFor((r) => r.url === '/later')).headers['x-tag']).to.equal('js');
      expect((await readJson<Runtime>(await gw.admin('/tyk/apis/js-missing/runtime'))).status).to.equal('serving');
    });

    it('a serving API whose file breaks keeps its working version (nothing already serving is lost)', async () => {
      fs.writeFileSync(path.join(dir, 'middleware', 'js-later.js'), 'var tagJs = ;\n');
      const answer = await gw.reload();
      const line = (answer.failed ?? []).find((f) => f.api_id === 'js-missing');
      expect(line?.error).to.include('the previous version keeps serving');
      const res = await fetch(`${gw.url}/js-missing/still`);
      expect(res.status).to.equal(200);
      await res.arrayBuffer();
    });

    it('an upload that fixes a failed API serves it at once', async () => {
      const put = await gw.admin('/tyk/apis/iso-syntax/middleware/syntax.js', { method: 'PUT', body: GOOD_ISO });
      expect(put.status, await put.clone().text()).to.equal(200);
      const res = await fetch(`${gw.url}/iso-syntax/fixed`);
      expect(res.status).to.equal(200);
      await res.arrayBuffer();
      expect((await readJson<Runtime>(await gw.admin('/tyk/apis/iso-syntax/runtime'))).status).to.equal('serving');
    });
  });

  describe('middleware_load_failure: "refuse_api"', function () {
    let gw: RunningGateway;

    before(async () => {
      const dir = makeWorkspace();
      writeBrokenApis(dir, upstream.url);
      gw = await startGateway({ dir, config: { ...GRPC_BAD, middleware_load_failure: 'refuse_api' } });
    });
    after(async () => {
      await gw?.stop();
    });

    it('refuses each such API at load (404), reporting why; the healthy one serves', async () => {
      upstream.requests.length = 0;
      for (const [apiId, , names] of EXPECTED) {
        expect((await fetch(`${gw.url}/${apiId}/x`)).status, apiId).to.equal(404);
        const runtime = await readJson<Runtime>(await gw.admin(`/tyk/apis/${apiId}/runtime`));
        expect(runtime.status, apiId).to.equal('failed');
        expect(runtime.answers, apiId).to.equal(undefined);
        expect(runtime.error, apiId).to.include(names);
      }
      expect(upstream.requests).to.deep.equal([]);
      expect((await fetch(`${gw.url}/fine/x`)).status).to.equal(200);
    });

    it('a bad value for the key stops startup naming it', async () => {
      const dir = makeWorkspace();
      const res = await startGateway({ dir, config: { middleware_load_failure: 'maybe' } }).then(
        async (g) => {
          await g.stop();
          return 'started';
        },
        (err: Error) => err.message,
      );
      expect(res).to.include('middleware_load_failure');
    });
  });
});
