// The web platform inside API isolates (issue #16 part A): URL, TextEncoder, atob/btoa,
// structuredClone, queueMicrotask, performance, crypto (getRandomValues, randomUUID, subtle on
// the host's webcrypto) and timers bounded by the hook call. Real gateway, real isolates, a real
// loopback upstream; every answer is read from what the upstream received.
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { echoed, startRecordingServer, tykError, type RecordingServer } from './helpers/http';
import { fromRoot } from './helpers/paths';
import { sleep } from './helpers/poll';
import { SubtleHost } from '../src/coprocess/drivers/isolate/web/subtle';

// Runs the request body as an async function's body and forwards `{ value }` or `{ error, message }`
// to the upstream as JSON: one hook for many small experiments inside a real isolate.
const PROBE = `
const AsyncFunction = (async () => {}).constructor;
async function probe(request) {
  let out;
  try {
    out = { value: await new AsyncFunction(request.body)() };
  } catch (e) {
    out = { error: e && e.name, message: e && e.message, isDomException: e instanceof DOMException };
  }
  request.raw_body = JSON.stringify(out);
}
async function sleepy(request) {
  const ms = Number(request.headers['X-Sleep'] || '0');
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  request.set_headers['X-Slept'] = String(Date.now() - started);
}
function leaveTimer(request) {
  globalThis.fired = globalThis.fired || 0;
  setTimeout(() => { globalThis.fired++; }, 30);
  request.set_headers['X-Fired'] = String(globalThis.fired);
}
async function spinInTimer() {
  setTimeout(() => { for (;;) {} }, 5);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
// Top-level code may set timers too: this one fires while nobody calls the API.
const loadedAt = Date.now();
let topFiredAfter = -1;
setTimeout(() => { topFiredAfter = Date.now() - loadedAt; }, 20);
function topTimer(request) {
  request.set_headers['X-Top-Fired-After'] = String(topFiredAfter);
  request.set_headers['X-Loaded-Ago'] = String(Date.now() - loadedAt);
}
`;

const JSVM = `
var probeJsvm = new TykJS.TykMiddleware.NewMiddleware({});
probeJsvm.NewProcessRequest(function (request) {
  request.SetHeaders['X-Globals'] = [typeof URL, typeof crypto, typeof setTimeout, typeof structuredClone, typeof b64enc].join(',');
  return probeJsvm.ReturnData(request, {});
});
`;

