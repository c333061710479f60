// `isogate bundle build` and `isogate bundle verify`, cross-checked with openssl: the checksum and
// signature isogate writes are the ones openssl computes over file_list in order, and a bundle laid
// out by hand as Tyk's bundler does (checksum and signature from openssl, zipped with Info-ZIP using
// data descriptors, as Go's archive/zip writes) verifies byte for byte.
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { runCli } from './helpers/gateway';
import { CLI } from './helpers/paths';
import { runToEnd } from './helpers/processes';
import { buildBundle, ensureBundleTools, type KeyPair, listFiles, makeKeys, type Manifest, opensslMd5, opensslSign, opensslVerify, rawZip, tamper, tool } from './helpers/bundles';

const MW = "function tag(request) { request.set_headers['X-Bundle'] = 'v1'; }\n";
const LIB = 'function helper() { return 42; }\n';
const manifest = (extra: Manifest = {}): Manifest => ({ file_list: ['mw.js', 'lib/helper.js'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tag', path: 'mw.js' }] }, ...extra });

describe('isogate bundle build / verify (CLI, cross-checked with openssl)', function () {
  this.timeout(60_000);
  let dir: string;
  let keys: KeyPair;
  let other: KeyPair;

  before(async function () {
    this.timeout(300_000);
    if (!(await ensureBundleTools())) this.skip(); // only where openssl/zip cannot be installed (not Debian, not root)
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isogate-bundle-cli-'));
    keys = await makeKeys(path.join(dir, 'keys'));
    other = await makeKeys(path.join(dir, 'keys'), 'other-');
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const verify = (zip: string, key?: string) => runCli(['bundle', 'verify', zip, ...(key ? ['--key', key] : [])], dir);
  const writeCase = (bytes: Uint8Array): string => {
    const file = path.join(dir, `case-${Math.random().toString(36).slice(2)}.zip`);
    fs.writeFileSync(file, bytes);
    return file;
  };

  it('isogate --help lists the bundle commands and their options', async () => {
    const { code, out } = await runCli(['--help'], dir);
    expect(code).to.equal(0);
    expect(out).to.include('isogate bundle build [-m manifest.json] [-o bundle.zip] [-k private.pem] [-y]');
    expect(out).to.include('isogate bundle verify FILE [--key public.pem]');
  });

  it('build: the checksum is openssl MD5 of file_list in order, the signature verifies with openssl, the zip holds manifest + file_list only', async () => {
    const b = await buildBundle(dir, { files: { 'mw.js': MW, 'lib/helper.js': LIB, 'notes.txt': 'not listed' }, manifest: manifest(), key: keys.priv });
    const concatenated = Buffer.from(MW + LIB);
    expect(b.manifest.checksum).to.equal(await opensslMd5(dir, concatenated));
    expect(await opensslVerify(dir, concatenated, b.manifest.signature, keys.pub)).to.equal(true);
    expect(await opensslVerify(dir, Buffer.from(LIB + MW), b.manifest.signature, keys.pub), 'order matters').to.equal(false);
    // RSA PKCS#1 v1.5 is deterministic: openssl signing the same bytes gives the same signature.
    expect(b.manifest.signature).to.equal(await opensslSign(dir, concatenated, keys.priv));
    expect(Object.keys(unzipSync(b.bytes)).sort()).to.deep.equal(['lib/helper.js', 'manifest.json', 'mw.js']);
    expect(b.manifest.custom_middleware).to.deep.equal(manifest().custom_middleware);
    expect(b.out).to.include(`checksum ${b.manifest.checksum}, signed`);
    // The same inputs give the same zip (fixed entry times).
    const again = await buildBundle(dir, { files: { 'mw.js': MW, 'lib/helper.js': LIB }, manifest: manifest(), key: keys.priv });
    expect(again.bytes.equals(b.bytes)).to.equal(true);
  });

  it('build -y: unsigned, checksum still computed; an empty file_list hashes to MD5 of nothing', async () => {
    const b = await buildBundle(dir, { files: { 'mw.js': MW, 'lib/helper.js': LIB }, manifest: manifest() });
    expect(b.manifest.signature).to.equal('');
    expect(b.manifest.checksum).to.equal(await opensslMd5(dir, Buffer.from(MW + LIB)));
    const empty = await buildBundle(dir, { files: {}, manifest: { file_list: [], custom_middleware: { driver: 'grpc', pre: [{ name: 'MyPre' }] } } });
    expect(empty.manifest.checksum).to.equal('d41d8cd98f00b204e9800998ecf8427e');
  });

  describe('build refuses, naming the key or file', () => {
    const refused = async (m: Manifest | string, files: Record<string, string> = { 'mw.js': MW, 'lib/helper.js': LIB }, flags = ['-y']) => {
      const src = fs.mkdtempSync(path.join(dir, 'refuse-'));
      for (const [n, c] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(src, n)), { recursive: true });
        fs.writeFileSync(path.join(src, n), c);
      }
      fs.writeFileSync(path.join(src, 'manifest.json'), typeof m === 'string' ? m : JSON.stringify(m));
      const res = await runCli(['bundle', 'build', '-m', path.join(src, 'manifest.json'), '-o', path.join(src, 'out.zip'), ...flags], src);
      expect(fs.existsSync(path.join(src, 'out.zip')), 'no zip written').to.equal(false);
      return res;
    };

    it('a manifest without a driver', async () => {
      const { code, out } = await refused({ file_list: ['mw.js'], custom_middleware: { pre: [{ name: 'tag', path: 'mw.js' }] } });
      expect(code).to.equal(1);
      expect(out).to.include('custom_middleware.driver: is required');
    });

    it('a manifest without hooks', async () => {
      const { code, out } = await refused({ file_list: ['mw.js'], custom_middleware: { driver: 'isolate' } });
      expect(code).to.equal(1);
      expect(out).to.include('custom_middleware: has no hooks');
    });

    it('a hook path that is not in file_list, a listed file that is missing, a path with "..", absolute, NUL or CR/LF', async () => {
      let r = await refused({ file_list: ['lib/helper.js'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tag', path: 'mw.js' }] } });
      expect(r.out).to.include('custom_middleware.pre[0].path: "mw.js" is not in file_list');
      r = await refused({ file_list: ['mw.js', 'gone.js'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tag', path: 'mw.js' }] } });
      expect(r.out).to.include('file_list[1]: "gone.js" is not in the bundle');
      fs.writeFileSync(path.join(dir, 'outside.js'), 'secret');
      r = await refused({ file_list: ['../outside.js'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tag' }] } });
      expect(r.out).to.include('file_list[0]: "../outside.js" contains ".."');
      r = await refused({ file_list: ['/etc/passwd'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tag' }] } });
      expect(r.out).to.include('file_list[0]: "/etc/passwd" is absolute');
      r = await refused({ file_list: ['mw.js\u0000.txt'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tag' }] } });
      expect(r.out).to.include('contains a NUL character');
      r = await refused({ file_list: ['mw.js\r\n.txt'], custom_middleware: { driver: 'isolate', pre: [{ name: 'tag' }] } });
      expect(r.out).to.include('contains a control character');
    });

    it('no -k and no -y; a key that is not a private RSA key; broken JSON; an unknown flag', async () => {
      let r = await refused(manifest(), undefined, []);
      expect(r.code).to.equal(1);
      expect(r.out).to.include('give -k private.pem to sign the bundle, or -y to build it unsigned');
      r = await refused(manifest(), undefined, ['-k', keys.pub]);
      expect(r.out).to.include('-k:').and.to.include('not an unencrypted PEM private key');
      r = await refused('{"file_list": [');
      expect(r.out).to.include('invalid JSON');
      r = await refused(manifest(), undefined, ['-x']);
      expect(r.code).to.equal(2);
      expect(r.out).to.include('unknown argument "-x"');
    });
  });

  describe('verify', () => {
    let signed: Awaited<ReturnType<typeof buildBundle>>;
    before(async () => {
      signed = await buildBundle(dir, { files: { 'mw.js': MW, 'lib/helper.js': LIB }, manifest: manifest(), key: keys.priv });
    });

    it('a signed bundle verifies with the PKIX and the PKCS#1 form of the public key', async () => {
      for (const key of [keys.pub, keys.pkcs1]) {
        const { code, out } = await verify(signed.zip, key);
        expect(code, out).to.equal(0);
        expect(out).to.include('OK — a gateway would load it').and.to.include(`verified with ${key}`).and.to.include('pre[0]: tag (mw.js)');
      }
    });

    it('reports each refusal as the gateway words it, exit 1', async () => {
      const unsigned = await buildBundle(dir, { files: { 'mw.js': MW, 'lib/helper.js': LIB }, manifest: manifest() });
      const cases: [Uint8Array, string | undefined, string][] = [
        [tamper(signed.bytes, 'lib/helper.js', 'function helper() { return 43; }\n'), keys.pub, 'invalid checksum'],
        [tamper(signed.bytes, 'lib/helper.js', 'function helper() { return 43; }\n'), undefined, 'invalid checksum'],
        [unsigned.bytes, keys.pub, "Bundle isn't signed"],
        [signed.bytes, other.pub, 'invalid signature: it does not verify with --key'],
        [Buffer.from('this is not a zip file at all'), undefined, 'not a zip file'],
      ];
      for (const [bytes, key, reason] of cases) {
        const { code, out } = await verify(writeCase(bytes), key);
        expect(code, out).to.equal(1);
        expect(out).to.include('REFUSED').and.to.include(reason);
      }
    });

    it('hostile zips are refused without writing anything outside its scratch folder', async () => {
      const m = JSON.stringify(manifest({ file_list: [] }));
      const cases: [Parameters<typeof rawZip>[0], string][] = [
        [[['manifest.json', m], ['../../escape-cli.js', 'pwned']], 'entry "../../escape-cli.js" contains ".."'],
        [[['manifest.json', m], ['/tmp/escape-cli-abs.js', 'pwned']], 'entry "/tmp/escape-cli-abs.js" is absolute'],
        [[['manifest.json', m], ['link.js', '/etc/passwd', { os: 3, attrs: 0o120777 << 16 }]], 'entry "link.js" is a symbolic link'],
        [[['manifest.json', m], ['nul\u0000.js', 'x']], 'contains a NUL character'],
        [[['manifest.json', m], ['cr\r\nSet-Cookie: x.js', 'x']], 'contains a control character'],
      ];
      // The CLI extracts under its TMPDIR: a private one, which must be empty again afterwards.
      const privateTmp = fs.mkdtempSync(path.join(dir, 'tmpdir-'));
      for (const [entries, reason] of cases) {
        const { code, out } = await runToEnd(process.execPath, [CLI, 'bundle', 'verify', writeCase(rawZip(entries))], { cwd: dir, env: { ...process.env, TMPDIR: privateTmp } });
        expect(code, out).to.equal(1);
        expect(out).to.include(reason);
      }
      expect(fs.readdirSync(privateTmp)).to.deep.equal([]);
      expect(fs.existsSync(path.join(dir, '..', 'escape-cli.js'))).to.equal(false);
      expect(fs.existsSync('/tmp/escape-cli-abs.js')).to.equal(false);
    });

    it('a zip made by Info-ZIP `zip -y` with a real symlink is refused', async () => {
      const src = fs.mkdtempSync(path.join(dir, 'symlink-'));
      fs.writeFileSync(path.join(src, 'manifest.json'), JSON.stringify(manifest({ file_list: [] })));
      fs.symlinkSync('/etc/passwd', path.join(src, 'passwd.js'));
      await tool('zip', ['-q', '-y', path.join(src, 'b.zip'), 'manifest.json', 'passwd.js'], src);
      const { code, out } = await verify(path.join(src, 'b.zip'));
      expect(code).to.equal(1);
      expect(out).to.include('entry "passwd.js" is a symbolic link');
    });
  });

  it('a Tyk-style bundle laid out by hand (openssl checksum and signature, Info-ZIP with data descriptors) verifies byte for byte', async () => {
    const src = fs.mkdtempSync(path.join(dir, 'tyk-'));
    const files = { 'middleware.js': 'var pre = new TykJS.TykMiddleware.NewMiddleware({});\n', 'data/config.json': '{"a":1}\n', 'README.md': 'not listed\n' };
    for (const [n, c] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(src, n)), { recursive: true });
      fs.writeFileSync(path.join(src, n), c);
    }
    const fileList = ['data/config.json', 'middleware.js'];
    const data = Buffer.concat(fileList.map((f) => fs.readFileSync(path.join(src, f))));
    const tykManifest = {
      file_list: fileList,
      custom_middleware: { driver: 'otto', pre: [{ name: 'pre', path: 'middleware.js' }] },
      checksum: await opensslMd5(dir, data),
      signature: await opensslSign(dir, data, keys.priv),
    };
    fs.writeFileSync(path.join(src, 'manifest.json'), JSON.stringify(tykManifest));
    // -fd: data descriptors after each entry, as Go's archive/zip writes them.
    await tool('zip', ['-q', '-fd', '-r', path.join(src, 'tyk.zip'), 'manifest.json', 'middleware.js', 'data', 'README.md'], src);
    let res = await verify(path.join(src, 'tyk.zip'), keys.pkcs1);
    expect(res.code, res.out).to.equal(0);
    expect(res.out).to.include(`checksum   ${tykManifest.checksum}`);
    // One byte off in the signed data, and the same bundle is refused.
    fs.writeFileSync(path.join(src, 'data/config.json'), '{"a":2}\n');
    fs.rmSync(path.join(src, 'tyk.zip'));
    await tool('zip', ['-q', '-fd', '-r', path.join(src, 'tyk.zip'), 'manifest.json', 'middleware.js', 'data'], src);
    res = await verify(path.join(src, 'tyk.zip'), keys.pkcs1);
    expect(res.code).to.equal(1);
    expect(res.out).to.include('invalid checksum');
    expect(listFiles(src)).to.include('tyk.zip');
  });
});
