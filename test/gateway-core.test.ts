import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { SessionState } from '../src/pipeline/session';
import { startGateway, makeWorkspace, writeApi, keylessApi, runCli, type ApiDef, type RunningGateway } from './helpers/gateway';
import { startRecordingServer, type RecordingServer, echo, echoed, readJson, tykError, tykReply, type Echoed } from './helpers/http';
import { sleep } from './helpers/poll';

const TYK_FORBIDDEN = { status: 'error', message: 'Attempted administrative access with invalid or missing key!' };

function protectedApi(apiId: string, listenPath: string, target: string, extra: Record<string, unknown> = {}): ApiDef {
  return { api_id: apiId, org_id: 'org1', name: apiId, use_keyless: false, auth: { auth_header_name: 'Authorization' }, proxy: { listen_path: listenPath, target_url: target, strip_listen_path: true }, ...extra };
}

describe('gateway core (real gateway process, real upstream)', function () {
  let upstream: RecordingServer;
  let gw: RunningGateway;
  let dir: string;

  before(async () => {
    upstream = await startRecordingServer((seen, res) => {
      if (!seen.url.startsWith('/slow')) return echo(seen, res);
      setTimeout(() => { res.writeHead(200); res.end('late'); }, 3000);
    });
    dir = makeWorkspace();
    writeApi(dir, keylessApi('open', '/open/', upstream.url));
    writeApi(dir, keylessApi('open-deep', '/open/deeper/', `${upstream.url}/deep`));
    writeApi(dir, keylessApi('nostrip', '/nostrip/', upstream.url, { proxy: { listen_path: '/nostrip/', target_url: upstream.url, strip_listen_path: false } }));
    writeApi(dir, protectedApi('keyed', '/keyed/', upstream.url));
    writeApi(dir, keylessApi('down', '/down/', 'http://127.0.0.1:1'));
    fs.writeFileSync(path.join(dir, 'apps', 'broken.json'), '{ "api_id": "broken", ');
    fs.writeFileSync(path.join(dir, 'apps', 'badkey.json'), JSON.stringify({ api_id: 'badkey', proxy: { listen_path: 'no-slash', target_url: upstream.url } }));
    gw = await startGateway({ dir, config: { proxy_timeout_ms: 1000 } });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  it('answers /hello with 200 JSON once ready', async () => {
    const res = await fetch(`${gw.url}/hello`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/application\/json/);
    const body = await readJson<{ status: string }>(res);
    expect(body.status).to.equal('pass');
  });

  it('proxies a keyless API, stripping the listen path and adding X-Forwarded-For', async () => {
    const res = await fetch(`${gw.url}/open/things?a=1`, { headers: { 'x-custom': 'yes' } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-upstream')).to.equal('echo');
    const seen = await echoed(res);
    expect(seen.url).to.equal('/things?a=1');
    expect(seen.headers['x-custom']).to.equal('yes');
    expect(seen.headers['x-forwarded-for']).to.equal('127.0.0.1');
    expect(seen.headers.host).to.equal(new URL(upstream.url).host);
  });

  it('routes to the longest matching listen path and joins the target path', async () => {
    const seen = await echoed(await fetch(`${gw.url}/open/deeper/x`));
    expect(seen.url).to.equal('/deep/x');
    const bare = await echoed(await fetch(`${gw.url}/open`));
    expect(bare.url).to.equal('/');
  });

  it('keeps the listen path when strip_listen_path is false', async () => {
    const seen = await echoed(await fetch(`${gw.url}/nostrip/a`));
    expect(seen.url).to.equal('/nostrip/a');
  });

  it('does not forward hop-by-hop headers', async () => {
    const seen = await new Promise<Echoed>((resolve, reject) => {
      const req = http.request(`${gw.url}/open/hop`, { headers: { connection: 'keep-alive, x-drop-me', 'x-drop-me': '1', 'keep-alive': 'timeout=5', te: 'trailers' } }, (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve(JSON.parse(data)));
      });
      req.on('error', reject);
      req.end();
    });
    expect(seen.headers).to.not.have.property('x-drop-me');
    expect(seen.headers).to.not.have.property('te');
    expect(seen.headers).to.not.have.property('keep-alive');
  });

  it('streams a large request body to the upstream intact', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const seen = await echoed(await fetch(`${gw.url}/open/upload`, { method: 'POST', body }));
    expect(Buffer.from(seen.body, 'base64').equals(body)).to.equal(true);
  });

  it('answers 502 with the error template when the upstream refuses', async () => {
    const res = await fetch(`${gw.url}/down/x`);
    expect(res.status).to.equal(502);
    expect(res.headers.get('content-type')).to.equal('application/json');
    expect(await res.text()).to.equal('{\n    "error": "There was a problem proxying the request"\n}');
  });

  it('answers 504 when the upstream times out', async () => {
    const res = await fetch(`${gw.url}/open/slow`);
    expect(res.status).to.equal(504);
    expect(await tykError(res)).to.equal('Upstream service reached hard timeout.');
  });

  it('answers 404 for an unknown path', async () => {
    const res = await fetch(`${gw.url}/nothing-here`);
    expect(res.status).to.equal(404);
  });

  it('skips a broken definition file, names it in the log, and serves the rest', async () => {
    const log = gw.logs.join('');
    expect(log).to.include('broken.json');
    expect(log).to.include('proxy.listen_path');
    expect((await fetch(`${gw.url}/open/x`)).status).to.equal(200);
  });

  describe('management API', () => {
    it('refuses a missing or wrong secret with Tyk\'s message', async () => {
      const none = await fetch(`${gw.url}/tyk/apis`);
      expect(none.status).to.equal(403);
      expect(await tykReply(none)).to.deep.equal(TYK_FORBIDDEN);
      const wrong = await fetch(`${gw.url}/tyk/reload`, { headers: { 'x-tyk-authorization': 'nope' } });
      expect(wrong.status).to.equal(403);
    });

    it('lists and reads APIs; an unknown id is 404 "API not found"', async () => {
      const list = await readJson<ApiDef[]>(await gw.admin('/tyk/apis'));
      expect(list.map((a) => a.api_id)).to.include.members(['open', 'keyed']);
      const one = await gw.admin('/tyk/apis/open');
      expect((await readJson<{ proxy: { listen_path: string } }>(one)).proxy.listen_path).to.equal('/open/');
      const missing = await gw.admin('/tyk/apis/nope');
      expect(missing.status).to.equal(404);
      expect((await tykReply(missing)).message).to.equal('API not found');
    });

    it('rejects malformed JSON with 400 "Request malformed"', async () => {
      const res = await gw.admin('/tyk/apis', { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } });
      expect(res.status).to.equal(400);
      expect((await tykReply(res)).message).to.equal('Request malformed');
    });

    it('rejects an invalid definition naming the key', async () => {
      const res = await gw.admin('/tyk/apis', { method: 'POST', body: JSON.stringify({ api_id: 'x1', proxy: { listen_path: '/x1/' } }) });
      expect(res.status).to.equal(400);
      expect((await tykReply(res)).message).to.include('proxy.target_url');
    });

    it('creates an API, serves it after a reload, updates and deletes it', async () => {
      const created = await gw.admin('/tyk/apis', { method: 'POST', body: JSON.stringify(keylessApi('made', '/made/', upstream.url)) });
      expect(await tykReply(created)).to.deep.equal({ key: 'made', status: 'ok', action: 'added' });
      expect((await fetch(`${gw.url}/made/x`)).status).to.equal(404);
      // broken.json and badkey.json are still in app_path: reported, while the new API loads.
      const report = await gw.reload();
      expect(report.status).to.equal('error');
      expect((report.failed ?? []).map((f) => f.file.split('/').pop()).sort()).to.deep.equal(['badkey.json', 'broken.json']);
      expect((await fetch(`${gw.url}/made/x`)).status).to.equal(200);

      const updated = await gw.admin('/tyk/apis/made', { method: 'PUT', body: JSON.stringify(keylessApi('made', '/made2/', upstream.url)) });
      expect((await tykReply(updated)).action).to.equal('modified');
      await gw.reload();
      expect((await fetch(`${gw.url}/made2/x`)).status).to.equal(200);

      const deleted = await gw.admin('/tyk/apis/made', { method: 'DELETE' });
      expect((await tykReply(deleted)).action).to.equal('deleted');
      await gw.reload();
      expect((await fetch(`${gw.url}/made2/x`)).status).to.equal(404);
    });
  });

  describe('standard token auth, expiry, rate limit and quota', () => {
    async function createKey(session: SessionState): Promise<string> {
      const res = await gw.admin('/tyk/keys/create', { method: 'POST', body: JSON.stringify({ org_id: 'org1', access_rights: { keyed: { api_id: 'keyed', api_name: 'keyed', versions: ['Default'] } }, ...session }) });
      expect(res.status).to.equal(200);
      return (await tykReply(res)).key!;
    }

    it('401 without a key, 403 with an unknown key, 200 with a valid one', async () => {
      const none = await fetch(`${gw.url}/keyed/x`);
      expect(none.status).to.equal(401);
      expect(await tykError(none)).to.equal('Authorization field missing');
      const bad = await fetch(`${gw.url}/keyed/x`, { headers: { authorization: 'not-a-key' } });
      expect(bad.status).to.equal(403);
      expect(await tykError(bad)).to.equal('Access to this API has been disallowed');
      const key = await createKey({ rate: 100, per: 1, quota_max: -1 });
      const ok = await fetch(`${gw.url}/keyed/x`, { headers: { authorization: key } });
      expect(ok.status).to.equal(200);
    });

    it('401 "Key has expired, please renew" for an expired key', async () => {
      const key = await createKey({ rate: 100, per: 1, quota_max: -1, expires: Math.floor(Date.now() / 1000) - 10 });
      const res = await fetch(`${gw.url}/keyed/x`, { headers: { authorization: key } });
      expect(res.status).to.equal(401);
      expect(await tykError(res)).to.equal('Key has expired, please renew');
    });

    it('403 for a key without access to this API', async () => {
      const res0 = await gw.admin('/tyk/keys/create', { method: 'POST', body: JSON.stringify({ org_id: 'org1', rate: 10, per: 1, quota_max: -1, access_rights: { other: { api_id: 'other' } } }) });
      const key = (await tykReply(res0)).key!;
      const res = await fetch(`${gw.url}/keyed/x`, { headers: { authorization: key } });
      expect(res.status).to.equal(403);
      expect(await tykError(res)).to.equal('Access to this API has been disallowed');
    });

    it('429 "Rate limit exceeded" once the rate is used up', async () => {
      const key = await createKey({ rate: 3, per: 60, quota_max: -1 });
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await fetch(`${gw.url}/keyed/x`, { headers: { authorization: key } })).status);
      expect(codes.slice(0, 3)).to.deep.equal([200, 200, 200]);
      expect(codes[4]).to.equal(429);
    });

    it('403 "Quota exceeded" once the quota is used up', async () => {
      const key = await createKey({ rate: 100, per: 1, quota_max: 2, quota_renewal_rate: 3600 });
      const codes: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 3; i++) {
        last = await fetch(`${gw.url}/keyed/x`, { headers: { authorization: key } });
        codes.push(last.status);
      }
      expect(codes).to.deep.equal([200, 200, 403]);
      expect(await tykError(last!)).to.equal('Quota exceeded');
    });
  });
});

