// The network layer's parts on their own (src/net/): which addresses count as private, how
// allow_net entries normalise, that DNS answers are filtered before the connect; and its config:
// gateway defaults, jsvm_http_allow as the JSVM alias, bad entries named with file and key.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { specialAddress } from '../src/net/address';
import { HttpAllowList } from '../src/net/allow-list';
import { NetAccess } from '../src/net/access';
import { netFetch } from '../src/net/fetch';
import { rejectionOf } from './helpers/errors';
import { hookedApi, makeWorkspace, runCli, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { readJson, startRecordingServer, type Echoed, type RecordingServer } from './helpers/http';

describe('net layer: addresses and allow_net entries', () => {
  it('classifies loopback, private, link-local, CGNAT, ULA and IPv4 inside IPv6; public addresses pass', () => {
    const special = ['127.0.0.1', '127.255.0.9', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.255', '0.0.0.0',
      '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'fe80::1%eth0', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '64:ff9b::a9fe:a9fe', '::127.0.0.1', '224.0.0.1', '255.255.255.255'];
    for (const ip of special) expect(specialAddress(ip), ip).to.be.a('string');
    for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) expect(specialAddress(ip), ip).to.equal(undefined);
    expect(specialAddress('not-an-ip')).to.be.a('string');
  });

  it('entries normalise as URLs do, and only an exact host is literal', () => {
    const list = HttpAllowList.parse(['0x7f000001:8080', '*', '*.Example.com', 'localhost']);
    const [first] = list.match(new URL('http://127.0.0.1:8080/'));
    expect(first).to.include({ host: '127.0.0.1', port: '8080', literal: true });
    expect(list.match(new URL('http://127.0.0.1:9/'))[0].literal).to.equal(false);
    expect(list.match(new URL('http://a.example.com/'))[0].literal).to.equal(false);
    expect(list.match(new URL('http://LOCALHOST:1/'))[0].literal).to.equal(true);
  });

  it('checks the address DNS answers before connecting (no connection to a loopback answer under "*")', async () => {
    const server: RecordingServer = await startRecordingServer((seen, res) => res.end('reached'));
    try {
      const star = new NetAccess({ allow: HttpAllowList.parse(['*']), allowKey: 'allow_net', maxResponseBytes: 1024, maxConcurrent: 4 });
      const err = await rejectionOf(netFetch(star, { method: 'GET', url: `http://localhost:${server.port}/`, headers: [] }, AbortSignal.timeout(2000)));
      expect(err.name).to.equal('PermissionDenied');
      expect(err.message).to.match(/which is (127\.0\.0\.1|::1), a loopback address/);
      expect(server.requests).to.have.length(0);
      const named = new NetAccess({ allow: HttpAllowList.parse([`localhost:${server.port}`]), allowKey: 'allow_net', maxResponseBytes: 1024, maxConcurrent: 4 });
      const ok = await netFetch(named, { method: 'GET', url: `http://localhost:${server.port}/`, headers: [] }, AbortSignal.timeout(2000));
      expect(Buffer.from(ok.body).toString()).to.equal('reached');
    } finally {
      await server.close();
    }
  });

  it('refuses URLs with credentials and non-http schemes before any lookup', async () => {
    const star = new NetAccess({ allow: HttpAllowList.parse(['*']), allowKey: 'allow_net', maxResponseBytes: 1024, maxConcurrent: 4 });
    for (const [url, text] of [['http://user:pw@example.com/', 'credentials'], ['file:///etc/passwd', 'only http and https'], ['ftp://example.com/', 'only http and https'], ['nonsense', 'not an absolute URL']]) {
      const err = await rejectionOf(netFetch(star, { method: 'GET', url, headers: [] }, AbortSignal.timeout(1000)));
      expect(err.name, url).to.equal('TypeError');
      expect(err.message, url).to.include(text);
    }
  });
});

describe('net layer: configuration', function () {
  let gw: RunningGateway;
  let upstream: RecordingServer;
  let service: RecordingServer;

  before(async () => {
    upstream = await startRecordingServer();
    service = await startRecordingServer((seen, res) => res.end(`service saw ${seen.url}`));
    const dir = makeWorkspace();
    writeMiddleware(dir, 'get.js', `async function get(request) {
      try { request.set_headers['X-Got'] = await (await fetch(request.headers['X-Target'])).text(); }
      catch (e) { request.set_headers['X-Error'] = e.name + ': ' + e.message; }
      return request;
    }`);
    writeMiddleware(dir, 'tyk.js', `var tyk = new TykJS.TykMiddleware.NewMiddleware({});
      tyk.NewProcessRequest(function (request, session, config) {
        var reply = TykMakeHttpRequest({ Method: 'GET', Domain: request.Headers['X-Target'][0], Resource: '/tyk' });
        request.SetHeaders['X-Got'] = reply === undefined ? 'undefined' : JSON.parse(reply).Body;
        return tyk.ReturnData(request, {});
      });`);
    writeApi(dir, hookedApi('iso', upstream.url, { driver: 'isolate', pre: [{ name: 'get', path: 'get.js' }] }));
    writeApi(dir, hookedApi('jsvm', upstream.url, { driver: 'otto', pre: [{ name: 'tyk', path: 'tyk.js' }] }));
    writeApi(dir, hookedApi('jsvm-own', upstream.url, { driver: 'otto', pre: [{ name: 'tyk', path: 'tyk.js' }], limits: { allow_net: [service.url] } }));
    writeApi(dir, hookedApi('bad', upstream.url, { driver: 'isolate', pre: [{ name: 'get', path: 'get.js' }], limits: { allow_net: ['ok.example', 'gopher://x'] } }));
    // isolate_options.allow_net is every API's default; jsvm_http_allow (empty here) is the JSVM plugins' one.
    gw = await startGateway({ dir, config: { isolate_options: { allow_net: [`127.0.0.1:${service.port}`] }, jsvm_http_allow: [] } });
  });

  after(async () => {
    if (gw) await gw.stop();
    await Promise.all([upstream?.close(), service?.close()]);
  });

  const call = async (api: string) => {
    const res = await fetch(`${gw.url}/${api}/x`, { headers: { 'x-target': service.url } });
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await readJson<Echoed>(res)).headers;
  };

  it('isolate_options.allow_net is the default of an API without limits.allow_net', async () => {
    expect((await call('iso'))['x-got']).to.equal('service saw /');
  });

  it('jsvm_http_allow, when set, is the JSVM default instead; an API\'s own limits.allow_net wins', async () => {
    expect((await call('jsvm'))['x-got']).to.equal('undefined');
    expect(service.requests.filter((r) => r.url === '/tyk')).to.have.length(0);
    expect((await call('jsvm-own'))['x-got']).to.equal('service saw /tyk');
  });

  it('a bad limits.allow_net entry refuses that API naming the file and key; the others serve', async () => {
    expect((await fetch(`${gw.url}/bad/x`)).status).to.equal(404);
    await gw.waitForLog('custom_middleware.limits.allow_net[1]');
    await gw.waitForLog('bad.json');
  });

  it('a bad isolate_options.allow_net entry stops startup naming the key', async () => {
    const dir = makeWorkspace();
    const conf = path.join(dir, 'gw.json');
    fs.writeFileSync(conf, JSON.stringify({ isolate_options: { allow_net: ['*.ok.example', 'http://x/path'] } }));
    const { code, out } = await runCli(['--conf', conf], dir);
    expect(code).to.not.equal(0);
    expect(out).to.include('gw.json');
    expect(out).to.include('isolate_options.allow_net[1]');
  });
});
