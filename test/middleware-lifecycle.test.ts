import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { startGateway, makeWorkspace, writeApi, writeMiddleware, hookedApi, type ApiDef, type RunningGateway } from './helpers/gateway';
import { startRecordingServer, type RecordingServer, echoed, readJson, tykReply, type Echoed } from './helpers/http';
import { sleep } from './helpers/poll';

const version = (n: number | string) => `function tag(request) { request.set_headers['X-Version'] = '${n}'; }\n`;

/** An API whose one pre hook `tag` lives in middleware/<apiId>/tag.js. */
const taggedApi = (apiId: string, target: string, extra: Record<string, unknown> = {}): ApiDef =>
  hookedApi(apiId, target, { driver: 'isolate', pre: [{ name: 'tag' }] }, extra);

/** Several keep-alive clients hammering `path` until stopped; collects every status and X-Version seen. */
function load(url: string, clients = 6) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const statuses = new Map<number | 'error', number>();
  const versions = new Set<string>();
  let running = true;
  const one = () => new Promise<void>((resolve) => {
    http.get(url, { agent }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d));
      res.on('end', () => {
        statuses.set(res.statusCode!, (statuses.get(res.statusCode!) || 0) + 1);
        if (res.statusCode === 200) versions.add((JSON.parse(data) as Echoed).headers['x-version'] as string);
        resolve();
      });
    }).on('error', () => {
      statuses.set('error', (statuses.get('error') || 0) + 1);
      resolve();
    });
  });
  const loops = Array.from({ length: clients }, async () => {
    while (running) await one();
  });
  return {
    statuses,
    versions,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

describe('middleware lifecycle: upload, validate, swap, reload', function () {
  let upstream: RecordingServer;
  let gw: RunningGateway;
  const upload = (apiId: string, file: string, code: string) => gw.admin(`/tyk/apis/${apiId}/middleware/${file}`, { method: 'PUT', body: code, headers: { 'content-type': 'application/javascript' } });
  const versionOf = async (apiId: string) => (await echoed(await fetch(`${gw.url}/${apiId}/x`))).headers['x-version'];

  before(async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'live/tag.js', version(1));
    writeMiddleware(dir, 'other/tag.js', version('other-1'));
    writeApi(dir, taggedApi('live', upstream.url));
    writeApi(dir, taggedApi('other', upstream.url));
    gw = await startGateway({ dir, config: { isolate_options: { max_upload_bytes: 64 * 1024 } } });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  it('lists and reads the uploaded files with sizes and hashes', async () => {
    const list = await readJson<{ files: { name: string; size: number; sha256: string }[] }>(await gw.admin('/tyk/apis/live/middleware'));
    expect(list.files).to.have.length(1);
    expect(list.files[0]).to.include({ name: 'tag.js', size: version(1).length });
    expect(list.files[0]!.sha256).to.match(/^[0-9a-f]{64}$/);
    const one = await gw.admin('/tyk/apis/live/middleware/tag.js');
    expect(await one.text()).to.equal(version(1));
  });

  it('rejects a syntax error with file, line and column; the old code keeps answering', async () => {
    const res = await upload('live', 'tag.js', 'function tag(request) {\n  request.set_headers[ = 1;\n}\n');
    expect(res.status).to.equal(400);
    const { message } = await tykReply(res);
    expect(message).to.include('tag.js');
    expect(message).to.match(/:2:\d+|line 2/);
    expect(await versionOf('live')).to.equal('1');
    expect(fs.readFileSync(path.join(gw.dir, 'middleware', 'live', 'tag.js'), 'utf8')).to.equal(version(1));
  });

  it('rejects code without the hook function, naming it; the old code keeps answering', async () => {
    const res = await upload('live', 'tag.js', 'function notTag() {}\n');
    expect(res.status).to.equal(400);
    expect((await tykReply(res)).message).to.include('tag');
    expect(await versionOf('live')).to.equal('1');
  });

  it('refuses path traversal and odd names, unknown APIs, and oversized uploads', async () => {
    for (const name of ['..%2F..%2Fevil.js', '.hidden.js', 'x.txt', '..%2Fother%2Ftag.js']) {
      const res = await upload('live', name, version('evil'));
      expect(res.status, name).to.be.oneOf([400, 404]);
    }
    expect(fs.readFileSync(path.join(gw.dir, 'middleware', 'other', 'tag.js'), 'utf8')).to.equal(version('other-1'));
    expect((await upload('no-such-api', 'tag.js', version(2))).status).to.equal(404);
    expect((await upload('live', 'big.js', `// ${'x'.repeat(70 * 1024)}\n${version(2)}`)).status).to.equal(413);
    expect(await versionOf('live')).to.equal('1');
  });

  it('an upload is live at once under continuous load, with zero non-200 responses', async () => {
    const traffic = load(`${gw.url}/live/x`);
    await sleep(300);
    for (let v = 2; v <= 6; v++) {
      const res = await upload('live', 'tag.js', version(v));
      expect(res.status).to.equal(200);
      expect(await versionOf('live')).to.equal(String(v));
      await sleep(100);
    }
    await traffic.stop();
    expect([...traffic.statuses.keys()]).to.deep.equal([200]);
    expect(traffic.versions.has('6')).to.equal(true);
  });

  it('a reload under load drops nothing, and a changed definition rebuilds only its own isolate', async () => {
    const genOf = async (id: string) => Number((await gw.admin(`/tyk/apis/${id}`)).headers.get('x-isogate-generation'));
    const liveGen = await genOf('live');
    const otherGen = await genOf('other');
    const traffic = load(`${gw.url}/live/x`);
    const trafficOther = load(`${gw.url}/other/x`, 2);
    await sleep(200);
    const def = taggedApi('other', upstream.url, { config_data: { changed: true } });
    fs.writeFileSync(path.join(gw.dir, 'apps', 'other.json'), JSON.stringify(def));
    const report = await gw.reload();
    expect(report.status).to.equal('ok');
    await gw.reload();
    await sleep(200);
    await traffic.stop();
    await trafficOther.stop();
    expect([...traffic.statuses.keys()]).to.deep.equal([200]);
    expect([...trafficOther.statuses.keys()]).to.deep.equal([200]);
    expect(await genOf('live')).to.equal(liveGen);
    expect(await genOf('other')).to.equal(otherGen + 1);
  });

  it('a reload whose new version fails keeps the old one serving and says why', async () => {
    fs.writeFileSync(path.join(gw.dir, 'middleware', 'other', 'tag.js'), 'function tag( {');
    const res = await gw.admin('/tyk/reload?block=true');
    const body = await tykReply(res);
    expect(body.message).to.include('tag.js');
    expect(await versionOf('other')).to.equal('other-1');
    fs.writeFileSync(path.join(gw.dir, 'middleware', 'other', 'tag.js'), version('other-1'));
  });

  it('deletes an uploaded file only when the API still builds without it', async () => {
    expect((await upload('live', 'extra.js', 'function helper() { return 1; }\n')).status).to.equal(200);
    expect((await gw.admin('/tyk/apis/live/middleware/extra.js', { method: 'DELETE' })).status).to.equal(200);
    const refused = await gw.admin('/tyk/apis/live/middleware/tag.js', { method: 'DELETE' });
    expect(refused.status).to.equal(400);
    expect(await versionOf('live')).to.equal('6');
  });
});
