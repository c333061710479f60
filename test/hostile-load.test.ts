// Loading fails closed and says why: an API whose middleware cannot run is never proxied
// unchecked; /tyk/reload and /tyk/apis/{id}/runtime report what failed; a duplicate listen path
// is refused for the newcomer while the API serving it keeps it.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type ApiDef, type ReloadAnswer, type RunningGateway } from './helpers/gateway';
import { readJson, startRecordingServer, tykError, type RecordingServer } from './helpers/http';

/** What /tyk/apis/{id}/runtime answers. */
interface Runtime {
  status: string;
  error?: string;
}

/** The failure /tyk/reload reports for `match`; fails the test when there is none. */
function failure(reply: ReloadAnswer, match: (f: NonNullable<ReloadAnswer['failed']>[number]) => boolean): NonNullable<ReloadAnswer['failed']>[number] {
  const entry = (reply.failed ?? []).find(match);
  expect(entry, JSON.stringify(reply)).to.not.equal(undefined);
  return entry!;
}

const REJECT_ALL = `function reject(request) {
  request.return_overrides.response_code = 403;
  request.return_overrides.response_error = 'rejected by the hook';
}`;

const JSVM_REJECT = `
var rejectAll = new TykJS.TykMiddleware.NewMiddleware({});
rejectAll.NewProcessRequest(function (request) {
  request.ReturnOverrides.ResponseCode = 403;
  request.ReturnOverrides.ResponseError = 'rejected by the JS hook';
  return rejectAll.ReturnData(request, {});
});`;

function writeFile(dir: string, name: string, def: ApiDef): void {
  fs.writeFileSync(path.join(dir, 'apps', name), JSON.stringify(def, null, 2));
}

describe('fail closed: an API whose middleware cannot run is not served', function () {
  this.timeout(30000);
  let upstream: RecordingServer;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'reject.js', REJECT_ALL);
    writeMiddleware(dir, 'jsvm-reject.js', JSVM_REJECT);
    writeApi(dir, keylessApi('iso', '/iso/', upstream.url, { custom_middleware: { driver: 'isolate', pre: [{ name: 'reject', path: 'reject.js' }] } }));
    writeApi(dir, keylessApi('grpcapi', '/grpcapi/', upstream.url, { custom_middleware: { driver: 'grpc', pre: [{ name: 'reject' }] } }));
    writeApi(dir, keylessApi('js', '/js/', upstream.url, { custom_middleware: { driver: 'otto', pre: [{ name: 'rejectAll', path: 'jsvm-reject.js' }] } }));
    writeApi(dir, {
      api_id: 'plugauth', org_id: 'org1', use_keyless: false, custom_plugin_auth_enabled: true,
      proxy: { listen_path: '/plugauth/', target_url: upstream.url, strip_listen_path: true },
      custom_middleware: { driver: 'isolate', auth_check: { name: 'reject', path: 'reject.js' } },
    });
    writeApi(dir, keylessApi('plain', '/plain/', upstream.url));
    gw = await startGateway({ dir, config: { enable_jsvm: false, coprocess_options: { enable_coprocess: false, coprocess_grpc_server: 'tcp://127.0.0.1:1' } } });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  const refused: [string, string][] = [
    ['iso', 'coprocess_options.enable_coprocess'],
    ['grpcapi', 'coprocess_options.enable_coprocess'],
    ['js', 'enable_jsvm'],
    ['plugauth', 'coprocess_options.enable_coprocess'],
  ];

  for (const [apiId, key] of refused) {
    it(`${apiId}: never proxied unchecked; the reason (${key}) is in /tyk/reload, the runtime endpoint and the log`, async () => {
      upstream.requests.length = 0;
      // Loaded in the failed-middleware state (middleware_load_failure defaults to "serve_500"):
      // Tyk's 500 for a driver that is not loaded, and never the upstream.
      const res = await fetch(`${gw.url}/${apiId}/anything`);
      expect(res.status).to.equal(500);
      expect(await tykError(res)).to.equal('Internal Server Error');
      expect(upstream.requests).to.deep.equal([]);

      const runtime = await gw.admin(`/tyk/apis/${apiId}/runtime`);
      expect(runtime.status).to.equal(200);
      const body = await readJson<Runtime>(runtime);
      expect(body.status).to.equal('failed');
      expect(body.error).to.include(key).and.include(`api ${apiId}`).and.include('not served').and.include('answers 500');

      for (const reply of [await gw.reload(), await readJson<ReloadAnswer>(await gw.admin('/tyk/reload'))]) {
        expect(reply.status).to.equal('error');
        const entry = failure(reply, (f) => f.api_id === apiId);
        expect(entry.error).to.include(key);
        expect(reply.message).to.include(entry.error);
      }
      expect(gw.logs.join('')).to.include(`(api ${apiId}): custom_middleware.driver`);
    });
  }

  it('the other APIs serve', async () => {
    upstream.requests.length = 0;
    expect((await fetch(`${gw.url}/plain/x`)).status).to.equal(200);
    expect(upstream.requests.map((r) => r.url)).to.deep.equal(['/x']);
    const runtime = await readJson<Runtime>(await gw.admin('/tyk/apis/plain/runtime'));
    expect(runtime.status).to.equal('serving');
    expect(runtime).to.not.have.property('error');
  });
});

