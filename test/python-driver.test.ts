// Driver `python`: Tyk-style Python plugins (test/fixtures/python/middleware.py) in real
// gateways, each API in its own real python3 process, over real sockets. What the upstream,
// the webhook receiver and Redis received is asserted, not only the status.
import { expect } from 'chai';
import { plugin, pythonOrSkip, runtimeOf, SOON } from './fixtures/python/harness';
import { keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type ApiDef, type RunningGateway } from './helpers/gateway';
import { startRecordingServer, type Received, type RecordingServer } from './helpers/http';
import { sleep, until } from './helpers/poll';
import { requireRedisServer, startRedis, type RunningRedis } from './helpers/redis';

const MIDDLEWARE = plugin('middleware.py');

function pythonApi(apiId: string, listenPath: string, target: string, middleware: Record<string, unknown>, extra: Record<string, unknown> = {}): ApiDef {
  return keylessApi(apiId, listenPath, target, { custom_middleware: { driver: 'python', ...middleware }, ...extra });
}

/** What a StoreAndTell hook read back (X-Got, JSON), from the request the upstream received. */
const gotOf = (seen: Received): unknown => JSON.parse(seen.headers['x-got'] as string);

/** A webhook's JSON body, or undefined when it is not JSON. */
function webhookBody(seen: Received): { event?: string; message?: string } | undefined {
  try {
    return JSON.parse(seen.text) as { event?: string; message?: string };
  } catch {
    return undefined;
  }
}

