// Plugin bundles in a real gateway: bundles built by `isogate bundle build`, served by a loopback
// HTTP (or https, or file://) bundle server, downloaded, extracted, verified and run. Every
// failure keeps only its own API out, with the reason in /tyk/reload and /tyk/apis/{id}/runtime.
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startGateway, makeWorkspace, writeApi, keylessApi, type ApiDef, type GatewayOptions, type RunningGateway } from './helpers/gateway';
import { type Echoed, type RecordingServer, startRecordingServer } from './helpers/http';
import { sleep } from './helpers/poll';
import { freePort } from './helpers/ports';
import { buildBundle, type BundleServer, ensureBundleTools, type KeyPair, lieAboutSize, listFiles, makeKeys, type Manifest, rawZip, startBundleServer, steadyLoad, tamper, tool } from './helpers/bundles';
import { startNodePluginServer } from './fixtures/grpc/node-plugin-server';
import { pythonOrSkip } from './fixtures/python/harness';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

const TAG = `
function tag(request, session, metadata, spec) {
  request.set_headers['X-Bundle'] = VERSION;
  request.set_headers['X-Bundle-Hash'] = spec.bundle_hash;
}
`;
const CHECK = `
function checkToken(request) {
  const token = request.headers['Authorization'];
  if (token !== 'let-me-in') return { request };
  request.set_headers['X-Auth-Ran'] = 'yes';
  return { request, session: { rate: 1000, per: 1, quota_max: -1, id_extractor_deadline: Math.floor(Date.now() / 1000) + 60 }, metadata: { token } };
}
`;
const MW = TAG + CHECK;
const files = (version: string): Record<string, string> => ({ 'mw.js': MW, 'version.js': `var VERSION = '${version}';\n` });
const manifest = (cm: Record<string, unknown> = {}): Manifest => ({ file_list: ['mw.js', 'version.js'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tag', path: 'mw.js' }], ...cm } });

function bundleApi(apiId: string, bundle: string, target: string, extra: Record<string, unknown> = {}): ApiDef {
  return { ...keylessApi(apiId, `/${apiId}/`, target), custom_middleware_bundle: bundle, ...extra };
}

interface Through {
  status: number;
  /** What the upstream saw (200 only). */
  headers: Record<string, string | undefined>;
  body?: string;
}

/** What the upstream saw for GET /{apiId}/x, or the gateway's status when it did not answer 200. */
async function through(gw: RunningGateway, apiId: string, headers: Record<string, string> = {}): Promise<Through> {
  const res = await fetch(`${gw.url}/${apiId}/x`, { headers });
  const text = await res.text();
  return res.status === 200 ? { status: 200, headers: (JSON.parse(text) as Echoed).headers as Record<string, string> } : { status: res.status, headers: {}, body: text };
}

/** The runtime report's fields these tests read. */
interface Runtime {
  status?: string;
  message?: string;
  api_id?: string;
  driver?: string;
  /** Why it (or its newer version) failed to load or build. */
  error?: string;
  file?: string;
  bundle_downloading?: boolean;
  bundle?: { name: string; origin: string; dir: string; checksums: string[]; signed: boolean; verified: boolean };
}

async function runtime(gw: RunningGateway, apiId: string): Promise<{ status: number; body: Runtime }> {
  const res = await gw.admin(`/tyk/apis/${apiId}/runtime`);
  return { status: res.status, body: (await res.json()) as Runtime };
}

const reloadMessage = async (gw: RunningGateway): Promise<string> => (await gw.reload()).message ?? '';

describe('plugin bundles in the gateway', function () {
  this.timeout(120000);
  let tmp: string;
  let keys: KeyPair;
  let other: KeyPair;
  let upstream: RecordingServer;
  let server: BundleServer;
  const gateways: RunningGateway[] = [];
  const start = async (opts: GatewayOptions) => {
    const gw = await startGateway(opts);
    gateways.push(gw);
    return gw;
  };

  before(async function () {
    this.timeout(300_000);
    if (!(await ensureBundleTools())) this.skip(); // only where openssl/zip cannot be installed
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'isogate-bundle-gw-'));
    keys = await makeKeys(path.join(tmp, 'keys'));
    other = await makeKeys(path.join(tmp, 'keys'), 'other-');
    upstream = await startRecordingServer();
    server = await startBundleServer();
  });
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gw) => gw.stop()));
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('with public_key_path', () => {
    it('a signed bundle serves its hooks (file_list scripts, auth_check with the ID extractor, bundle_hash = MD5 of the name)', async () => {
      const b = await buildBundle(tmp, { files: files('signed-v1'), manifest: manifest({ auth_check: { name: 'checkToken', path: 'mw.js' }, id_extractor: { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } } }), key: keys.priv });
      server.put('signed-v1.zip', b.bytes);
      const ws = makeWorkspace();
      writeApi(ws, bundleApi('signed', 'signed-v1.zip', upstream.url, { use_keyless: false, custom_plugin_auth_enabled: true }));
      const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base, public_key_path: keys.pub } });

      expect((await through(gw, 'signed')).status).to.equal(400); // the ID extractor finds no Authorization
      expect((await through(gw, 'signed', { Authorization: 'nope' })).status).to.equal(403);
      const first = await through(gw, 'signed', { Authorization: 'let-me-in' });
      expect(first.status).to.equal(200);
      expect(first.headers['x-bundle']).to.equal('signed-v1');
      expect(first.headers['x-bundle-hash']).to.equal(md5('signed-v1.zip'));
      expect(first.headers['x-auth-ran']).to.equal('yes');
      // The second request is served by the ID extractor's cache: auth_check does not run.
      const second = await through(gw, 'signed', { Authorization: 'let-me-in' });
      expect(second.headers['x-bundle']).to.equal('signed-v1');
      expect(second.headers['x-auth-ran']).to.equal(undefined);

      const rt = await runtime(gw, 'signed');
      expect(rt.body).to.include({ status: 'serving', driver: 'isolate' });
      const dir = path.join(ws, 'middleware', 'bundles', md5('signed-v1.zip'));
      expect(rt.body.bundle).to.deep.equal({ name: 'signed-v1.zip', origin: 'download', dir, checksums: [b.manifest.checksum], signed: true, verified: true });
      expect(listFiles(path.join(ws, 'middleware', 'bundles'))).to.deep.equal([`${md5('signed-v1.zip')}/manifest.json`, `${md5('signed-v1.zip')}/mw.js`, `${md5('signed-v1.zip')}/version.js`]);
    });

    it('each verification or fetch failure: that API is absent (404), its reason is in the log, /tyk/reload and its runtime, its folder is deleted; the others serve', async () => {
      const good = await buildBundle(tmp, { files: files('good'), manifest: manifest(), key: keys.priv });
      const unsigned = await buildBundle(tmp, { files: files('unsigned'), manifest: manifest() });
      const foreign = await buildBundle(tmp, { files: files('foreign'), manifest: manifest(), key: other.priv });
      server.put('good.zip', good.bytes);
      server.put('unsigned.zip', unsigned.bytes);
      server.put('tampered.zip', tamper(good.bytes, 'version.js', "var VERSION = 'evil';\n"));
      server.put('foreign.zip', foreign.bytes);
      server.put('garbage.zip', Buffer.from('PK\u0003\u0004 but not really a zip'));
      server.put('no-manifest.zip', rawZip([['mw.js', MW]]));
      const ws = makeWorkspace();
      const failing: Record<string, [string, string]> = {
        unsigned: ['unsigned.zip', "Bundle isn't signed"],
        tampered: ['tampered.zip', 'invalid checksum'],
        foreign: ['foreign.zip', `invalid signature: it does not verify with public_key_path (${keys.pkcs1})`],
        missing: ['missing.zip', `GET ${server.base}missing.zip: HTTP 404 Not Found`],
        garbage: ['garbage.zip', 'not a zip file'],
        nomanifest: ['no-manifest.zip', 'manifest.json: missing from the bundle'],
      };
      writeApi(ws, bundleApi('good', 'good.zip', upstream.url));
      writeApi(ws, keylessApi('plain', '/plain/', upstream.url));
      for (const [id, [bundle]] of Object.entries(failing)) writeApi(ws, bundleApi(id, bundle, upstream.url));
      // The key in its PKCS#1 ("RSA PUBLIC KEY") form.
      const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base, public_key_path: keys.pkcs1 } });

      expect((await through(gw, 'good')).headers['x-bundle']).to.equal('good');
      expect((await through(gw, 'plain')).status).to.equal(200);
      const reply = (await gw.reload()) as { status: string; message?: string; failed?: { api_id?: string; error: string }[] };
      expect(reply.status).to.equal('error');
      expect(reply.failed!.map((f) => f.api_id).sort()).to.deep.equal(Object.keys(failing).sort());
      const reload = reply.message ?? '';
      for (const [id, [bundle, reason]] of Object.entries(failing)) {
        const res = await fetch(`${gw.url}/${id}/x`);
        expect(res.status, id).to.equal(404);
        expect(await res.json()).to.deep.equal({ error: 'Not Found' });
        const rt = await runtime(gw, id);
        expect(rt.status, id).to.equal(200);
        expect(rt.body).to.include({ status: 'failed', api_id: id, file: path.join(ws, 'apps', `${id}.json`) });
        expect(rt.body.error, id).to.include(reason).and.to.include(`custom_middleware_bundle "${bundle}"`).and.to.include(`(api ${id})`);
        expect(reload, id).to.include(reason);
        expect(gw.logs.join(''), id).to.include(reason);
        expect(fs.existsSync(path.join(ws, 'middleware', 'bundles', md5(bundle))), id).to.equal(false);
      }
      // The reload tried the failed ones again and left the good ones as they were.
      expect((await through(gw, 'good')).headers['x-bundle']).to.equal('good');
      expect(listFiles(path.join(ws, 'middleware', 'bundles')).every((f) => f.startsWith(`${md5('good.zip')}/`))).to.equal(true);
      expect(server.count('good.zip')).to.equal(1);
    });
  });

  describe('without public_key_path', () => {
    it('an unsigned bundle loads on its checksum; a tampered one is still refused (the checksum is always checked on a download)', async () => {
      const unsigned = await buildBundle(tmp, { files: files('nokey'), manifest: manifest() });
      server.put('nokey.zip', unsigned.bytes);
      server.put('nokey-tampered.zip', tamper(unsigned.bytes, 'mw.js', MW.replace('VERSION', "'evil'")));
      const ws = makeWorkspace();
      writeApi(ws, bundleApi('nokey', 'nokey.zip', upstream.url));
      writeApi(ws, bundleApi('tampered', 'nokey-tampered.zip', upstream.url));
      const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base } });
      expect((await through(gw, 'nokey')).headers['x-bundle']).to.equal('nokey');
      expect((await runtime(gw, 'nokey')).body.bundle).to.include({ signed: false, verified: true });
      expect((await through(gw, 'tampered')).status).to.equal(404);
      expect((await runtime(gw, 'tampered')).body.error).to.include('invalid checksum');
    });

    it('hostile zips (zip-slip, absolute, symlink, NUL/CR names, bombs, too many entries) are refused; nothing is written outside; the others serve', async () => {
      const m = JSON.stringify(manifest());
      const ok = files('ok');
      const zeros = Buffer.alloc(8 * 1024 * 1024);
      const hostile: Record<string, [Parameters<typeof rawZip>[0] | null, string]> = {
        slip: [[['manifest.json', m], ['mw.js', ok['mw.js']], ['version.js', ok['version.js']], ['../../escape-gw.js', 'pwned']], 'entry "../../escape-gw.js" contains ".."'],
        abs: [[['manifest.json', m], [`${tmp}/escape-abs.js`, 'pwned']], `entry "${tmp}/escape-abs.js" is absolute`],
        symlink: [[['manifest.json', m], ['mw.js', '/etc/passwd', { os: 3, attrs: 0o120777 << 16 }]], 'entry "mw.js" is a symbolic link'],
        nul: [[['manifest.json', m], ['mw\u0000.js', 'x']], 'entry "mw\\u0000.js" contains a NUL character'],
        crlf: [[['manifest.json', m], ['a\r\nb.js', 'x']], 'entry "a\\r\\nb.js" contains a control character'],
        backslash: [[['manifest.json', m], ['..\\..\\escape-win.js', 'x']], 'contains a backslash'],
        bomb: [[['manifest.json', m], ['zeros.bin', zeros, { level: 9 }]], 'expands to more than bundle_options.max_uncompressed_bytes (4194304 bytes)'],
        many: [[['manifest.json', m], ...Array.from({ length: 60 }, (_, i): [string, string] => [`f${i}.txt`, 'x'])], 'has 61 entries, more than bundle_options.max_entries (50)'],
        hookslip: [[['manifest.json', JSON.stringify({ ...manifest(), custom_middleware: { driver: 'isolate', pre: [{ name: 'tag', path: 'lib/../../outside.js' }] } })]], 'manifest.json: custom_middleware.pre[0].path: "lib/../../outside.js" contains ".."'],
        listslip: [[['manifest.json', JSON.stringify({ ...manifest(), file_list: ['/etc/passwd'] })]], 'manifest.json: file_list[0]: "/etc/passwd" is absolute'],
      };
      for (const [id, [entries]] of Object.entries(hostile)) server.put(`${id}.zip`, rawZip(entries!));
      // Past bundle_options.max_download_bytes: refused on the declared length, or while streaming.
      const blob = randomBytes(1536 * 1024);
      server.put('huge.zip', blob);
      server.put('streamed.zip', blob);
      server.chunked.add('/streamed.zip');
      hostile.huge = [null, `GET ${server.base}huge.zip: ${blob.length} bytes, more than bundle_options.max_download_bytes (1048576)`];
      hostile.streamed = [null, `GET ${server.base}streamed.zip: more than bundle_options.max_download_bytes (1048576) bytes`];
      // A zip that lies: it declares 100 bytes for an entry that inflates to 8 MiB. The entry is
      // cut at the declared size (memory stays bounded), so the checksum over it fails.
      const liar = await buildBundle(tmp, { files: { 'mw.js': MW, 'version.js': "var VERSION = 'liar';\n", 'big.js': zeros }, manifest: { ...manifest(), file_list: ['mw.js', 'version.js', 'big.js'] } });
      server.put('liar.zip', lieAboutSize(liar.bytes, 'big.js', 100));
      const bomb = rawZip(hostile.bomb![0]!);
      expect(bomb.length, 'the bomb is small on the wire').to.be.below(64 * 1024);

      const ws = makeWorkspace();
      writeApi(ws, keylessApi('plain', '/plain/', upstream.url));
      const okBundle = await buildBundle(tmp, { files: ok, manifest: manifest() });
      server.put('fine.zip', okBundle.bytes);
      writeApi(ws, bundleApi('fine', 'fine.zip', upstream.url));
      for (const id of [...Object.keys(hostile), 'liar']) writeApi(ws, bundleApi(id, `${id}.zip`, upstream.url));
      const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base, bundle_options: { max_uncompressed_bytes: 4 * 1024 * 1024, max_entries: 50, max_download_bytes: 1024 * 1024 } } });

      expect((await through(gw, 'plain')).status).to.equal(200);
      expect((await through(gw, 'fine')).headers['x-bundle']).to.equal('ok');
      for (const [id, [, reason]] of [...Object.entries(hostile), ['liar', [null, 'invalid checksum']] as const]) {
        expect((await through(gw, id)).status, id).to.equal(404);
        const rt = await runtime(gw, id);
        expect(rt.body.status, id).to.equal('failed');
        expect(rt.body.error, id).to.include(reason);
      }
      // Nothing escaped the bundles folder, and no extraction was left behind.
      for (const escaped of [path.join(ws, 'escape-gw.js'), path.join(ws, 'middleware', 'escape-gw.js'), path.join(tmp, 'escape-abs.js'), path.join(ws, 'middleware', 'bundles', '..', '..', 'escape-gw.js')]) {
        expect(fs.existsSync(escaped), escaped).to.equal(false);
      }
      expect(listFiles(path.join(ws, 'middleware', 'bundles')).every((f) => f.startsWith(`${md5('fine.zip')}/`))).to.equal(true);
      expect(fs.readdirSync(path.join(ws, 'middleware', 'bundles'))).to.deep.equal([md5('fine.zip')]);
      expect(server.count('huge.zip')).to.equal(1); // a size refusal is not retried
    });

    it('hostile bundle names never reach the bundle server; the API is refused naming custom_middleware_bundle', async () => {
      const ws = makeWorkspace();
      const names: Record<string, [string, string]> = {
        dotdot: ['../../etc/passwd', 'contains ".."'],
        url: ['http://evil.example/x.zip', 'is a URL'],
        absolute: ['/etc/passwd', 'is absolute'],
        encoded: ['a%2F..%2Fb.zip', 'has the segment "a%2F..%2Fb.zip"'],
        empty: ['a.zip,,b.zip', 'bundle 2 ("") is empty'],
        twice: ['a.zip,a.zip', '"a.zip" is listed twice'],
      };
      for (const [id, [bundle]] of Object.entries(names)) writeApi(ws, bundleApi(id, bundle, upstream.url));
      // Control characters are refused by the definition schema itself.
      writeApi(ws, bundleApi('crlf', 'x.zip\r\nHost: evil', upstream.url));
      // Disabled: the definition's own middleware serves, nothing is fetched.
      writeApi(ws, bundleApi('disabled', 'never.zip', upstream.url, { custom_middleware_bundle_disabled: true }));
      writeApi(ws, keylessApi('plain', '/plain/', upstream.url));
      const before = server.requests.length;
      const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base } });
      expect((await through(gw, 'plain')).status).to.equal(200);
      for (const [id, [, reason]] of Object.entries(names)) {
        expect((await through(gw, id)).status, id).to.equal(404);
        expect((await runtime(gw, id)).body.error, id).to.include('custom_middleware_bundle: ').and.to.include(reason);
      }
      expect((await runtime(gw, 'crlf')).body.error).to.include('custom_middleware_bundle: must match pattern');
      expect((await through(gw, 'disabled')).status).to.equal(200);
      expect((await runtime(gw, 'disabled')).body).to.not.have.property('bundle');
      expect(server.requests.slice(before)).to.deep.equal([]);
    });

    it('several bundles (comma-separated) merge as Tyk does: hooks in order, one auth_check, one driver, the first id_extractor', async () => {
      const a = await buildBundle(tmp, {
        files: { 'a.js': `function tagA(r) { r.set_headers['X-Order'] = 'a'; }\n${CHECK}` },
        manifest: { file_list: ['a.js'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tagA', path: 'a.js' }], auth_check: { name: 'checkToken', path: 'a.js' } } },
      });
      const b = await buildBundle(tmp, {
        files: { 'lib/b.js': "function tagB(r) { r.set_headers['X-Order'] = (r.headers['X-Order'] || '') + ',b'; }\n" },
        manifest: { file_list: ['lib/b.js'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tagB', path: 'lib/b.js' }], id_extractor: { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } } } },
      });
      const c = await buildBundle(tmp, {
        files: { 'c.js': "function tagC(r) { r.set_headers['X-Order'] = 'c'; }\n" },
        manifest: { file_list: ['c.js'], custom_middleware: { driver: 'isolate', post: [{ name: 'tagC', path: 'c.js' }], id_extractor: { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'X-Never' } } } },
      });
      const g = await buildBundle(tmp, { files: {}, manifest: { file_list: [], custom_middleware: { driver: 'grpc', pre: [{ name: 'MyPre' }] } } });
      const a2 = await buildBundle(tmp, { files: { 'x.js': MW }, manifest: { file_list: ['x.js'], custom_middleware: { driver: 'isolate', auth_check: { name: 'checkToken', path: 'x.js' } } } });
      for (const [n, z] of Object.entries({ 'multi/a.zip': a, 'b.zip': b, 'c.zip': c, 'g.zip': g, 'a2.zip': a2 })) server.put(n, z.bytes);
      const ws = makeWorkspace();
      const auth = { use_keyless: false, custom_plugin_auth_enabled: true };
      writeApi(ws, bundleApi('merged', 'multi/a.zip, b.zip,c.zip', upstream.url, auth));
      writeApi(ws, bundleApi('drivers', 'multi/a.zip,g.zip', upstream.url, auth));
      writeApi(ws, bundleApi('twoauth', 'multi/a.zip,a2.zip', upstream.url, auth));
      const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base } });

      expect((await through(gw, 'merged', { Authorization: 'nope' })).status).to.equal(403);
      const first = await through(gw, 'merged', { Authorization: 'let-me-in' });
      expect(first.status).to.equal(200);
      // pre hooks a then b; c's post hook runs after them and overwrites.
      expect(first.headers['x-order']).to.equal('c');
      expect(first.headers['x-auth-ran']).to.equal('yes');
      // b's id_extractor (the first one) caches the identity by Authorization.
      expect((await through(gw, 'merged', { Authorization: 'let-me-in' })).headers['x-auth-ran']).to.equal(undefined);
      const root = path.join(ws, 'middleware', 'bundles', md5('multi/a.zip, b.zip,c.zip'));
      expect(listFiles(root)).to.deep.equal(['b/lib/b.js', 'b/manifest.json', 'c/c.js', 'c/manifest.json', 'multi__a/a.js', 'multi__a/manifest.json']);
      expect((await runtime(gw, 'merged')).body.bundle!.checksums).to.deep.equal([a.manifest.checksum, b.manifest.checksum, c.manifest.checksum]);

      expect((await runtime(gw, 'drivers')).body.error).to.include('custom_middleware.driver: "multi/a.zip" says "isolate" but "g.zip" says "grpc"');
      expect((await runtime(gw, 'twoauth')).body.error).to.include('custom_middleware.auth_check: both "multi/a.zip" and "a2.zip" have one');
      expect((await through(gw, 'drivers')).status).to.equal(404);
    });

    it('pre hooks of several bundles run in list order', async () => {
      const one = await buildBundle(tmp, { files: { 'one.js': "function one(r) { r.set_headers['X-Order'] = 'one'; }\n" }, manifest: { file_list: ['one.js'], custom_middleware: { driver: 'isolate', pre: [{ name: 'one', path: 'one.js' }] } } });
      const two = await buildBundle(tmp, { files: { 'two.js': "function two(r) { r.set_headers['X-Order'] = (r.set_headers['X-Order'] || r.headers['X-Order'] || '') + ',two'; }\n" }, manifest: { file_list: ['two.js'], custom_middleware: { driver: 'isolate', pre: [{ name: 'two', path: 'two.js' }] } } });
      server.put('one.zip', one.bytes);
      server.put('two.zip', two.bytes);
      const ws = makeWorkspace();
      writeApi(ws, bundleApi('ordered', 'one.zip,two.zip', upstream.url));
      writeApi(ws, bundleApi('reversed', 'two.zip,one.zip', upstream.url));
      const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base } });
      expect((await through(gw, 'ordered')).headers['x-order']).to.equal('one,two');
      expect((await through(gw, 'reversed')).headers['x-order']).to.equal('one');
    });
  });

  describe('a bundle already on disk', () => {
    it('is reused without a download (a changed bundle needs a new name), and partially verified as Tyk does', async () => {
      const v1 = await buildBundle(tmp, { files: files('disk-v1'), manifest: manifest(), key: keys.priv });
      const v2 = await buildBundle(tmp, { files: files('disk-v2'), manifest: manifest(), key: keys.priv });
      server.put('disk.zip', v1.bytes);
      const ws = makeWorkspace();
      writeApi(ws, bundleApi('disk', 'disk.zip', upstream.url));
      const config = { enable_bundle_downloader: true, bundle_base_url: server.base, public_key_path: keys.pub };
      let gw = await start({ dir: ws, config });
      expect((await through(gw, 'disk')).headers['x-bundle']).to.equal('disk-v1');
      await gw.stop();
      expect(server.count('disk.zip')).to.equal(1);

      // The server now has other bytes under the same name: the folder on disk wins, no download.
      server.put('disk.zip', v2.bytes);
      gw = await start({ dir: ws, config });
      expect((await through(gw, 'disk')).headers['x-bundle']).to.equal('disk-v1');
      expect(server.count('disk.zip')).to.equal(1);
      expect((await runtime(gw, 'disk')).body.bundle).to.include({ verified: true, signed: true });

      // Someone edits the extracted files: the signed manifest no longer matches, so the reload
      // refuses the new version and the loaded one keeps serving.
      const onDisk = path.join(ws, 'middleware', 'bundles', md5('disk.zip'));
      fs.writeFileSync(path.join(onDisk, 'version.js'), "var VERSION = 'edited';\n");
      const reload = await reloadMessage(gw);
      expect(reload).to.include('invalid checksum').and.to.include(`the folder ${onDisk} is kept`);
      expect((await through(gw, 'disk')).headers['x-bundle']).to.equal('disk-v1');
      expect((await runtime(gw, 'disk')).body).to.include({ status: 'serving' }).and.to.have.property('error').that.includes('invalid checksum');
      await gw.stop();

      // skip_verify_existing_plugin_bundle: the bundle on disk is used as it is.
      gw = await start({ dir: ws, config: { ...config, skip_verify_existing_plugin_bundle: true } });
      expect((await through(gw, 'disk')).headers['x-bundle']).to.equal('edited');
      expect((await runtime(gw, 'disk')).body.bundle!.verified).to.equal(false);
      expect(server.count('disk.zip')).to.equal(1);
    });

    it('unsigned on disk: Tyk skips verifying it; with public_key_path isogate refuses it', async () => {
      const unsigned = await buildBundle(tmp, { files: files('hand-placed'), manifest: manifest() });
      const ws = makeWorkspace();
      const folder = path.join(ws, 'middleware', 'bundles', md5('placed.zip'));
      fs.mkdirSync(folder, { recursive: true });
      for (const [name, content] of Object.entries({ 'manifest.json': JSON.stringify(unsigned.manifest), 'mw.js': MW, 'version.js': "var VERSION = 'edited-unsigned';\n" })) fs.writeFileSync(path.join(folder, name), content);
      writeApi(ws, bundleApi('placed', 'placed.zip', upstream.url));
      // The downloader is off: a bundle already on disk is still used.
      let gw = await start({ dir: ws, config: {} });
      expect((await through(gw, 'placed')).headers['x-bundle']).to.equal('edited-unsigned');
      expect((await runtime(gw, 'placed')).body.bundle).to.include({ signed: false, verified: false });
      await gw.stop();
      gw = await start({ dir: ws, config: { public_key_path: keys.pub } });
      expect((await through(gw, 'placed')).status).to.equal(404);
      expect((await runtime(gw, 'placed')).body.error).to.include("Bundle isn't signed");
      // A pre-provisioned folder whose hook file is a symlink out of the bundle is refused.
      const linked = path.join(ws, 'middleware', 'bundles', md5('linked.zip'));
      fs.mkdirSync(linked, { recursive: true });
      fs.writeFileSync(path.join(ws, 'outside.js'), MW);
      fs.symlinkSync(path.join(ws, 'outside.js'), path.join(linked, 'mw.js'));
      fs.writeFileSync(path.join(linked, 'version.js'), "var VERSION = 'linked';\n");
      fs.writeFileSync(path.join(linked, 'manifest.json'), JSON.stringify(unsigned.manifest));
      writeApi(ws, bundleApi('linked', 'linked.zip', upstream.url));
      // A bundle that is neither on disk nor downloadable says so.
      writeApi(ws, bundleApi('absent', 'absent.zip', upstream.url));
      const reload = await reloadMessage(gw);
      expect(reload).to.include('custom_middleware_bundle "absent.zip": is not on disk and enable_bundle_downloader is off');
      await gw.stop();
      // Without a key the unsigned folder is not verified, but the symlink is still refused.
      gw = await start({ dir: ws, config: {} });
      expect((await through(gw, 'linked')).status).to.equal(404);
      expect((await runtime(gw, 'linked')).body.error).to.include('file_list[0]: "mw.js" resolves outside the bundle folder');
    });
  });

  it('file:// bundle_base_url', async () => {
    const store = fs.mkdtempSync(path.join(tmp, 'store-'));
    const b = await buildBundle(tmp, { files: files('from-file'), manifest: manifest(), output: path.join(store, 'sub', 'f.zip') });
    expect(fs.existsSync(b.zip)).to.equal(true);
    const ws = makeWorkspace();
    writeApi(ws, bundleApi('file', 'sub/f.zip', upstream.url));
    writeApi(ws, bundleApi('nofile', 'sub/none.zip', upstream.url));
    const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: `${pathToFileURL(store).href}/` } });
    expect((await through(gw, 'file')).headers['x-bundle']).to.equal('from-file');
    expect((await runtime(gw, 'nofile')).body.error).to.include(`GET ${pathToFileURL(store).href}/sub/none.zip: file not found`);
  });

  it('the bundle server down: retried with back-off, the API absent with the reason; up again, a reload brings it in', async () => {
    const port = await freePort();
    const b = await buildBundle(tmp, { files: files('late'), manifest: manifest() });
    const ws = makeWorkspace();
    writeApi(ws, keylessApi('plain', '/plain/', upstream.url));
    const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: `http://127.0.0.1:${port}/` } });
    writeApi(ws, bundleApi('late', 'late.zip', upstream.url));
    const started = Date.now();
    const down = await reloadMessage(gw);
    // 4 retries after the first try, waiting about 0.5 + 1 + 2 + 4 s (each ±50 %).
    expect(Date.now() - started).to.be.above(3500);
    expect(gw.logs.join('').match(/bundle download failed, retrying/g)).to.have.length(4);
    expect(down).to.include(`GET http://127.0.0.1:${port}/late.zip: ECONNREFUSED`);
    expect((await through(gw, 'plain')).status).to.equal(200);
    expect((await through(gw, 'late')).status).to.equal(404);
    expect((await runtime(gw, 'late')).body.error).to.include(`GET http://127.0.0.1:${port}/late.zip: ECONNREFUSED`);

    const late = await startBundleServer({ port });
    try {
      late.put('late.zip', b.bytes);
      expect(await reloadMessage(gw)).to.equal('');
      expect((await through(gw, 'late')).headers['x-bundle']).to.equal('late');
      expect((await runtime(gw, 'late')).body).to.not.have.property('error');
    } finally {
      await late.close();
    }
  });

  it('a server that does not answer in 5 s is retried; a 503 is retried, a 404 is not', async () => {
    const b = await buildBundle(tmp, { files: files('patient'), manifest: manifest() });
    const ws = makeWorkspace();
    writeApi(ws, keylessApi('plain', '/plain/', upstream.url));
    const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base } });
    server.put('patient.zip', b.bytes);
    server.hangOnce.add('/patient.zip');
    server.put('flaky.zip', b.bytes);
    server.statuses.set('/flaky.zip', 503);
    setTimeout(() => server.statuses.delete('/flaky.zip'), 1200);
    writeApi(ws, bundleApi('patient', 'patient.zip', upstream.url));
    writeApi(ws, bundleApi('flaky', 'flaky.zip', upstream.url));
    writeApi(ws, bundleApi('gone', 'gone.zip', upstream.url));
    const reload = await reloadMessage(gw);
    expect(reload).to.include(`GET ${server.base}gone.zip: HTTP 404 Not Found`).and.not.to.include('patient').and.not.to.include('flaky');
    const logs = gw.logs.join('');
    expect(logs).to.include(`GET ${server.base}patient.zip: no complete answer within 5 s`);
    expect(logs).to.include(`GET ${server.base}flaky.zip: HTTP 503 Service Unavailable`);
    expect((await through(gw, 'patient')).headers['x-bundle']).to.equal('patient');
    expect((await through(gw, 'flaky')).headers['x-bundle']).to.equal('patient');
    expect(server.count('patient.zip')).to.equal(2);
    expect(server.count('flaky.zip')).to.be.at.least(2);
    expect(server.count('gone.zip')).to.equal(1);
  });

  it('https: a self-signed bundle server is refused, unless bundle_insecure_skip_verify', async () => {
    const certDir = fs.mkdtempSync(path.join(tmp, 'tls-'));
    await tool('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1']);
    const b = await buildBundle(tmp, { files: files('tls'), manifest: manifest() });
    const tls = https.createServer({ key: fs.readFileSync(path.join(certDir, 'key.pem')), cert: fs.readFileSync(path.join(certDir, 'cert.pem')) }, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip' });
      res.end(b.bytes);
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    try {
      const base = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`;
      const ws = makeWorkspace();
      writeApi(ws, bundleApi('tls', 'tls.zip', upstream.url));
      let gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: base } });
      expect((await through(gw, 'tls')).status).to.equal(404);
      expect((await runtime(gw, 'tls')).body.error).to.match(/SELF_SIGNED|CERT/);
      await gw.stop();
      gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: base, bundle_insecure_skip_verify: true } });
      expect((await through(gw, 'tls')).headers['x-bundle']).to.equal('tls');
    } finally {
      tls.closeAllConnections();
      await new Promise<void>((r) => tls.close(() => r()));
    }
  });

  it('a changed bundle name is picked up on reload with zero failed requests under load; the download holds up no other API', async () => {
    const v1 = await buildBundle(tmp, { files: files('live-v1'), manifest: manifest() });
    const v2 = await buildBundle(tmp, { files: files('live-v2'), manifest: manifest() });
    server.put('live-v1.zip', v1.bytes);
    server.put('live-v2.zip', v2.bytes);
    server.delays.set('/live-v2.zip', 2000);
    const ws = makeWorkspace();
    writeApi(ws, bundleApi('live', 'live-v1.zip', upstream.url));
    const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base } });
    const traffic = steadyLoad(`${gw.url}/live/x`);
    try {
      await sleep(300);
      writeApi(ws, bundleApi('live', 'live-v2.zip', upstream.url));
      writeApi(ws, keylessApi('fresh', '/fresh/', upstream.url));
      const reloaded = gw.reload();
      // The new API is live while live-v2.zip is still on its way; "live" still serves v1.
      const deadline = Date.now() + 1500;
      while ((await fetch(`${gw.url}/fresh/x`)).status !== 200) {
        expect(Date.now()).to.be.below(deadline);
        await sleep(20);
      }
      expect((await runtime(gw, 'live')).body).to.include({ status: 'serving', bundle_downloading: true });
      expect((await through(gw, 'live')).headers['x-bundle']).to.equal('live-v1');
      const report = await reloaded;
      expect(report.message ?? '').to.equal('');
      expect((await through(gw, 'live')).headers['x-bundle']).to.equal('live-v2');
      await sleep(300);
    } finally {
      await traffic.stop();
    }
    expect([...traffic.statuses.keys()]).to.deep.equal([200]);
    expect([...traffic.seen].sort()).to.deep.equal(['live-v1', 'live-v2']);
    expect(traffic.total).to.be.above(50);
    expect((await runtime(gw, 'live')).body).to.not.have.property('bundle_downloading');
  });

  it('a bundle loads its top-level files of the driver\'s kind and its hook paths; a file in a sub-folder only by path', async () => {
    const b = await buildBundle(tmp, {
      files: { 'mw.js': MW, 'version.js': "var VERSION = 'top';\n", 'lib/late.js': "var VERSION = 'from-lib';\n", 'notes.txt': 'not code' },
      manifest: { file_list: ['mw.js', 'version.js', 'lib/late.js', 'notes.txt'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tag', path: 'mw.js' }] } },
    });
    const viaPath = await buildBundle(tmp, {
      files: { 'mw.js': MW, 'version.js': "var VERSION = 'top';\n", 'lib/late.js': "var VERSION = 'from-lib';\n" },
      manifest: { file_list: ['mw.js', 'version.js', 'lib/late.js'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tag', path: 'mw.js' }, { name: 'tag', path: 'lib/late.js' }] } },
    });
    server.put('kinds.zip', b.bytes);
    server.put('bypath.zip', viaPath.bytes);
    const ws = makeWorkspace();
    writeApi(ws, bundleApi('kinds', 'kinds.zip', upstream.url));
    writeApi(ws, bundleApi('bypath', 'bypath.zip', upstream.url));
    const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base } });
    expect((await through(gw, 'kinds')).headers['x-bundle']).to.equal('top');
    // lib/late.js is loaded last (by its path) and redefines VERSION in the shared global scope.
    expect((await through(gw, 'bypath')).headers['x-bundle']).to.equal('from-lib');
  });

  it('Python bundles (driver python): middleware.py loads, and imports a module of its bundle from a sub-folder', async function () {
    const python = pythonOrSkip(this);
    const b = await buildBundle(tmp, {
      files: {
        'middleware.py': 'from tyk.decorators import *\nfrom vendor.greet import greeting\n\n\n@Hook\ndef BundlePre(request, session, spec):\n    request.add_header("X-Bundle", greeting())\n    request.add_header("X-Bundle-Hash", spec["bundle_hash"])\n    return request, session\n',
        'vendor/greet.py': 'def greeting():\n    return "python-bundle"\n',
      },
      manifest: { file_list: ['middleware.py', 'vendor/greet.py'], custom_middleware: { driver: 'python', pre: [{ name: 'BundlePre' }] } },
      key: keys.priv,
    });
    server.put('py.zip', b.bytes);
    const ws = makeWorkspace();
    writeApi(ws, bundleApi('pyb', 'py.zip', upstream.url));
    const gw = await start({ dir: ws, env: { PYTHON: python }, config: { enable_bundle_downloader: true, bundle_base_url: server.base, public_key_path: keys.pub } });
    const seen = await through(gw, 'pyb');
    expect(seen.status, JSON.stringify((await runtime(gw, 'pyb')).body)).to.equal(200);
    expect(seen.headers['x-bundle']).to.equal('python-bundle');
    expect(seen.headers['x-bundle-hash']).to.equal(md5('py.zip'));
    expect((await runtime(gw, 'pyb')).body).to.include({ driver: 'python' });
  });

  it('Lua bundles (driver lua): middleware.lua loads and requires a module of its bundle by name', async () => {
    const b = await buildBundle(tmp, {
      files: {
        'middleware.lua': 'local greet = require "vendor.greet"\n\nfunction BundlePre(request, session, spec)\n  tyk.req.set_header("X-Bundle", greet.greeting())\n  tyk.req.set_header("X-Bundle-Hash", spec.bundle_hash)\n  return request, session\nend\n',
        'vendor/greet.lua': 'return { greeting = function() return "lua-bundle" end }\n',
      },
      manifest: { file_list: ['middleware.lua', 'vendor/greet.lua'], custom_middleware: { driver: 'lua', pre: [{ name: 'BundlePre' }] } },
      key: keys.priv,
    });
    server.put('lua.zip', b.bytes);
    const ws = makeWorkspace();
    writeApi(ws, bundleApi('luab', 'lua.zip', upstream.url));
    const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base, public_key_path: keys.pub } });
    const seen = await through(gw, 'luab');
    expect(seen.status, JSON.stringify((await runtime(gw, 'luab')).body)).to.equal(200);
    expect(seen.headers['x-bundle']).to.equal('lua-bundle');
    expect(seen.headers['x-bundle-hash']).to.equal(md5('lua.zip'));
    expect((await runtime(gw, 'luab')).body).to.include({ driver: 'lua' });
  });

  it('every driver takes bundles: JSVM (otto) files and gRPC (manifest only)', async () => {
    const grpc = await startNodePluginServer();
    try {
      const js = await buildBundle(tmp, {
        files: { 'middleware.js': "var jsPre = new TykJS.TykMiddleware.NewMiddleware({});\njsPre.NewProcessRequest(function (request, session, config) { request.SetHeaders['X-Bundle'] = 'jsvm:' + config.APIID; return jsPre.ReturnData(request, {}); });\n" },
        manifest: { file_list: ['middleware.js'], custom_middleware: { driver: 'otto', pre: [{ name: 'jsPre', path: 'middleware.js' }] } },
        key: keys.priv,
      });
      const g = await buildBundle(tmp, { files: {}, manifest: { file_list: [], custom_middleware: { driver: 'grpc', pre: [{ name: 'echo' }] } }, key: keys.priv });
      server.put('js.zip', js.bytes);
      server.put('grpc.zip', g.bytes);
      const ws = makeWorkspace();
      writeApi(ws, bundleApi('jsb', 'js.zip', upstream.url));
      writeApi(ws, bundleApi('grpcb', 'grpc.zip', upstream.url));
      const gw = await start({ dir: ws, config: { enable_bundle_downloader: true, bundle_base_url: server.base, public_key_path: keys.pub, coprocess_options: { coprocess_grpc_server: `tcp://${grpc.address}` } } });
      expect((await through(gw, 'jsb')).headers['x-bundle']).to.equal('jsvm:jsb');
      const calls = grpc.calls;
      expect((await through(gw, 'grpcb')).status).to.equal(200);
      expect(grpc.calls).to.equal(calls + 1);
      expect((await runtime(gw, 'grpcb')).body).to.include({ driver: 'grpc' });
    } finally {
      grpc.stop();
    }
  });
});