describe('duplicate listen paths and /tyk/reload reports', function () {
  this.timeout(30000);
  let upstream: RecordingServer;
  let gw: RunningGateway;
  let dir: string;

  /** Which API answered: each proxies to its own target path. */
  async function servedBy(listenPath: string): Promise<string | number> {
    upstream.requests.length = 0;
    const res = await fetch(`${gw.url}${listenPath}x`);
    if (res.status !== 200) return res.status;
    return upstream.requests[0].url.split('/')[1];
  }

  const api = (id: string, listenPath: string): ApiDef => keylessApi(id, listenPath, `${upstream.url}/${id}`);

  before(async () => {
    upstream = await startRecordingServer();
    dir = makeWorkspace();
    writeFile(dir, 'b.json', api('b', '/same/'));
    writeFile(dir, 'c.json', api('c', '/same/'));
    writeFile(dir, 'serving.json', api('serving', '/taken/'));
    gw = await startGateway({ dir });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  it('at startup the earlier file keeps the path; the later one is refused naming both files', async () => {
    expect(await servedBy('/same/')).to.equal('b');
    const reply = await gw.reload();
    const entry = failure(reply, (f) => f.api_id === 'c');
    expect(entry.file).to.match(/c\.json$/);
    expect(entry.error).to.match(/c\.json: proxy\.listen_path: "\/same\/" is already used by .*b\.json \(api b\)/);
    expect((await readJson<Runtime>(await gw.admin('/tyk/apis/c/runtime'))).status).to.equal('failed');
  });

  it('a new file claiming a served path is refused even when its name sorts first; the serving API keeps it', async () => {
    writeFile(dir, '0-newcomer.json', api('newcomer', '/taken/'));
    const reply = await gw.reload();
    expect(reply.status).to.equal('error');
    const entry = failure(reply, (f) => f.api_id === 'newcomer');
    expect(entry.error).to.match(/0-newcomer\.json: proxy\.listen_path: "\/taken\/" is already used by .*serving\.json \(api serving\)/);
    expect(await servedBy('/taken/')).to.equal('serving');
    fs.unlinkSync(path.join(dir, 'apps', '0-newcomer.json'));
  });

  it('an API moving onto a served path keeps its old path and version', async () => {
    writeFile(dir, 'mover.json', api('mover', '/mover/'));
    await gw.reload();
    expect(await servedBy('/mover/')).to.equal('mover');
    writeFile(dir, 'mover.json', api('mover', '/taken/'));
    const reply = await gw.reload();
    expect(failure(reply, (f) => f.api_id === 'mover').error).to.include('serving.json (api serving)');
    expect(await servedBy('/taken/')).to.equal('serving');
    expect(await servedBy('/mover/')).to.equal('mover');
    const runtime = await readJson<Runtime>(await gw.admin('/tyk/apis/mover/runtime'));
    expect(runtime.status).to.equal('serving');
    expect(runtime.error).to.include('/taken/');
    fs.unlinkSync(path.join(dir, 'apps', 'mover.json'));
    await gw.reload();
  });

  it('while the serving file is broken, its API keeps the path and a claimant is refused', async () => {
    fs.writeFileSync(path.join(dir, 'apps', 'serving.json'), '{ "api_id": "serving", ');
    writeFile(dir, 'claimant.json', api('claimant', '/taken/'));
    const reply = await gw.reload();
    const broken = failure(reply, (f) => f.file.endsWith('serving.json'));
    expect(broken.api_id).to.equal(undefined);
    expect(broken.error).to.include('invalid JSON');
    expect(failure(reply, (f) => f.api_id === 'claimant').error).to.include('serving.json (api serving), which keeps serving it');
    expect(await servedBy('/taken/')).to.equal('serving');
    writeFile(dir, 'serving.json', api('serving', '/taken/'));
    fs.unlinkSync(path.join(dir, 'apps', 'claimant.json'));
  });

  it('once every file loads, /tyk/reload says ok with nothing failed', async () => {
    fs.unlinkSync(path.join(dir, 'apps', 'c.json'));
    const reply = await gw.reload();
    // Tyk's reply, exactly, when nothing failed.
    expect(reply).to.deep.equal({ status: 'ok', message: '' });
    expect(await readJson<ReloadAnswer>(await gw.admin('/tyk/reload'))).to.deep.equal({ status: 'ok', message: '' });
    expect((await gw.admin('/tyk/apis/c/runtime')).status).to.equal(404);
  });
});
