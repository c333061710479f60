// PUT /tyk/apis/{id}/bundle (our extension): a zip verified as a downloaded bundle is, stored per
// API, and swapped in without dropping requests; bad uploads change nothing.
import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startGateway, makeWorkspace, writeApi, keylessApi, SECRET, type RunningGateway } from './helpers/gateway';
import { type Echoed, type RecordingServer, startRecordingServer } from './helpers/http';
import { sleep } from './helpers/poll';
import { buildBundle, ensureBundleTools, type KeyPair, listFiles, makeKeys, type Manifest, rawZip, startBundleServer, steadyLoad, tamper } from './helpers/bundles';

interface UploadReply {
  status: string;
  message?: string;
  action?: string;
  api_id?: string;
  generation?: number;
  signature_verified?: boolean;
  bundle?: { name: string; origin: string; dir: string; signed: boolean };
}

const MW = "function tag(request) { request.set_headers['X-Bundle'] = VERSION; }\n";
const files = (version: string): Record<string, string> => ({ 'mw.js': MW, 'version.js': `var VERSION = '${version}';\n` });
const manifest: Manifest = { file_list: ['mw.js', 'version.js'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tag', path: 'mw.js' }] } };

describe('PUT /tyk/apis/{id}/bundle', function () {
  this.timeout(120000);
  let tmp: string;
  let keys: KeyPair;
  let upstream: RecordingServer;
  let gw: RunningGateway;
  let ws: string;
  const zips: Record<string, Buffer> = {};
  const put = (apiId: string, body: Uint8Array) => gw.admin(`/tyk/apis/${apiId}/bundle`, { method: 'PUT', body, headers: { 'content-type': 'application/zip' } });
  /** PUT with the path sent exactly as written (fetch would resolve `..` and `%2e%2e` first). */
  const rawPut = (id: string, body: Uint8Array) => new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: gw.port, method: 'PUT', path: `/tyk/apis/${id}/bundle`, headers: { 'x-tyk-authorization': SECRET, 'content-type': 'application/zip', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
  const seen = async (apiId: string): Promise<string | undefined> => {
    const res = await fetch(`${gw.url}/${apiId}/x`);
    expect(res.status).to.equal(200);
    return (await res.json() as Echoed).headers['x-bundle'] as string | undefined;
  };

  before(async function () {
    this.timeout(300_000);
    if (!(await ensureBundleTools())) this.skip(); // only where openssl/zip cannot be installed
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'isogate-bundle-up-'));
    keys = await makeKeys(path.join(tmp, 'keys'));
    const other = await makeKeys(path.join(tmp, 'keys'), 'other-');
    for (const v of ['v1', 'v2']) zips[v] = (await buildBundle(tmp, { files: files(v), manifest, key: keys.priv })).bytes;
    zips.unsigned = (await buildBundle(tmp, { files: files('unsigned'), manifest })).bytes;
    zips.foreign = (await buildBundle(tmp, { files: files('foreign'), manifest, key: other.priv })).bytes;
    zips.badHook = (await buildBundle(tmp, { files: files('bad'), manifest: { ...manifest, custom_middleware: { driver: 'isolate', pre: [{ name: 'nowhere', path: 'mw.js' }] } }, key: keys.priv })).bytes;
    upstream = await startRecordingServer();
    ws = makeWorkspace();
    writeApi(ws, keylessApi('up', '/up/', upstream.url));
    writeApi(ws, keylessApi('neighbour', '/neighbour/', upstream.url));
    writeApi(ws, { ...keylessApi('nobundles', '/nobundles/', upstream.url), custom_middleware_bundle_disabled: true });
    gw = await startGateway({ dir: ws, config: { public_key_path: keys.pub, bundle_options: { max_download_bytes: 256 * 1024 } } });
  });
  after(async () => {
    await gw?.stop();
    await upstream?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a signed upload replaces the definition\'s middleware, is stored under middleware_path/bundles/uploads/{id}/, and survives a restart', async () => {
    expect(await seen('up')).to.equal(undefined);
    const res = await put('up', zips.v1);
    const body = (await res.json()) as UploadReply;
    expect(res.status, JSON.stringify(body)).to.equal(200);
    expect(body).to.include({ status: 'ok', action: 'uploaded', api_id: 'up', signature_verified: true });
    expect(body.bundle).to.include({ name: '(upload)', origin: 'upload', signed: true });
    expect(await seen('up')).to.equal('v1');
    const stored = listFiles(path.join(ws, 'middleware', 'bundles', 'uploads'));
    expect(stored).to.have.length(4);
    expect(stored).to.include('up/CURRENT');
    expect(stored.filter((f) => /^up\/[0-9a-f]{16}\/(manifest\.json|mw\.js|version\.js)$/.test(f))).to.have.length(3);
    const info = (await (await gw.admin('/tyk/apis/up/bundle')).json()) as UploadReply;
    expect(info.bundle!.dir).to.equal(path.join(ws, 'middleware', 'bundles', 'uploads', stored.find((f) => f.endsWith('manifest.json'))!.split('/').slice(0, 2).join('/')));

    await gw.stop();
    gw = await startGateway({ dir: ws, config: { public_key_path: keys.pub, bundle_options: { max_download_bytes: 256 * 1024 } } });
    expect(await seen('up')).to.equal('v1');
  });

  it('refused uploads answer 400 with the reason and change nothing', async () => {
    const cases: [Uint8Array, string][] = [
      [zips.unsigned, "Bundle isn't signed"],
      [zips.foreign, 'invalid signature'],
      [tamper(zips.v2, 'version.js', "var VERSION = 'evil';\n"), 'invalid checksum'],
      [rawZip([['manifest.json', JSON.stringify(manifest)], ['../../../escape-upload.js', 'x']]), 'entry "../../../escape-upload.js" contains ".."'],
      [rawZip([['manifest.json', JSON.stringify(manifest)], ['mw.js', '/etc/passwd', { os: 3, attrs: 0o120777 << 16 }]]), 'is a symbolic link'],
      [Buffer.from('not a zip'), 'not a zip file'],
      [zips.badHook, 'nowhere'],
      [Buffer.alloc(0), 'the upload is empty'],
    ];
    const before = listFiles(path.join(ws, 'middleware', 'bundles'));
    for (const [bytes, reason] of cases) {
      const res = await put('up', bytes);
      const body = (await res.json()) as UploadReply;
      expect(res.status, reason).to.equal(400);
      expect(body.status).to.equal('error');
      expect(body.message, reason).to.include(reason);
      expect(await seen('up')).to.equal('v1');
    }
    const tooBig = await put('up', Buffer.alloc(300 * 1024, 1));
    expect(tooBig.status).to.equal(413);
    expect(listFiles(path.join(ws, 'middleware', 'bundles'))).to.deep.equal(before);
    expect(fs.existsSync(path.join(ws, 'escape-upload.js'))).to.equal(false);
    expect(fs.existsSync(path.join(ws, 'middleware', 'escape-upload.js'))).to.equal(false);
  });

  it('hostile or unknown API ids are refused and nothing is written outside middleware_path/bundles/uploads', async () => {
    const before = listFiles(ws);
    const cases: [string, number][] = [['..', 400], ['%2e%2e', 400], ['..%2F..%2Fapps', 400], ['.hidden', 400], ['a%00b', 400], ['a%0D%0Ab', 400], ['nope', 404]];
    for (const [id, status] of cases) {
      expect(await rawPut(id, zips.v2!), id).to.equal(status);
    }
    const nope = (await (await gw.admin('/tyk/apis/nope/runtime')).json()) as UploadReply;
    expect(nope.message).to.equal('API not found');
    expect(listFiles(ws)).to.deep.equal(before);
  });

  it('an API with custom_middleware_bundle_disabled takes no upload; a bundle API takes no middleware file upload', async () => {
    const res = await put('nobundles', zips.v2);
    expect(res.status).to.equal(400);
    expect(((await res.json()) as UploadReply).message).to.include('custom_middleware_bundle_disabled is true');
    const mw = await gw.admin('/tyk/apis/up/middleware/x.js', { method: 'PUT', body: 'function x() {}', headers: { 'content-type': 'application/javascript' } });
    expect(mw.status).to.equal(400);
    expect(((await mw.json()) as UploadReply).message).to.include('takes its middleware from its bundle');
  });

  it('a new upload is swapped in under load with zero failed requests, without touching other APIs', async () => {
    const generationOf = async (apiId: string) => ((await (await gw.admin(`/tyk/apis/${apiId}/runtime`)).json()) as UploadReply).generation;
    const neighbourBefore = await generationOf('neighbour');
    const traffic = steadyLoad(`${gw.url}/up/x`);
    try {
      await sleep(300);
      const res = await put('up', zips.v2);
      expect(res.status).to.equal(200);
      await sleep(300);
    } finally {
      await traffic.stop();
    }
    expect([...traffic.statuses.keys()]).to.deep.equal([200]);
    expect([...traffic.seen].sort()).to.deep.equal(['v1', 'v2']);
    expect(await seen('up')).to.equal('v2');
    // Only the current version is kept.
    expect(listFiles(path.join(ws, 'middleware', 'bundles', 'uploads')).filter((f) => f.endsWith('manifest.json'))).to.have.length(1);
    expect(await generationOf('neighbour')).to.equal(neighbourBefore);
  });

  it('DELETE drops the upload: the API goes back to its definition', async () => {
    const res = await gw.admin('/tyk/apis/up/bundle', { method: 'DELETE' });
    expect(res.status).to.equal(200);
    expect(await seen('up')).to.equal(undefined);
    expect(fs.existsSync(path.join(ws, 'middleware', 'bundles', 'uploads', 'up'))).to.equal(false);
    expect((await gw.admin('/tyk/apis/up/bundle', { method: 'DELETE' })).status).to.equal(404);
    expect((await gw.admin('/tyk/apis/up/bundle')).status).to.equal(404);
  });

  it('an upload stands in for custom_middleware_bundle; removing it downloads the named bundle', async () => {
    const server = await startBundleServer();
    const ws2 = makeWorkspace();
    let gw2: RunningGateway | undefined;
    try {
      server.put('named.zip', (await buildBundle(tmp, { files: files('named'), manifest, key: keys.priv })).bytes);
      writeApi(ws2, keylessApi('both', '/both/', upstream.url));
      gw2 = await startGateway({ dir: ws2, config: { public_key_path: keys.pub, enable_bundle_downloader: true, bundle_base_url: server.base } });
      const put2 = (body: Uint8Array) => gw2!.admin('/tyk/apis/both/bundle', { method: 'PUT', body, headers: { 'content-type': 'application/zip' } });
      const seen2 = async () => ((await (await fetch(`${gw2!.url}/both/x`)).json()) as Echoed).headers['x-bundle'];
      expect((await put2(zips.v1)).status).to.equal(200);
      // The definition now names a bundle: the upload takes precedence, nothing is downloaded.
      writeApi(ws2, { ...keylessApi('both', '/both/', upstream.url), custom_middleware_bundle: 'named.zip' });
      expect((await gw2.reload()).message ?? '').to.equal('');
      expect(await seen2()).to.equal('v1');
      expect(server.count('named.zip')).to.equal(0);
      const res = await gw2.admin('/tyk/apis/both/bundle', { method: 'DELETE' });
      expect(res.status, JSON.stringify(await res.clone().json())).to.equal(200);
      expect(await seen2()).to.equal('named');
      expect(server.count('named.zip')).to.equal(1);
    } finally {
      await gw2?.stop();
      await server.close();
    }
  });
});