describe('a catch-all "/" listen path', function () {
  it('still leaves /hello and /tyk/ to the gateway', async () => {
    const upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeApi(dir, keylessApi('all', '/', upstream.url));
    const gw = await startGateway({ dir });
    try {
      expect((await echoed(await fetch(`${gw.url}/anything/at/all`))).url).to.equal('/anything/at/all');
      expect((await readJson<{ status: string }>(await fetch(`${gw.url}/hello`))).status).to.equal('pass');
      expect((await gw.admin('/tyk/apis/all')).status).to.equal(200);
    } finally {
      await gw.stop();
      await upstream.close();
    }
  });
});

describe('gateway startup and shutdown', function () {
  it('a bad config value stops startup naming the file and key, exit code non-zero', async () => {
    const dir = makeWorkspace();
    const conf = path.join(dir, 'bad.json');
    fs.writeFileSync(conf, JSON.stringify({ listen_port: 'eighty', isolate_options: { memory_limit_mb: 2 } }));
    const { code, out } = await runCli(['--conf', conf], dir);
    expect(code).to.not.equal(0);
    expect(out).to.include('bad.json');
    expect(out).to.include('listen_port');
    expect(out).to.include('isolate_options.memory_limit_mb');
  });

  it('invalid JSON in the config is reported with the file', async () => {
    const dir = makeWorkspace();
    const conf = path.join(dir, 'broken.json');
    fs.writeFileSync(conf, '{ "listen_port": ');
    const { code, out } = await runCli(['--conf', conf], dir);
    expect(code).to.not.equal(0);
    expect(out).to.include('broken.json');
    expect(out).to.include('invalid JSON');
  });

  it('SIGTERM finishes the in-flight request and exits 0', async () => {
    const upstream = await startRecordingServer((seen, res) => {
      setTimeout(() => { res.writeHead(200); res.end('finished'); }, 700);
    });
    const dir = makeWorkspace();
    writeApi(dir, keylessApi('slowish', '/s/', upstream.url));
    const gw = await startGateway({ dir });
    const inflight = fetch(`${gw.url}/s/x`).then(async (r) => ({ status: r.status, text: await r.text() }));
    await sleep(200);
    const exitCode = await gw.stop();
    const result = await inflight;
    expect(result).to.deep.equal({ status: 200, text: 'finished' });
    expect(exitCode).to.equal(0);
    await upstream.close();
  });
});