describe('python driver: Tyk Python plugins', function () {
  this.timeout(60_000);
  let python: string;
  let upstream: RecordingServer;
  let receiver: RecordingServer;
  let gw: RunningGateway;

  before(async function () {
    python = pythonOrSkip(this);
    upstream = await startRecordingServer();
    receiver = await startRecordingServer();
    const dir = makeWorkspace();
    // `py` loads its API folder (middleware_path/py/middleware.py); the others name the file by `path`.
    writeMiddleware(dir, 'py/middleware.py', MIDDLEWARE);
    writeMiddleware(dir, 'shared/middleware.py', MIDDLEWARE);
    writeApi(dir, pythonApi('py', '/py/', upstream.url, { pre: [{ name: 'EditRequest' }, { name: 'StoreAndTell' }] }, { config_data: { greeting: 'hello from config_data' } }));
    writeApi(dir, pythonApi('py-resp', '/py-resp/', upstream.url, { response: [{ name: 'RewriteResponse', path: 'shared/middleware.py' }] }));
    writeApi(dir, pythonApi('py-org2', '/py-org2/', upstream.url, { pre: [{ name: 'StoreAndTell', path: 'shared/middleware.py' }] }, { org_id: 'org2' }));
    writeApi(dir, {
      api_id: 'py-auth', org_id: 'org1', use_keyless: false, custom_plugin_auth_enabled: true,
      proxy: { listen_path: '/py-auth/', target_url: upstream.url, strip_listen_path: true },
      custom_middleware: {
        driver: 'python',
        auth_check: { name: 'CheckToken', path: 'shared/middleware.py' },
        pre: [{ name: 'StoreAndTell', path: 'shared/middleware.py' }],
        post: [{ name: 'TellSession', path: 'shared/middleware.py' }],
        id_extractor: { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } },
      },
      event_handlers: { events: { AuthFailure: [{ handler_name: 'cp_dynamic_handler', handler_meta: { name: 'OnAuthFailure' } }] } },
    });
    gw = await startGateway({
      dir,
      env: { PYTHON: python },
      config: { event_handlers: { events: { PluginEvent: [{ handler_name: 'eh_web_hook_handler', handler_meta: { method: 'POST', target_path: `${receiver.url}/plugin-event`, event_timeout: 0 } }] } } },
    });
  });

  after(async () => {
    await gw?.stop();
    await receiver?.close();
    await upstream?.close();
  });

  const last = () => upstream.requests[upstream.requests.length - 1];

  it('edits headers and query params through the request wrapper, and reads config_data from spec', async () => {
    const res = await fetch(`${gw.url}/py/things?secret=s3cr3t&keep=1`, { headers: { 'X-Remove-Me': 'bye', 'User-Agent': 'isogate-test' } });
    expect(res.status).to.equal(200);
    const seen = last();
    expect(seen.headers['x-python-pre']).to.equal('yes');
    expect(seen.headers['x-config']).to.equal('hello from config_data');
    expect(seen.headers['x-seen-agent']).to.equal('isogate-test');
    expect(seen.headers).to.not.have.property('x-remove-me');
    expect(seen.url).to.equal('/things?from_python=1&keep=1');
  });

  it('replaces the request body through request.object.raw_body', async () => {
    const res = await fetch(`${gw.url}/py/body?replace_body=1`, { method: 'POST', body: 'original body' });
    expect(res.status).to.equal(200);
    expect(last().body.toString()).to.equal('replaced by python');
    expect(last().headers['content-length']).to.equal(String('replaced by python'.length));
  });

  it('answers from return_overrides: an error through the template, a direct answer raw', async () => {
    const before = upstream.requests.length;
    const denied = await fetch(`${gw.url}/py/x?deny=1`);
    expect(denied.status).to.equal(403);
    expect(denied.headers.get('x-denied-by')).to.equal('python');
    expect(await denied.json()).to.deep.equal({ error: 'Denied by Python' });
    const direct = await fetch(`${gw.url}/py/x?direct=1`);
    expect(direct.status).to.equal(200);
    expect(direct.headers.get('content-type')).to.equal('application/json');
    expect(await direct.text()).to.equal('{"answered_by": "python"}');
    expect(upstream.requests.length).to.equal(before);
  });

  it('runs auth_check: session.rate and metadata["token"] make a session, the ID extractor cache serves the second call', async () => {
    const first = await fetch(`${gw.url}/py-auth/a`, { headers: { Authorization: 'alice-token' } });
    expect(first.status).to.equal(200);
    expect(last().headers['x-rate']).to.equal('500.0');
    expect(last().headers['x-auth-calls']).to.equal('1');
    expect(last().headers['x-token-meta']).to.equal('alice-token');
    const second = await fetch(`${gw.url}/py-auth/b`, { headers: { Authorization: 'alice-token' } });
    expect(second.status).to.equal(200);
    // Served from the cache: the plugin's own counter did not move.
    expect(last().headers['x-auth-calls']).to.equal('1');
    const bob = await fetch(`${gw.url}/py-auth/c`, { headers: { Authorization: 'bob-token' } });
    expect(bob.status).to.equal(200);
    expect(last().headers['x-auth-calls']).to.equal('1');
    const stats = await runtimeOf(gw, 'py-auth');
    expect(stats.calls).to.be.greaterThan(0);
  });

  it('refuses a bad token with the plugin\'s status, and runs the @Event handler for AuthFailure', async () => {
    const res = await fetch(`${gw.url}/py-auth/x`, { headers: { Authorization: 'mallory' } });
    expect(res.status).to.equal(401);
    expect(await res.json()).to.deep.equal({ error: 'Python says no' });
    // OnAuthFailure stores what it received; StoreAndTell (a pre hook of the same API) reads it back.
    await until(async () => {
      await fetch(`${gw.url}/py-auth/y?get=last-event`, { headers: { Authorization: 'alice-token' } });
      return expect(JSON.parse(gotOf(last()) as string)).to.deep.equal({ type: 'AuthFailure', api: 'py-auth' });
    }, SOON);
  });

  it('runs a response hook with five arguments: body, header and status replaced', async () => {
    const res = await fetch(`${gw.url}/py-resp/resource?q=1`);
    expect(res.status).to.equal(201);
    expect(res.headers.get('x-python-response')).to.equal('yes');
    expect(await res.json()).to.deep.equal({ rewritten: true, upstream_url: '/resource?q=1', status: 200 });
  });

  it('round-trips store_data / get_data, scoped to the API\'s org', async () => {
    await fetch(`${gw.url}/py/x?store=colour&value=${encodeURIComponent('blue\r\nX-Injected: 1')}`);
    await fetch(`${gw.url}/py/x?get=colour`);
    expect(gotOf(last())).to.equal('blue\r\nX-Injected: 1');
    expect(last().headers).to.not.have.property('x-injected');
    // Another org's API asks for the same key and gets nothing.
    await fetch(`${gw.url}/py-org2/x?get=colour`);
    expect(gotOf(last())).to.equal('');
    // A key with a TTL expires.
    await fetch(`${gw.url}/py/x?store=short&value=soon-gone&ttl=1`);
    await fetch(`${gw.url}/py/x?get=short`);
    expect(gotOf(last())).to.equal('soon-gone');
    await sleep(1200);
    await fetch(`${gw.url}/py/x?get=short`);
    expect(gotOf(last())).to.equal('');
  });

  it('trigger_event fires a gateway event that reaches a webhook', async () => {
    const res = await fetch(`${gw.url}/py/x?event=hello-webhook`);
    expect(res.status).to.equal(200);
    const hit = await receiver.waitFor((r) => r.url === '/plugin-event' && webhookBody(r)?.event === 'PluginEvent');
    expect(webhookBody(hit)?.message).to.equal('hello-webhook');
  });

  it('logs tagged with the API id', async () => {
    await fetch(`${gw.url}/py/x?log=${encodeURIComponent('line one')}`);
    await until(() => {
      const line = gw.logs.join('').split('\n').find((l) => l.includes('plugin says line one'));
      expect(line, 'log line').to.be.a('string');
      return expect(JSON.parse(line!)).to.include({ api_id: 'py', source: 'middleware' });
    }, SOON);
  });

  it('reports the process in /tyk/apis/{id}/runtime: pid, RSS, address-space limit, versions', async () => {
    const stats = await runtimeOf(gw, 'py');
    expect(stats.driver).to.equal('python');
    expect(stats.state).to.equal('ready');
    expect(stats.pid).to.be.a('number');
    expect(stats.rssBytes).to.be.within(5 * 1024 * 1024, 200 * 1024 * 1024);
    expect(stats.addressSpaceLimitBytes).to.be.greaterThan(128 * 1024 * 1024);
    expect(stats.python).to.match(/^3\./);
    expect(stats.interpreter).to.equal(python);
  });
});