interface ProbeAnswer {
  value?: unknown;
  error?: string;
  message?: string;
  isDomException?: boolean;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

function hs256(secret: string, claims: object): string {
  const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${b64url(crypto.createHmac('sha256', secret).update(head).digest())}`;
}

function rs256(key: crypto.KeyObject, claims: object): string {
  const head = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${b64url(crypto.sign('sha256', Buffer.from(head), key))}`;
}

describe('web platform in isolates (URL, crypto, timers, ...)', function () {
  this.timeout(30_000);
  let upstream: RecordingServer;
  let gw: RunningGateway;
  const secret = 'hs-secret-for-tests';
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherRsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

  before(async () => {
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'probe.js', PROBE);
    writeMiddleware(dir, 'jsvm.js', JSVM);
    writeMiddleware(dir, 'jwt-verify.js', fs.readFileSync(fromRoot('middleware', 'web', 'jwt-verify.js'), 'utf8'));
    const u = upstream.url;
    const pre = (name: string, path = 'probe.js') => ({ pre: [{ name, path }] });
    writeApi(dir, keylessApi('probe', '/probe/', u, { custom_middleware: { driver: 'isolate', ...pre('probe'), limits: { hook_timeout_ms: 5000 } } }));
    writeApi(dir, keylessApi('probe2', '/probe2/', u, { custom_middleware: { driver: 'isolate', ...pre('probe'), limits: { hook_timeout_ms: 5000 } } }));
    writeApi(dir, keylessApi('timers', '/timers/', u, { custom_middleware: { driver: 'isolate', ...pre('sleepy'), limits: { hook_timeout_ms: 300 } } }));
    writeApi(dir, keylessApi('leave', '/leave/', u, { custom_middleware: { driver: 'isolate', ...pre('leaveTimer'), limits: { hook_timeout_ms: 300 } } }));
    writeApi(dir, keylessApi('spin', '/spin/', u, { custom_middleware: { driver: 'isolate', ...pre('spinInTimer'), limits: { hook_timeout_ms: 300 } } }));
    writeApi(dir, keylessApi('top', '/top/', u, { custom_middleware: { driver: 'isolate', ...pre('topTimer'), limits: { hook_timeout_ms: 2000 } } }));
    writeApi(dir, keylessApi('jsvm', '/jsvm/', u, { custom_middleware: { driver: 'otto', ...pre('probeJsvm', 'jsvm.js') } }));
    writeApi(dir, keylessApi('jwt', '/jwt/', u, {
      config_data: { hs256_secret: secret, rs256_jwk: rsa.publicKey.export({ format: 'jwk' }) },
      custom_middleware: { driver: 'isolate', ...pre('verifyJwt', 'jwt-verify.js'), limits: { hook_timeout_ms: 2000 } },
    }));
    gw = await startGateway({ dir });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  async function probe(code: string, api = 'probe'): Promise<ProbeAnswer> {
    const res = await fetch(`${gw.url}/${api}/run`, { method: 'POST', body: code });
    expect(res.status, `probe answered ${res.status}`).to.equal(200);
    const seen = await echoed(res);
    return JSON.parse(Buffer.from(seen.body, 'base64').toString('utf8')) as ProbeAnswer;
  }

  async function value(code: string, api = 'probe'): Promise<unknown> {
    const answer = await probe(code, api);
    expect(answer.error, `${answer.error}: ${answer.message}`).to.equal(undefined);
    return answer.value;
  }

  describe('JWT verification with crypto.subtle (middleware/web/jwt-verify.js)', () => {
    const now = () => Math.floor(Date.now() / 1000);

    it('lets a valid HS256 token in and tells the upstream who it is', async () => {
      const res = await fetch(`${gw.url}/jwt/x`, { headers: { authorization: `Bearer ${hs256(secret, { sub: 'alice', exp: now() + 60 })}` } });
      expect(res.status).to.equal(200);
      const seen = await echoed(res);
      expect(seen.headers['x-jwt-sub']).to.equal('alice');
      expect(seen.headers['x-jwt-alg']).to.equal('HS256');
    });

    it('lets a valid RS256 token in (JWK public key)', async () => {
      const res = await fetch(`${gw.url}/jwt/x`, { headers: { authorization: `Bearer ${rs256(rsa.privateKey, { sub: 'bob' })}` } });
      expect(res.status).to.equal(200);
      const seen = await echoed(res);
      expect(seen.headers['x-jwt-sub']).to.equal('bob');
      expect(seen.headers['x-jwt-alg']).to.equal('RS256');
    });

    it('refuses tampered, foreign-key, wrong-secret and expired tokens; the upstream sees none of them', async () => {
      const good = hs256(secret, { sub: 'alice' }).split('.');
      const tampered = [good[0], b64url(JSON.stringify({ sub: 'admin' })), good[2]].join('.');
      const cases: [string, string][] = [
        [tampered, 'bad signature'],
        [rs256(otherRsa.privateKey, { sub: 'bob' }), 'bad signature'],
        [hs256('another-secret', { sub: 'alice' }), 'bad signature'],
        [hs256(secret, { sub: 'alice', exp: now() - 10 }), 'expired'],
        [`${b64url(JSON.stringify({ alg: 'none' }))}.${b64url('{"sub":"x"}')}.`, 'unsupported alg'],
        ['not-a-jwt', 'malformed token'],
      ];
      const before = upstream.requests.length;
      for (const [token, why] of cases) {
        const res = await fetch(`${gw.url}/jwt/x`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status, why).to.equal(401);
        expect(await tykError(res)).to.equal(why);
      }
      expect(upstream.requests.length).to.equal(before);
    });
  });

  describe('crypto.subtle', () => {
    it('digests SHA-1/256/384/512 exactly as node:crypto does', async () => {
      const got = (await value(`
        const out = {};
        for (const alg of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) {
          const d = await crypto.subtle.digest(alg, new TextEncoder().encode('abc\\u20ac'));
          out[alg] = Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
        }
        return out;`)) as Record<string, string>;
      for (const alg of ['sha1', 'sha256', 'sha384', 'sha512']) {
        expect(got[`SHA-${alg.slice(3)}`]).to.equal(crypto.createHash(alg).update('abc€').digest('hex'));
      }
    });

    it('HMAC signs as node:crypto does and verifies its own signature', async () => {
      const got = (await value(`
        const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('k'), { name: 'HMAC', hash: { name: 'SHA-512' } }, false, ['sign', 'verify']);
        const sig = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode('data'));
        const ok = await crypto.subtle.verify('HMAC', key, sig, new TextEncoder().encode('data'));
        const bad = await crypto.subtle.verify('HMAC', key, sig, new TextEncoder().encode('datA'));
        return { sig: btoa(String.fromCharCode(...new Uint8Array(sig))), ok, bad, type: key.type, alg: key.algorithm.name, hash: key.algorithm.hash.name, str: String(key) };`)) as Record<string, unknown>;
      expect(got.sig).to.equal(crypto.createHmac('sha512', 'k').update('data').digest('base64'));
      expect(got).to.include({ ok: true, bad: false, type: 'secret', alg: 'HMAC', hash: 'SHA-512', str: '[object CryptoKey]' });
    });

    it('verifies ECDSA P-256 (spki) and RSA-PSS (jwk) signatures made by node:crypto', async () => {
      const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const ecSig = crypto.sign('sha256', Buffer.from('payload'), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64');
      const spki = ec.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
      const pssSig = crypto.sign('sha256', Buffer.from('payload'), { key: rsa.privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64');
      const jwk = JSON.stringify(rsa.publicKey.export({ format: 'jwk' }));
      const got = await value(`
        const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const data = new TextEncoder().encode('payload');
        const ec = await crypto.subtle.importKey('spki', bytes('${spki}'), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
        const pss = await crypto.subtle.importKey('jwk', ${jwk}, { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['verify']);
        return [
          await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, ec, bytes('${ecSig}'), data),
          await crypto.subtle.verify({ name: 'RSA-PSS', saltLength: 32 }, pss, bytes('${pssSig}'), data),
          await crypto.subtle.verify({ name: 'RSA-PSS', saltLength: 32 }, pss, bytes('${pssSig}'), new TextEncoder().encode('other')),
          ec.extractable, ec.type, pss.algorithm.modulusLength, Array.from(pss.algorithm.publicExponent),
        ];`);
      expect(got).to.deep.equal([true, true, false, true, 'public', 2048, [1, 0, 1]]);
    });

    it('rejects bogus keys and algorithms with the right DOMException names', async () => {
      const cases: [string, string][] = [
        [`await crypto.subtle.importKey('jwk', { kty: 'RSA', e: 'AQAB' }, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify'])`, 'DataError'],
        [`await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])`, 'DataError'],
        [`await crypto.subtle.importKey('jwk', { kty: 'oct' }, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])`, 'DataError'],
        [`await crypto.subtle.importKey('jwk', { kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'AQAB' }, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify'])`, 'NotSupportedError'],
        [`await crypto.subtle.importKey('spki', new Uint8Array([48, 1, 2, 3]), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])`, 'DataError'],
        [`await crypto.subtle.importKey('raw', new Uint8Array(4), { name: 'AES-GCM' }, false, ['encrypt'])`, 'NotSupportedError'],
        [`await crypto.subtle.importKey('raw', new Uint8Array(4), { name: 'HMAC', hash: 'MD5' }, false, ['sign'])`, 'NotSupportedError'],
        [`await crypto.subtle.importKey('pkcs8', new Uint8Array(4), { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['verify'])`, 'NotSupportedError'],
        [`await crypto.subtle.digest('MD5', new Uint8Array(1))`, 'NotSupportedError'],
        [`await crypto.subtle.digest('SHA-256', new Uint8Array(16 * 1024 * 1024 + 1))`, 'QuotaExceededError'],
        [`await crypto.subtle.importKey('raw', new Uint8Array(20000), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])`, 'QuotaExceededError'],
        [`const k = await crypto.subtle.importKey('raw', new Uint8Array(4), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']); await crypto.subtle.sign('HMAC', k, new Uint8Array(1))`, 'InvalidAccessError'],
      ];
      for (const [code, name] of cases) {
        const answer = await probe(code);
        expect(answer.error, `${code} → ${answer.message}`).to.equal(name);
        expect(answer.isDomException, code).to.equal(true);
      }
    });

    it('a CryptoKey cannot be forged: only importKey makes one', async () => {
      for (const code of [
        `await crypto.subtle.verify('HMAC', Object.create(CryptoKey.prototype), new Uint8Array(1), new Uint8Array(1))`,
        `await crypto.subtle.verify('HMAC', { type: 'secret', algorithm: { name: 'HMAC' } }, new Uint8Array(1), new Uint8Array(1))`,
        `new CryptoKey()`,
      ]) {
        expect((await probe(code)).error, code).to.equal('TypeError');
      }
    });

    it('bounds the keys an isolate holds, and frees the ones its code dropped', async () => {
      const full = await probe(`
        const keys = [];
        for (let i = 0; i < 1001; i++) keys.push(await crypto.subtle.importKey('raw', new Uint8Array([i & 255, i >> 8]), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']));`);
      expect(full.error).to.equal('QuotaExceededError');
      expect(full.message).to.match(/1000 CryptoKeys/);
      // The keys of that call are garbage now, and so are those of each call below: 2000 more,
      // imported over five calls and dropped, fit in the limit of 1000.
      for (let round = 0; round < 5; round++) {
        expect(await value(`
          let n = 0;
          for (let i = 0; i < 400; i++) { await crypto.subtle.importKey('raw', new Uint8Array([1]), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']); n++; }
          return n;`)).to.equal(400);
      }
    });
  });

  describe('crypto.getRandomValues and randomUUID', () => {
    it('fills integer arrays from the host, within the 65536-byte quota', async () => {
      const got = (await value(`
        const a = crypto.getRandomValues(new Uint8Array(65536));
        const w = crypto.getRandomValues(new Uint32Array(4));
        return { zeros: a.filter((b) => b === 0).length, same: a === crypto.getRandomValues(a), w: w.length };`)) as Record<string, unknown>;
      expect(got.zeros).to.be.below(1000); // ≈256 expected
      expect(got.same).to.equal(true);
      const huge = await probe(`crypto.getRandomValues(new Uint8Array(65537))`);
      expect(huge.error).to.equal('QuotaExceededError');
      expect((await probe(`crypto.getRandomValues(new Float64Array(2))`)).error).to.equal('TypeMismatchError');
      expect((await probe(`crypto.getRandomValues(new Uint8Array(1e6))`)).error).to.equal('QuotaExceededError');
    });

    it('randomUUID gives distinct version-4 UUIDs', async () => {
      const ids = (await value(`return Array.from({ length: 600 }, () => crypto.randomUUID());`)) as string[];
      expect(new Set(ids).size).to.equal(600);
      for (const id of ids) expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });
  });

  describe('URL and URLSearchParams (the host WHATWG parser)', () => {
    const FIELDS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'] as const;
    const INPUTS = [
      'https://user:pa ss@Example.COM:443/a/./b/../c?q=a b&x=%zz#frag',
      'http://0x7f000001/',
      'http://2130706433:8080/x',
      'http://127.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://a\r\nb.example/\tpath',
      'http://a\u0000b/',
      'http://exa mple.com/',
      'HTTP://bücher.example/%2e%2E/../etc/passwd',
      'file:///etc/passwd',
      'javascript:alert(1)',
      '//no-scheme',
      '',
      'http://169.254.169.254/latest/meta-data/',
    ];

    it('parses like the host URL, hostile inputs included', async () => {
      const got = (await value(`
        return ${JSON.stringify(INPUTS)}.map((input) => {
          try { const u = new URL(input); return Object.fromEntries(${JSON.stringify(FIELDS)}.map((f) => [f, u[f]])); }
          catch (e) { return { error: e.name }; }
        });`)) as Record<string, string>[];
      INPUTS.forEach((input, i) => {
        let expected: Record<string, string>;
        try {
          const u = new URL(input);
          expected = Object.fromEntries(FIELDS.map((f) => [f, u[f]]));
        } catch {
          expected = { error: 'TypeError' };
        }
        expect(got[i], JSON.stringify(input)).to.deep.equal(expected);
      });
    });

    it('resolves against a base, runs setters on the host parser, keeps searchParams in step', async () => {
      const got = await value(`
        const u = new URL('../x/y?a=1#h', 'http://h.example/p/q/r');
        const first = u.href;
        u.hostname = 'evil\\r\\n.example';
        u.port = '99999';
        u.pathname = '/../../etc';
        u.searchParams.append('b', 'two words');
        u.searchParams.set('a', '€');
        const afterParams = u.href;
        u.search = '?z=1&z=2';
        return [first, afterParams, u.searchParams.getAll('z'), JSON.stringify({ u }), URL.canParse('nope'), URL.canParse('/x', 'http://b/')];`);
      const expected = new URL('../x/y?a=1#h', 'http://h.example/p/q/r');
      const first = expected.href;
      expected.hostname = 'evil\r\n.example';
      expected.port = '99999';
      expected.pathname = '/../../etc';
      expected.searchParams.append('b', 'two words');
      expected.searchParams.set('a', '€');
      const afterParams = expected.href;
      expected.search = '?z=1&z=2';
      expect(got).to.deep.equal([first, afterParams, ['1', '2'], JSON.stringify({ u: expected.href }), false, true]);
    });

    it('URLSearchParams parses and serialises like the host', async () => {
      const inputs = ['a=1&b=2&a=3', '?x=%zz&y=%E2%82%AC&z=+plus+', 'q=%00nul&r=\r\n', '&&=&a', 'caf%C3%A9=%FF%FE', 'k=v=w&%3D=%26', '\ud800=lone'];
      const got = (await value(`
        return ${JSON.stringify(inputs)}.map((i) => { const p = new URLSearchParams(i); return [p.toString(), [...p], p.size]; })
          .concat([[new URLSearchParams({ a: 'x y', 'b&': '=' }).toString()], [new URLSearchParams([['n', 'v'], ['n', '2']]).getAll('n')]]);`)) as unknown[];
      const expected: unknown[] = inputs.map((i) => {
        const p = new URLSearchParams(i);
        return [p.toString(), [...p], p.size];
      });
      expected.push([new URLSearchParams({ a: 'x y', 'b&': '=' }).toString()], [['v', '2']]);
      expect(got).to.deep.equal(expected);
    });

    it('refuses a URL past 64 KiB rather than parsing it', async () => {
      expect((await probe(`new URL('http://x/' + 'a'.repeat(70000))`)).error).to.equal('TypeError');
    });
  });

  describe('encoding, cloning, scheduling', () => {
    it('TextEncoder/TextDecoder, atob/btoa', async () => {
      const got = await value(`
        const e = Array.from(new TextEncoder().encode('h€\\u{1F600}'));
        let fatal; try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])); } catch (err) { fatal = err.name; }
        let wide; try { btoa('€'); } catch (err) { wide = err.name; }
        let bad; try { atob('a'); } catch (err) { bad = err.name; }
        return [e, new TextDecoder().decode(new Uint8Array([0x68, 0xe2, 0x82, 0xac])), fatal, btoa('hello\\u00ff'), atob(' aGVs\\nbG8= '), atob('aGVsbG8'), wide, bad];`);
      expect(got).to.deep.equal([Array.from(Buffer.from('h€\u{1F600}')), 'h€', 'TypeError', Buffer.from('hello\u00ff', 'latin1').toString('base64'), 'hello', 'hello', 'InvalidCharacterError', 'InvalidCharacterError']);
    });

    it('structuredClone keeps types, sharing and cycles, and refuses functions', async () => {
      const got = await value(`
        const shared = { n: 1 };
        const o = { a: [1, shared, shared], d: new Date(5), m: new Map([[1, 'x']]), s: new Set(['y']), u: new Uint8Array([1, 2]).subarray(1), re: /x/gi, big: 10n, err: new RangeError('r') };
        o.self = o;
        const c = structuredClone(o);
        let fn; try { structuredClone({ f() {} }); } catch (e) { fn = [e.name, e instanceof DOMException, e.code]; }
        return [c !== o, c.self === c, c.a[1] === c.a[2], c.a[1] !== shared, c.d instanceof Date && c.d.getTime(), c.m.get(1), c.s.has('y'),
          Array.from(c.u), c.u.byteOffset, c.re.flags, typeof c.big, c.err instanceof RangeError && c.err.message, fn];`);
      expect(got).to.deep.equal([true, true, true, true, 5, 'x', true, [2], 1, 'gi', 'bigint', 'r', ['DataCloneError', true, 25]]);
    });

    it('queueMicrotask runs before the next task; performance.now() is coarse (1 ms)', async () => {
      const got = (await value(`
        const order = [];
        queueMicrotask(() => order.push('micro'));
        order.push('sync');
        await new Promise((r) => setTimeout(r, 0));
        const samples = Array.from({ length: 200 }, () => performance.now());
        return { order, integers: samples.every(Number.isInteger), origin: typeof performance.timeOrigin };`)) as Record<string, unknown>;
      expect(got).to.deep.equal({ order: ['sync', 'micro'], integers: true, origin: 'number' });
    });
  });

  describe('timers', () => {
    it('setTimeout inside a hook is awaited', async () => {
      const res = await fetch(`${gw.url}/timers/x`, { headers: { 'x-sleep': '60' } });
      expect(res.status).to.equal(200);
      const slept = Number((await echoed(res)).headers['x-slept']);
      expect(slept).to.be.at.least(55);
    });

    it('a timer past the hook deadline is cancelled with the call; the call times out and the next one works', async () => {
      const before = upstream.requests.length;
      const started = Date.now();
      const res = await fetch(`${gw.url}/timers/x`, { headers: { 'x-sleep': '5000' } });
      expect(res.status).to.equal(500);
      expect(await tykError(res)).to.equal('Middleware error');
      expect(Date.now() - started).to.be.below(3000);
      expect(upstream.requests.length).to.equal(before);
      const next = await fetch(`${gw.url}/timers/x`, { headers: { 'x-sleep': '10' } });
      expect(next.status).to.equal(200);
      expect((await echoed(next)).headers['x-slept']).to.be.a('string');
    });

    it('timers still pending when their call ends never fire', async () => {
      await echoed(await fetch(`${gw.url}/leave/x`));
      await sleep(150);
      const seen = await echoed(await fetch(`${gw.url}/leave/x`));
      expect(seen.headers['x-fired']).to.equal('0');
    });

    it('setInterval repeats until cleared; timer callbacks see their arguments', async () => {
      const got = await value(`
        let ticks = 0;
        const id = setInterval(() => ticks++, 10);
        const arg = await new Promise((r) => setTimeout(r, 80, 'passed'));
        clearInterval(id);
        const at = ticks;
        await new Promise((r) => setTimeout(r, 40));
        return [arg, at >= 3, ticks === at];`);
      expect(got).to.deep.equal(['passed', true, true]);
    });

    it('bounds pending timers per isolate; a string callback is refused', async () => {
      const flood = await probe(`for (let i = 0; i < 1001; i++) setTimeout(() => {}, 100000);`);
      expect(flood.error).to.equal('RangeError');
      expect(flood.message).to.match(/1000 pending timers/);
      // Those timers went with their call: the next call has the whole budget again.
      expect(await value(`for (let i = 0; i < 1000; i++) setTimeout(() => {}, 100000); return 'ok';`)).to.equal('ok');
      expect((await probe(`setTimeout('globalThis.x = 1', 1)`)).error).to.equal('TypeError');
    });

    it('a timer callback that spins is cut by the hook timeout; the API serves again', async () => {
      const res = await fetch(`${gw.url}/spin/x`);
      expect(res.status).to.equal(500);
      const ok = await fetch(`${gw.url}/timers/x`, { headers: { 'x-sleep': '5' } });
      expect(ok.status).to.equal(200);
      // and the spinning API itself comes back (its isolate replaced or still usable)
      const again = await fetch(`${gw.url}/spin/x`);
      expect(again.status).to.equal(500);
    });
  });

  it('a timer set by top-level code fires on time, without waiting for a request', async () => {
    const seen = await echoed(await fetch(`${gw.url}/top/x`));
    const firedAfter = Number(seen.headers['x-top-fired-after']);
    expect(firedAfter).to.be.at.least(15);
    expect(firedAfter).to.be.below(Math.min(1500, Number(seen.headers['x-loaded-ago'])));
  });

  it('Tyk JSVM plugins get only what Tyk’s engines have', async () => {
    const seen = await echoed(await fetch(`${gw.url}/jsvm/x`));
    expect(seen.headers['x-globals']).to.equal('undefined,undefined,undefined,undefined,function');
  });

  // The guest never sees a handle (it sits in a WeakMap inside the runtime), so the host tables
  // are checked directly: each isolate gets its own SubtleHost (isolate-slot.ts), as here.
  it('a key handle of one isolate names nothing in another, nor after its isolate went', async () => {
    const a = new SubtleHost();
    const b = new SubtleHost();
    const signal = new AbortController().signal;
    const imported = JSON.parse(String(await a.call(['importKey', 'raw', new Uint8Array([1, 2, 3]), { name: 'HMAC', hash: 'SHA-256' }, ['sign'], []], { signal }))) as { v: { h: string } };
    expect(imported.v.h).to.match(/^[0-9a-f]{32}$/);
    const sign = ['sign', 'HMAC', imported.v.h, new Uint8Array([9])];
    expect(JSON.parse(String(await a.call(sign, { signal })))).to.have.property('v');
    expect(JSON.parse(String(await b.call(sign, { signal })))).to.deep.equal({ e: 'InvalidAccessError', m: 'the CryptoKey does not belong to this isolate' });
    a.clear();
    expect(JSON.parse(String(await a.call(sign, { signal }))).e).to.equal('InvalidAccessError');
    // and a call whose hook is out of time answers at once, whatever webcrypto is doing
    const late = AbortSignal.abort();
    expect(JSON.parse(String(await b.call(['digest', 'SHA-256', new Uint8Array(10)], { signal: late }))).e).to.equal('OperationError');
  });
});
