// Paths confined (issue 13): no management route, API definition or middleware entry reaches a
// file outside app_path / middleware_path — whatever the encoding (`..%2F`, `%2e%2e`, absolute,
// NUL, backslash) or a symlink. Each attack is checked on the disk: a sentinel outside both
// folders survives unchanged and no new file appears there.
import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startGateway, makeWorkspace, writeApi, writeMiddleware, SECRET, type ApiDef, type RunningGateway } from './helpers/gateway';
import { echoed, startRecordingServer, type RecordingServer } from './helpers/http';

const GOOD = "function tag(request) { request.set_headers['X-Good'] = 'yes'; }\n";
const STOLEN = "function tag(request) { request.set_headers['X-Stolen'] = 'yes'; }\n";
const SENTINEL = '{"sentinel": true}\n';

/** Every file and folder under `root`, with file contents: what "nothing changed" is checked against. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (entry.isDirectory()) {
        out[`${rel}/`] = '';
        walk(full);
      } else if (entry.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(full)}`;
      else out[rel] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return out;
}

/** One request with the path exactly as written: fetch would normalise `%2e%2e` and `..` away. */
function rawRequest(port: number, method: string, rawPath: string, body?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const headers: Record<string, string> = { 'x-tyk-authorization': SECRET };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function pluginApi(apiId: string, upstreamUrl: string, entryPath: string): ApiDef {
  return {
    api_id: apiId, org_id: 'org1', use_keyless: true,
    proxy: { listen_path: `/${apiId}/`, target_url: upstreamUrl, strip_listen_path: true },
    custom_middleware: { driver: 'isolate', pre: [{ name: 'tag', path: entryPath }] },
  };
}

describe('paths confined to app_path and middleware_path (real gateway)', function () {
  this.timeout(60_000);
  let upstream: RecordingServer;
  let gw: RunningGateway;
  let dir: string;
  let outside: string;
  let baseline: Record<string, string>;

  // Variants of "../outside/<name>" as a client may spell them in one path segment.
  const traversals = (name: string) => [
    `..%2Foutside%2F${name}`,
    `%2e%2e%2Foutside%2F${name}`,
    `.%2E%2Foutside%2F${name}`,
    `..%2F..%2F${encodeURIComponent(path.basename(dir))}%2Foutside%2F${name}`,
    encodeURIComponent(path.join(outside, name)), // absolute
    `..%5Coutside%5C${name}`, // backslash
    `${name}%00`, // NUL
    `${name}%0D%0Ax`, // CR/LF
    `..%2Foutside%2F${name}%00`,
    '..',
    '.',
  ];

  const outsideUnchanged = () => expect(snapshot(outside)).to.deep.equal(baseline);

  before(async () => {
    upstream = await startRecordingServer();
    dir = makeWorkspace();
    outside = path.join(dir, 'outside');
    fs.mkdirSync(path.join(outside, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'data.json'), SENTINEL);
    fs.writeFileSync(path.join(outside, 'secret.js'), STOLEN);
    fs.writeFileSync(path.join(outside, 'sub', 'secret.js'), STOLEN);
    // A valid definition outside app_path: it must never be served or rewritten.
    fs.writeFileSync(path.join(outside, 'def.json'), JSON.stringify({ api_id: 'def', use_keyless: true, proxy: { listen_path: '/def/', target_url: upstream.url } }));

    writeMiddleware(dir, 'good.js', GOOD);
    writeApi(dir, pluginApi('good', upstream.url, 'good.js'));
    // Relative to the config's folder, landing inside middleware_path: allowed.
    writeApi(dir, pluginApi('cfgdir-in', upstream.url, 'middleware/good.js'));
    // A definition's entry path may not leave middleware_path.
    writeApi(dir, pluginApi('abs', upstream.url, path.join(outside, 'secret.js')));
    writeApi(dir, pluginApi('dotdot', upstream.url, '../outside/secret.js'));
    writeApi(dir, pluginApi('nested', upstream.url, 'sub/../../outside/secret.js'));
    writeApi(dir, pluginApi('cfgdir-out', upstream.url, 'outside/secret.js')); // found via the config's folder
    writeApi(dir, pluginApi('bslash', upstream.url, '..\\outside\\secret.js'));
    writeApi(dir, pluginApi('nul', upstream.url, 'good.js\u0000../../outside/secret.js'));
    fs.symlinkSync(path.join(outside, 'secret.js'), path.join(dir, 'middleware', 'link.js'));
    writeApi(dir, pluginApi('symfile', upstream.url, 'link.js'));
    fs.symlinkSync(outside, path.join(dir, 'middleware', 'linkdir'));
    writeApi(dir, pluginApi('symdir', upstream.url, 'linkdir/secret.js'));
    // An API whose upload folder is a symlink out of middleware_path, and one with a symlinked file in it.
    fs.symlinkSync(outside, path.join(dir, 'middleware', 'linkapi'));
    writeApi(dir, { api_id: 'linkapi', use_keyless: true, proxy: { listen_path: '/linkapi/', target_url: upstream.url } });
    fs.mkdirSync(path.join(dir, 'middleware', 'leaky'));
    fs.symlinkSync(path.join(outside, 'secret.js'), path.join(dir, 'middleware', 'leaky', 'leak.js'));
    writeApi(dir, { api_id: 'leaky', use_keyless: true, proxy: { listen_path: '/leaky/', target_url: upstream.url } });
    // api_id "." or ".." would make the upload folder middleware_path itself or its parent.
    fs.writeFileSync(path.join(dir, 'apps', 'dotdot-id.json'), JSON.stringify({ api_id: '..', use_keyless: true, proxy: { listen_path: '/dotdot-id/', target_url: upstream.url } }));
    fs.writeFileSync(path.join(dir, 'apps', 'dot-id.json'), JSON.stringify({ api_id: '.', use_keyless: true, proxy: { listen_path: '/dot-id/', target_url: upstream.url } }));

    baseline = snapshot(outside);
    gw = await startGateway({ dir });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  it('serves the confined APIs, including a config-folder path that lands in middleware_path', async () => {
    for (const id of ['good', 'cfgdir-in']) {
      const res = await fetch(`${gw.url}/${id}/x`);
      expect(res.status, id).to.equal(200);
      expect((await echoed(res)).headers['x-good']).to.equal('yes');
    }
  });

  it('never loads a middleware path that leaves middleware_path: the API fails closed (500), naming the file and key', async () => {
    const logs = gw.logs.join('');
    for (const id of ['abs', 'dotdot', 'nested', 'cfgdir-out', 'bslash', 'nul', 'symfile', 'symdir']) {
      // The failed-middleware state (middleware_load_failure: "serve_500"): nothing of the file runs.
      expect((await fetch(`${gw.url}/${id}/x`)).status, id).to.equal(500);
      expect(logs, id).to.match(new RegExp(`${id}\\.json \\(api ${id}\\): custom_middleware\\.pre\\[0\\]\\.path`));
    }
    expect(upstream.requests.some((r) => r.headers['x-stolen'])).to.equal(false);
  });

  it('fails an API closed (500) whose upload folder, or a file in it, is a symlink out of middleware_path', async () => {
    const logs = gw.logs.join('');
    for (const id of ['linkapi', 'leaky']) {
      expect((await fetch(`${gw.url}/${id}/x`)).status, id).to.equal(500);
      expect(logs, id).to.include(`${id}.json (api ${id})`);
    }
    expect(logs).to.include('outside middleware_path');
  });

  it('skips definitions whose api_id is "." or "..", naming the file and key', async () => {
    const logs = gw.logs.join('');
    expect(logs).to.match(/dotdot-id\.json[^\n]*api_id/);
    expect(logs).to.match(/\/dot-id\.json[^\n]*api_id/);
    expect((await fetch(`${gw.url}/dotdot-id/x`)).status).to.equal(404);
  });

  it('DELETE /tyk/apis/{id} with a traversing id deletes nothing outside app_path', async () => {
    for (const id of traversals('data')) {
      const res = await rawRequest(gw.port, 'DELETE', `/tyk/apis/${id}`);
      expect(res.status, id).to.equal(400);
      expect(JSON.parse(res.body).message, id).to.match(/^api_id: /);
    }
    outsideUnchanged();
  });

  it('GET and PUT /tyk/apis/{id} with a traversing id neither read nor write outside app_path', async () => {
    const body = JSON.stringify({ use_keyless: true, proxy: { listen_path: '/pwned/', target_url: upstream.url } });
    for (const id of traversals('def')) {
      expect((await rawRequest(gw.port, 'GET', `/tyk/apis/${id}`)).status, id).to.equal(400);
      expect((await rawRequest(gw.port, 'PUT', `/tyk/apis/${id}`, body)).status, id).to.equal(400);
      expect((await rawRequest(gw.port, 'GET', `/tyk/apis/${id}/runtime`)).status, id).to.equal(400);
    }
    outsideUnchanged();
  });

  it('POST /tyk/apis with a traversing api_id in the body writes nothing', async () => {
    for (const apiId of ['../outside/new', '..', '.', '/abs/new', 'a\\..\\b', 'new\u0000', 'new\r\nx', '..hidden', 'a/b', 'a'.repeat(129)]) {
      const res = await rawRequest(gw.port, 'POST', '/tyk/apis', JSON.stringify({ api_id: apiId, use_keyless: true, proxy: { listen_path: '/new/', target_url: upstream.url } }));
      expect(res.status, apiId).to.equal(400);
      expect(JSON.parse(res.body).message, apiId).to.include('api_id');
    }
    outsideUnchanged();
    expect(fs.readdirSync(path.join(dir, 'apps')).filter((n) => !n.endsWith('.json'))).to.deep.equal([]);
  });

  it('the middleware routes refuse a traversing api_id: nothing written, no API served from outside', async () => {
    for (const id of traversals('def')) {
      const put = await rawRequest(gw.port, 'PUT', `/tyk/apis/${id}/middleware/evil.js`, GOOD);
      expect(put.status, id).to.equal(400);
      expect((await rawRequest(gw.port, 'GET', `/tyk/apis/${id}/middleware`)).status, id).to.equal(400);
      expect((await rawRequest(gw.port, 'DELETE', `/tyk/apis/${id}/middleware/secret.js`)).status, id).to.equal(400);
    }
    outsideUnchanged();
    expect((await fetch(`${gw.url}/def/x`)).status).to.equal(404);
    expect(fs.existsSync(path.join(dir, 'middleware', 'evil.js'))).to.equal(false);
  });

  it('middleware file names are one plain file name: traversing names are refused', async () => {
    const names = [...traversals('evil.js'), '.hidden.js', 'evil', 'evil.js%2F', '%2Fevil.js'];
    for (const name of names) {
      const put = await rawRequest(gw.port, 'PUT', `/tyk/apis/good/middleware/${name}`, GOOD);
      expect(put.status, name).to.be.oneOf([400, 404]);
      const del = await rawRequest(gw.port, 'DELETE', `/tyk/apis/good/middleware/${name.replace('evil', 'secret')}`);
      expect(del.status, name).to.be.oneOf([400, 404]);
    }
    outsideUnchanged();
    expect(fs.readdirSync(path.join(dir, 'middleware')).sort()).to.deep.equal(['good.js', 'leaky', 'link.js', 'linkapi', 'linkdir']);
  });

  it('an upload into an upload folder that is a symlink out of middleware_path is refused', async () => {
    const put = await rawRequest(gw.port, 'PUT', '/tyk/apis/linkapi/middleware/evil.js', GOOD);
    expect(put.status).to.equal(400);
    expect(JSON.parse(put.body).message).to.include('outside middleware_path');
    const read = await rawRequest(gw.port, 'GET', '/tyk/apis/linkapi/middleware/secret.js');
    expect(read.status).to.equal(400);
    expect(JSON.parse(read.body).message).to.include('outside middleware_path');
    expect(read.body).to.not.include('X-Stolen');
    const leak = await rawRequest(gw.port, 'GET', '/tyk/apis/leaky/middleware/leak.js');
    expect(leak.status).to.equal(404);
    expect(leak.body).to.not.include('X-Stolen');
    const list = await rawRequest(gw.port, 'GET', '/tyk/apis/linkapi/middleware');
    expect(list.body).to.not.include('secret.js');
    outsideUnchanged();
  });

  it('a reload keeps refusing them, and the good APIs keep serving', async () => {
    const report = await gw.reload();
    expect(report.message).to.include('symdir.json');
    expect((await fetch(`${gw.url}/good/x`)).status).to.equal(200);
    outsideUnchanged();
  });
});
