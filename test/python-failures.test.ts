// Driver `python` when a plugin misbehaves: each failure costs only its own API's process (it
// is killed or dies, and comes back), while another Python API keeps answering 200 throughout.
// Plugins returning what no client may see are refused by the shared checks (src/coprocess/message.ts).
import { expect } from 'chai';
import { keepServing, plugin, pythonOrSkip, runtimeOf, SOON, type Load } from './fixtures/python/harness';
import { keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { echoed, startRecordingServer, type RecordingServer } from './helpers/http';
import { until } from './helpers/poll';
import { isAlive } from './helpers/processes';

/** How long a failed API's process takes at most to come back. */
const RESTART = { timeoutMs: 15_000, stepMs: 100 };

describe('python driver: failures cost only their own API', function () {
  this.timeout(90_000);
  let upstream: RecordingServer;
  let gw: RunningGateway;
  let other: Load;

  before(async function () {
    const python = pythonOrSkip(this);
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'py-good/good.py', plugin('good.py'));
    writeMiddleware(dir, 'py-bad/misbehaving.py', plugin('misbehaving.py'));
    writeMiddleware(dir, 'bad/misbehaving.py', plugin('misbehaving.py'));
    const limits = { hook_timeout_ms: 500, memory_limit_mb: 64 };
    writeApi(dir, keylessApi('py-good', '/py-good/', upstream.url, { custom_middleware: { driver: 'python', pre: [{ name: 'Greet' }] } }));
    writeApi(dir, keylessApi('py-bad', '/py-bad/', upstream.url, { custom_middleware: { driver: 'python', pre: [{ name: 'Misbehave' }], limits } }));
    writeApi(dir, keylessApi('py-flood', '/py-flood/', upstream.url, { custom_middleware: { driver: 'python', pre: [{ name: 'Flood', path: 'bad/misbehaving.py' }], limits: { hook_timeout_ms: 3000 } } }));
    writeApi(dir, keylessApi('py-resp', '/py-resp/', upstream.url, { custom_middleware: { driver: 'python', response: [{ name: 'BadStatus', path: 'bad/misbehaving.py' }] } }));
    writeApi(dir, {
      api_id: 'py-auth', org_id: 'org1', use_keyless: false, custom_plugin_auth_enabled: true,
      proxy: { listen_path: '/py-auth/', target_url: upstream.url, strip_listen_path: true },
      custom_middleware: { driver: 'python', auth_check: { name: 'FragileAuth', path: 'bad/misbehaving.py' }, limits },
    });
    gw = await startGateway({ dir, env: { PYTHON: python } });
  });

  beforeEach(() => {
    other = keepServing(`${gw.url}/py-good/alive`);
  });

  afterEach(async () => {
    const statuses = await other.stop();
    expect(statuses.length, 'requests to the other API').to.be.greaterThan(0);
    expect(statuses.filter((s) => s !== 200), 'the other API answered something else than 200').to.deep.equal([]);
  });

  after(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  /** The pid the API's hook reports, from the upstream's echo of this very request (other APIs are busy meanwhile). */
  async function pidOf(api: string): Promise<number> {
    const res = await fetch(`${gw.url}/${api}/pid`);
    expect(res.status).to.equal(200);
    return Number((await echoed(res)).headers['x-pid']);
  }

  /** Requests until the API answers 200 again; returns the new process id. */
  function backUp(api: string): Promise<number> {
    return until(() => pidOf(api), RESTART);
  }

  it('an infinite loop hits hook_timeout_ms: 500, the process is killed and restarted', async () => {
    const before = await pidOf('py-bad');
    const started = Date.now();
    const res = await fetch(`${gw.url}/py-bad/x?loop=1`);
    expect(res.status).to.equal(500);
    expect(await res.json()).to.deep.equal({ error: 'Middleware error' });
    expect(Date.now() - started).to.be.below(3000);
    const after = await backUp('py-bad');
    expect(after).to.not.equal(before);
    expect(isAlive(before), 'the looping process').to.equal(false);
    const stats = await runtimeOf(gw, 'py-bad');
    expect(stats.failures.timeout).to.be.at.least(1);
    expect(stats.lastExit.killedFor).to.match(/hook_timeout_ms \(500 ms\)/);
  });

  it('a memory hog hits RLIMIT_AS (memory_limit_mb): 500, the process is replaced', async () => {
    const before = await pidOf('py-bad');
    const res = await fetch(`${gw.url}/py-bad/x?hog=1`);
    expect(res.status).to.equal(500);
    const after = await backUp('py-bad');
    expect(after).to.not.equal(before);
    const stats = await runtimeOf(gw, 'py-bad');
    expect(stats.failures.memory).to.be.at.least(1);
    await until(() => expect(gw.logs.join('')).to.match(/the hook ran out of memory \(limits.memory_limit_mb 64 MiB\).*MemoryError/), SOON);
    expect(stats.memoryLimitMb).to.equal(64);
    expect(stats.rssBytes).to.be.below(stats.addressSpaceLimitBytes);
  });

  it('os._exit in a hook: 500, then the process comes back after its back-off', async () => {
    const before = await pidOf('py-bad');
    const res = await fetch(`${gw.url}/py-bad/x?exit=1`);
    expect(res.status).to.equal(500);
    const after = await backUp('py-bad');
    expect(after).to.not.equal(before);
    const stats = await runtimeOf(gw, 'py-bad');
    expect(stats.lastExit.code).to.equal(1);
    expect(stats.restarts).to.be.at.least(1);
  });

  it('sys.exit in a hook ends the process the same way', async () => {
    const before = await pidOf('py-bad');
    expect((await fetch(`${gw.url}/py-bad/x?sysexit=1`)).status).to.equal(500);
    expect(await backUp('py-bad')).to.not.equal(before);
    expect((await runtimeOf(gw, 'py-bad')).lastExit.code).to.equal(3);
  });

  it('hook_timeout_ms measures the hook, not the wait behind the API\'s other calls', async () => {
    const before = await pidOf('py-bad');
    // Eight 200 ms hooks at once: the last waits ~1.4 s in line, each runs well within 500 ms.
    const statuses = await Promise.all(Array.from({ length: 8 }, () => fetch(`${gw.url}/py-bad/x?sleep=0.2`).then((r) => r.status)));
    expect(statuses).to.deep.equal(Array(8).fill(200));
    expect(await pidOf('py-bad')).to.equal(before);
  });

  it('an exception is a 500 with the traceback in the log; the process stays', async () => {
    const before = await pidOf('py-bad');
    const res = await fetch(`${gw.url}/py-bad/x?raise=1`);
    expect(res.status).to.equal(500);
    expect(await pidOf('py-bad')).to.equal(before);
    await until(() => {
      const text = gw.logs.join('');
      expect(text).to.match(/misbehaving\.py:\d+ in Misbehave: ValueError: a bug in the plugin/);
      return expect(text).to.include('Traceback (most recent call last)');
    }, SOON);
    const bad = await fetch(`${gw.url}/py-bad/x?bad_return=1`);
    expect(bad.status).to.equal(500);
  });

  it('auth_check fails closed: a looping or dying auth hook answers 403', async () => {
    const loop = await fetch(`${gw.url}/py-auth/x`, { headers: { Authorization: 'loop' } });
    expect(loop.status).to.equal(403);
    expect(await loop.json()).to.deep.equal({ error: 'Key not authorised' });
    await until(async () => expect((await fetch(`${gw.url}/py-auth/x`, { headers: { Authorization: 'good' } })).status).to.equal(200), RESTART);
    const exit = await fetch(`${gw.url}/py-auth/x`, { headers: { Authorization: 'exit' } });
    expect(exit.status).to.equal(403);
    // While the process is restarting, auth still fails closed.
    const between = await fetch(`${gw.url}/py-auth/x`, { headers: { Authorization: 'good' } });
    expect([200, 403]).to.include(between.status);
    await until(async () => expect((await fetch(`${gw.url}/py-auth/x`, { headers: { Authorization: 'good' } })).status).to.equal(200), RESTART);
    expect((await fetch(`${gw.url}/py-auth/x`, { headers: { Authorization: 'nobody' } })).status).to.equal(403);
  });

  it('refuses a status of 1000 and CR/LF in headers, whether for the upstream or the client', async () => {
    for (const query of ['code1000=1', 'crlf_header=1', 'crlf_override=1']) {
      const res = await fetch(`${gw.url}/py-bad/x?${query}`);
      expect(res.status, query).to.equal(500);
      expect(res.headers.get('x-injected'), query).to.equal(null);
    }
    expect(upstream.requests.filter((r) => /code1000|crlf/.test(r.url)), 'nothing went upstream').to.deep.equal([]);
    const resp = await fetch(`${gw.url}/py-resp/x`);
    expect(resp.status).to.equal(500);
    // Log lines arrive over the gateway's stdout, possibly after the response.
    await until(() => {
      const refused = gw.logs.join('').split('\n').filter((l) => l.includes('"reason":"bad_result"') && /"api_id":"py-(bad|resp)"/.test(l));
      return expect(refused.length, 'refusals logged as bad_result').to.be.at.least(4);
    }, SOON);
  });

  it('a plugin printing a flood loses lines past its budget; the gateway log stays bounded', async () => {
    const res = await fetch(`${gw.url}/py-flood/x?print=50000`);
    expect(res.status).to.equal(200);
    await until(() => expect(gw.logs.join('')).to.include('lines dropped so far'), SOON);
    const lines = gw.logs.join('').split('\n').filter((l) => l.includes('flood line'));
    expect(lines.length).to.be.within(1, 3000);
  });

  it('a plugin flooding its raw stderr is slowed down, times out and is restarted', async () => {
    const before = await pidOf('py-flood');
    const res = await fetch(`${gw.url}/py-flood/x?raw=1`);
    expect(res.status).to.equal(500);
    expect(await backUp('py-flood')).to.not.equal(before);
    const bytes = gw.logs.join('').split('\n').filter((l) => l.includes('raw flood')).reduce((n, l) => n + l.length, 0);
    // 64 KiB/s for the ~3 s the hook ran, plus one burst: far below what it tried to write.
    expect(bytes).to.be.below(1024 * 1024);
  });
});
