// The host side of Tyk's JSVM natives: the jsvm_http_allow list, TykMakeHttpRequest against
// loopback servers, TykGetKeyData / TykSetKeyData against the memory store; and a host call
// that outlives the hook's budget, through a real gateway.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { HttpAllowList, AllowListError } from '../src/net/allow-list';
import { NetAccess } from '../src/net/access';
import { makeHttpRequest } from '../src/coprocess/drivers/jsvm/http-request';
import { getKeyData, setKeyData, type KeyDataServices } from '../src/coprocess/drivers/jsvm/key-data';
import type { SessionState } from '../src/pipeline/session';
import { MemorySessionStore } from '../src/storage/memory-store';
import { rejectionOf } from './helpers/errors';
import { startGateway, makeWorkspace, writeApi, writeMiddleware, runCli, type RunningGateway } from './helpers/gateway';
import { hang, readJson, startRecordingServer, tykError, type RecordingServer } from './helpers/http';
import { fromRoot } from './helpers/paths';

describe('jsvm_http_allow', () => {
  const allows = (entries: string[] | undefined, url: string) => HttpAllowList.parse(entries).allows(new URL(url));

  it('allows nothing by default', () => {
    expect(allows(undefined, 'http://127.0.0.1/')).to.equal(false);
    expect(allows([], 'https://example.com/')).to.equal(false);
  });

  it('an origin fixes scheme, host and port (default port when none is given)', () => {
    expect(allows(['https://api.example.com'], 'https://api.example.com/x')).to.equal(true);
    expect(allows(['https://api.example.com'], 'https://api.example.com:443/x')).to.equal(true);
    expect(allows(['https://api.example.com'], 'http://api.example.com/x')).to.equal(false);
    expect(allows(['https://api.example.com'], 'https://api.example.com:8443/x')).to.equal(false);
    expect(allows(['http://127.0.0.1:8080'], 'http://127.0.0.1:8080/')).to.equal(true);
    expect(allows(['http://127.0.0.1:8080'], 'http://127.0.0.1:8081/')).to.equal(false);
  });

  it('a bare host allows http and https on any port; a port narrows it', () => {
    expect(allows(['API.example.com'], 'http://api.example.com:9000/')).to.equal(true);
    expect(allows(['api.example.com'], 'https://api.example.com/')).to.equal(true);
    expect(allows(['api.example.com:9000'], 'https://api.example.com:9001/')).to.equal(false);
    expect(allows(['api.example.com'], 'https://evil-api.example.com/')).to.equal(false);
  });

  it('*.domain matches subdomains only; * matches any http(s) host', () => {
    expect(allows(['*.example.com'], 'https://a.b.example.com/')).to.equal(true);
    expect(allows(['*.example.com'], 'https://example.com/')).to.equal(false);
    expect(allows(['*.example.com'], 'https://badexample.com/')).to.equal(false);
    expect(allows(['*'], 'http://10.0.0.1:1234/')).to.equal(true);
    expect(allows(['*'], 'ftp://10.0.0.1/')).to.equal(false);
    expect(allows(['[::1]:8080'], 'http://[::1]:8080/')).to.equal(true);
  });

  it('rejects malformed entries with their index', () => {
    for (const bad of ['ftp://x.com', 'http://x.com/path', '', 'a*b.com', 'x.com:99999']) {
      expect(() => HttpAllowList.parse(['ok.com', bad])).to.throw(AllowListError).with.property('index', 1);
    }
  });

  it('a bad entry in the gateway config stops startup naming the key', async () => {
    const dir = makeWorkspace();
    const conf = path.join(dir, 'gw.json');
    fs.writeFileSync(conf, JSON.stringify({ jsvm_http_allow: ['https://ok.example.com', 'gopher://x'] }));
    const { code, out } = await runCli(['--conf', conf], dir);
    expect(code).to.not.equal(0);
    expect(out).to.include('gw.json');
    expect(out).to.include('jsvm_http_allow[1]');
  });
});