describe('python driver: store_data with Redis', function () {
  this.timeout(60_000);
  let python: string;
  let redis: RunningRedis;
  let upstream: RecordingServer;
  let gw: RunningGateway;

  before(async function () {
    python = pythonOrSkip(this);
    requireRedisServer(this);
    redis = await startRedis();
    upstream = await startRecordingServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'py/middleware.py', MIDDLEWARE);
    writeApi(dir, pythonApi('py', '/py/', upstream.url, { pre: [{ name: 'StoreAndTell' }] }, { org_id: 'org:1' }));
    gw = await startGateway({ dir, env: { PYTHON: python }, config: { storage: { type: 'redis', host: '127.0.0.1', port: redis.port } } });
  });

  after(async () => {
    await gw?.stop();
    await upstream?.close();
    await redis?.close();
  });

  it('keeps values under coprocess-data:<org>:<key> with the TTL, and reads them back', async () => {
    const raw = redis.client();
    const res = await fetch(`${gw.url}/py/x?store=${encodeURIComponent('k\r\n1')}&value=v1&ttl=100`);
    expect(res.status).to.equal(200);
    // The org is percent-encoded so it cannot run into the key: "org:1" → "org%3A1".
    expect(await raw.get('coprocess-data:org%3A1:k\r\n1')).to.equal('v1');
    expect(await raw.ttl('coprocess-data:org%3A1:k\r\n1')).to.be.within(90, 100);
    await raw.set('coprocess-data:org%3A1:from-elsewhere', 'written by another node');
    await fetch(`${gw.url}/py/x?get=from-elsewhere`);
    expect(gotOf(upstream.requests[upstream.requests.length - 1])).to.equal('written by another node');
  });
});