describe('TykMakeHttpRequest (host side)', () => {
  let target: RecordingServer;
  let other: RecordingServer;
  const signal = () => AbortSignal.timeout(2000);

  before(async () => {
    other = await startRecordingServer((seen, res) => res.end('other'));
    target = await startRecordingServer((seen, res) => {
      if (seen.url === '/redirect-out') {
        res.writeHead(302, { location: `${other.url}/x` });
        res.end();
      } else if (seen.url === '/see-other') {
        res.writeHead(303, { location: '/landing' });
        res.end();
      } else if (seen.url === '/big') {
        res.end(Buffer.alloc(2048, 0x61));
      } else if (seen.url !== '/hang') {
        res.writeHead(201, [['Content-Type', 'text/plain'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
        res.end(`seen ${seen.method} ${seen.url}`);
      }
    });
  });

  after(async () => {
    await target.close();
    await other.close();
  });

  const limits = (entries: string[], maxResponseBytes = 1024) => new NetAccess({ allow: HttpAllowList.parse(entries), allowKey: 'the test\'s allow list', maxResponseBytes, maxConcurrent: 4 });

  it("returns Tyk's JSON: Code/Body/Headers with lowercase twins, multi-value headers as arrays", async () => {
    const json = await makeHttpRequest(JSON.stringify({ Method: 'put', Domain: target.url, Resource: '/r?q=1', Headers: { 'x-custom': 'v' }, Body: 'payload' }), signal(), limits([target.url]));
    const reply = JSON.parse(json) as Record<string, unknown> & { Headers: Record<string, string[]> };
    expect(Object.keys(reply)).to.deep.equal(['Code', 'Body', 'Headers', 'code', 'body', 'headers']);
    expect(reply.Code).to.equal(201);
    expect(reply.Body).to.equal('seen PUT /r?q=1');
    expect(reply.Headers['Set-Cookie']).to.deep.equal(['a=1', 'b=2']);
    expect(reply.headers).to.deep.equal(reply.Headers);
    const seen = target.requests.at(-1)!;
    expect(seen.headers['x-custom']).to.equal('v');
    expect(seen.text).to.equal('payload');
  });

  it('sends FormData form-encoded when there is no Body', async () => {
    await makeHttpRequest(JSON.stringify({ Method: 'POST', Domain: target.url, Resource: '/form', FormData: { b: '2 3', a: 'x&y' } }), signal(), limits([target.url]));
    expect(target.requests.at(-1)!.text).to.equal('a=x%26y&b=2+3');
  });

  it('follows redirects, each hop checked against the allow-list', async () => {
    const followed = JSON.parse(await makeHttpRequest(JSON.stringify({ Method: 'POST', Domain: target.url, Resource: '/see-other', Body: 'x' }), signal(), limits([target.url])));
    expect(followed.Body).to.equal('seen GET /landing');
    const error = await rejectionOf(makeHttpRequest(JSON.stringify({ Domain: target.url, Resource: '/redirect-out' }), signal(), limits([target.url])));
    expect(error.message).to.include(`Requires net access to "127.0.0.1:${other.port}"`);
    expect(other.requests).to.have.length(0);
  });

  it('refuses non-http schemes, bad JSON, oversized bodies, and gives up when the signal aborts', async () => {
    const fail = (json: string, l = limits([target.url]), s = signal()) => makeHttpRequest(json, s, l).then(() => 'resolved', (e: Error) => e.message);
    expect(await fail(JSON.stringify({ Domain: 'file:///etc/passwd' }))).to.include('only http and https');
    expect(await fail('{not json')).to.include('failed to deserialise');
    expect(await fail(JSON.stringify({ Domain: target.url, Resource: '/big' }), limits([target.url], 1024))).to.include('exceeds 1024 bytes');
    const t0 = Date.now();
    expect(await fail(JSON.stringify({ Domain: target.url, Resource: '/hang' }), limits(['*']), AbortSignal.timeout(200))).to.not.equal('resolved');
    expect(Date.now() - t0).to.be.below(1000);
  });
});

describe('TykGetKeyData / TykSetKeyData (host side)', () => {
  // Tyk's global key access; the default, org-confined access is covered by test/tenant-keys.test.ts.
  const config = { hash_keys: false, jsvm_key_access: 'global' as const };
  const caller = { apiId: 'api1', orgId: 'org1' };

  it('writes a key as given, resets its quota unless suppressReset is "1", and reads it back', async () => {
    const changed: string[] = [];
    const services = { store: new MemorySessionStore({ sweepIntervalMs: 0 }), orgForApi: () => 'org1', onKeyChanged: (k: string) => changed.push(k) } satisfies KeyDataServices;
    await setKeyData('k1', JSON.stringify({ quota_max: 10, quota_renewal_rate: 60, meta_data: { n: 1 } }), '0', caller, config, services);
    let stored = JSON.parse(await getKeyData('k1', 'api1', caller, config, services)) as SessionState;
    expect(stored.quota_remaining).to.equal(10);
    expect(stored.meta_data).to.deep.equal({ n: 1 });
    expect(changed).to.deep.equal(['k1']);

    await services.store.set('k1', { ...stored, quota_remaining: 4 });
    await setKeyData('k1', JSON.stringify({ quota_max: 10, meta_data: { n: 2 } }), '1', caller, config, services);
    stored = JSON.parse(await getKeyData('k1', '', caller, config, services)) as SessionState;
    expect(stored.quota_remaining).to.equal(4);
    expect(stored.meta_data).to.deep.equal({ n: 2 });

    await setKeyData('k1', JSON.stringify({ quota_max: 10 }), '', caller, config, services);
    expect((JSON.parse(await getKeyData('k1', '', caller, config, services)) as SessionState).quota_remaining).to.equal(10);
  });

  it("answers Tyk's not-found JSON, finds org-qualified custom keys, and rejects undecodable sessions", async () => {
    const services: KeyDataServices = { store: new MemorySessionStore({ sweepIntervalMs: 0 }), orgForApi: (id) => (id === 'api1' ? 'org1' : undefined) };
    expect(JSON.parse(await getKeyData('nope', 'api1', caller, config, services))).to.deep.equal({ status: 'error', message: 'Key not found' });
    await services.store.set('org1custom', { rate: 7 });
    expect((JSON.parse(await getKeyData('custom', 'api1', caller, config, services)) as SessionState).rate).to.equal(7);
    const error = await rejectionOf(setKeyData('k', 'not json', '0', caller, config, services));
    expect(error.message).to.include('failed to decode');
  });
});

describe('a host call that outlives jsvm_timeout', function () {
  let gw: RunningGateway;
  let slow: RecordingServer;
  let upstream: RecordingServer;

  before(async () => {
    upstream = await startRecordingServer();
    slow = await startRecordingServer(hang); // never answers
    const dir = makeWorkspace();
    writeMiddleware(dir, 'lookup.js', fs.readFileSync(fromRoot('middleware', 'jsvm', 'lookup.js'), 'utf8'));
    writeApi(dir, {
      api_id: 'slow', org_id: 'org1', use_keyless: true,
      proxy: { listen_path: '/slow/', target_url: upstream.url, strip_listen_path: true },
      config_data: { lookup_service: slow.url },
      custom_middleware: { driver: 'otto', pre: [{ name: 'lookupUser', path: 'lookup.js' }] },
    });
    gw = await startGateway({ dir, config: { jsvm_timeout: 1, jsvm_http_allow: [slow.url] } });
  });

  after(async () => {
    if (gw) await gw.stop();
    await slow?.close();
    await upstream?.close();
  });

  it('is abandoned at the hook budget: the plugin gets undefined and answers in time, without a rebuild', async () => {
    const t0 = Date.now();
    const res = await fetch(`${gw.url}/slow/x?id=1`);
    const ms = Date.now() - t0;
    expect(res.status).to.equal(502);
    expect(await tykError(res)).to.equal('lookup failed');
    expect(ms).to.be.within(900, 2500);
    const { dispatcher } = await readJson<{ dispatcher: { failures: { timeout: number }; replacements: number } }>(await gw.admin('/tyk/apis/slow/runtime'));
    expect(dispatcher.failures.timeout).to.equal(0);
    expect(dispatcher.replacements).to.equal(0);
  });
});
