// The `grpc` driver against real plugin servers over real sockets: the example Python server
// from middleware/python for the hook semantics, Node servers (test/fixtures/grpc) for failures.
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GrpcConnection, GrpcDispatcher, channelOptionsFrom, parseGrpcTarget, type CoprocessOptions } from '../src/coprocess/drivers/grpc';
import { HookType, type CoprocessObject, type DispatchError, type HookTypeValue } from '../src/coprocess/dispatcher';
import { startNodePluginServer, type NodePluginServer, type NodePluginServerOptions } from './fixtures/grpc/node-plugin-server';
import { ensurePythonGrpc, startPythonPluginServer, type PythonPluginServer } from './fixtures/grpc/python-plugin-server';
import { present } from './helpers/coprocess';
import { rejectionOf } from './helpers/errors';
import { hookedApi, makeWorkspace, startGateway, writeApi, type ApiDef, type RunningGateway } from './helpers/gateway';
import { startRecordingServer, readJson, tykErrorBody, type RecordingServer } from './helpers/http';
import { silentLogger } from './helpers/log';
import { sleep, until } from './helpers/poll';

function connect(server: string, extra: Partial<CoprocessOptions> = {}) {
  return GrpcConnection.fromConfig({ enable_coprocess: true, coprocess_grpc_server: server, ...extra });
}

function dispatcherFor(connection: GrpcConnection, timeoutMs = 1000) {
  return new GrpcDispatcher(connection, { apiId: 'api-1', timeoutMs, logger: silentLogger });
}

interface HookObjectOptions {
  hookType?: HookTypeValue;
  headers?: Record<string, string>;
  params?: Record<string, string>;
  url?: string;
  body?: Buffer;
}

/** An Object as the gateway builds it for a request hook. */
function hookObject(hookName: string, { hookType = HookType.Pre, headers = {}, params = {}, url = '/api/x', body = Buffer.alloc(0) }: HookObjectOptions = {}): CoprocessObject {
  return {
    hook_type: hookType,
    hook_name: hookName,
    request: {
      headers: { Host: 'gateway.test', ...headers },
      set_headers: {},
      delete_headers: [],
      body: '',
      url,
      params,
      add_params: {},
      extended_params: {},
      delete_params: [],
      return_overrides: { response_code: -1, response_error: '', headers: {}, override_error: false, response_body: '' },
      method: 'GET',
      request_uri: url,
      scheme: 'http',
      raw_body: body,
    },
    spec: { OrgID: 'org-1', APIID: 'api-1', bundle_hash: 'd41d8cd98f00b204e9800998ecf8427e' },
  };
}

function responseObject(hookName: string, upstreamBody: Buffer): CoprocessObject {
  const object = hookObject(hookName, { hookType: HookType.Response });
  object.session = { metadata: {} };
  object.metadata = {};
  object.response = {
    status_code: 200,
    raw_body: upstreamBody,
    body: upstreamBody.toString('utf8'),
    headers: { 'Content-Type': 'text/plain', 'X-Upstream': 'yes' },
    multivalue_headers: [{ key: 'Content-Type', values: ['text/plain'] }, { key: 'X-Upstream', values: ['yes'] }],
  };
  return object;
}

/** A DispatchEvent payload as the Python server logs it. */
interface EventPayload {
  message: { Type: string; Meta: Record<string, string> };
  handler_name: string;
  spec: Record<string, string>;
}

/** How a dispatch failed; fails the test if it succeeds. */
const failureOf = (promise: Promise<unknown>) => rejectionOf<DispatchError>(promise);

/**
 * The Python interpreter for the example plugin server; skips the calling suite only where the
 * packages cannot be installed (not Debian). A first run may apt-get install them, hence the wait.
 */
function pythonOrSkip(hook: Mocha.Context): { python: string } {
  hook.timeout(300_000);
  const python = ensurePythonGrpc();
  if (python.skip) {
    console.log(`      skipping the Python plugin server tests: ${python.skip}`);
    hook.skip();
  }
  return { python: python.python! };
}

describe('grpc driver', function () {
  describe('target and channel options', function () {
    it('parses Tyk coprocess_grpc_server values into grpc-js targets', function () {
      expect(parseGrpcTarget('tcp://127.0.0.1:5555')).to.equal('127.0.0.1:5555');
      expect(parseGrpcTarget('tcp://plugins.internal:5555/')).to.equal('plugins.internal:5555');
      expect(parseGrpcTarget('localhost:5555')).to.equal('localhost:5555');
      expect(parseGrpcTarget('unix:///run/plugin.sock')).to.equal('unix:///run/plugin.sock');
      expect(parseGrpcTarget('unix://run/plugin.sock')).to.equal('unix:run/plugin.sock');
      expect(parseGrpcTarget('dns:///plugins:5555')).to.equal('dns:///plugins:5555');
      expect(() => parseGrpcTarget('tcp://')).to.throw(/no host:port/);
      expect(() => parseGrpcTarget('')).to.throw(/empty/);
    });

    it('maps size limits and authority, keeping gRPC defaults for 0', function () {
      const options = channelOptionsFrom({ enable_coprocess: true, grpc_recv_max_size: 1024, grpc_send_max_size: 0, grpc_authority: 'plugins.example' });
      expect(options['grpc.max_receive_message_length']).to.equal(1024);
      expect(options).not.to.have.property('grpc.max_send_message_length');
      expect(options['grpc.default_authority']).to.equal('plugins.example');
      expect(options['grpc.max_reconnect_backoff_ms']).to.be.at.most(2000);
      expect(options['grpc.keepalive_time_ms']).to.be.above(0);
    });

    it('refuses to build a connection without a server', function () {
      expect(() => GrpcConnection.fromConfig({ enable_coprocess: true })).to.throw(/coprocess_grpc_server/);
    });
  });

  describe('with the example Python plugin server', function () {
    this.timeout(30_000);
    let server: PythonPluginServer;
    let connection: GrpcConnection;
    let dispatcher: GrpcDispatcher;

    before(async function () {
      const python = pythonOrSkip(this);
      server = await startPythonPluginServer({ python: python.python, tokens: ['secret-token', 'other-token'] });
      connection = connect(`tcp://${server.address}`);
      dispatcher = dispatcherFor(connection, 2000);
    });

    after(async function () {
      connection?.close();
      await server?.stop();
    });

    it('applies pre-hook header and param edits', async function () {
      const sent = hookObject('MyPreHook', {
        headers: { 'X-Remove-Me': 'bye' },
        params: { remove_me: '1', keep: '2' },
        url: '/api/x?remove_me=1&keep=2',
      });
      const result = present(await dispatcher.dispatch(sent));
      expect(result.request.set_headers).to.include({ 'X-Pre-Hook': 'python' });
      expect(result.request.delete_headers).to.deep.equal(['X-Remove-Me']);
      expect(result.request.add_params).to.deep.equal({ from_pre: 'python' });
      expect(result.request.delete_params).to.deep.equal(['remove_me']);
      expect(result.request.url).to.equal('/api/x?remove_me=1&keep=2');
      expect(result.request.return_overrides.response_code).to.equal(-1);
      expect(result.spec).to.deep.equal(sent.spec);
    });

    it('carries raw body bytes both ways unchanged', async function () {
      const body = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x80]), crypto.randomBytes(64 * 1024)]);
      const result = present(await dispatcher.dispatch(hookObject('MyPreHook', { body })));
      expect(result.request.set_headers['X-Body-Sha256']).to.equal(crypto.createHash('sha256').update(body).digest('hex'));
      expect(result.request.set_headers['X-Body-Length']).to.equal(String(body.length));
      expect(Buffer.compare(Buffer.from(result.request.raw_body), body)).to.equal(0);
    });

    it('returns return_overrides: an error code and a direct answer', async function () {
      const denied = present(await dispatcher.dispatch(hookObject('MyPreHook', { params: { deny: '1' }, url: '/api/x?deny=1' })));
      expect(denied.request.return_overrides).to.include({ response_code: 403, response_error: 'Denied by the Python pre hook' });

      const direct = present(await dispatcher.dispatch(hookObject('MyPreHook', { params: { direct: '1' }, url: '/api/x?direct=1' })));
      const overrides = direct.request.return_overrides;
      expect(overrides.response_code).to.equal(200);
      expect(JSON.parse(overrides.response_body)).to.deep.equal({ answered_by: 'MyPreHook' });
      expect(overrides.headers).to.deep.equal({ 'Content-Type': 'application/json', 'X-Answered-By': 'python' });
    });

    it('authenticates with auth_check: session, token and ID-extractor deadline', async function () {
      const before = Math.floor(Date.now() / 1000);
      const result = present(
        await dispatcher.dispatch(hookObject('MyAuthCheck', { hookType: HookType.CustomKeyCheck, headers: { Authorization: 'Bearer other-token' } })),
      );
      expect(result.metadata).to.deep.equal({ token: 'other-token' });
      const session = result.session;
      expect(session).to.include({ rate: 100, per: 1, quota_max: 1000, quota_remaining: 1000, quota_renewal_rate: 3600 });
      expect(session.id_extractor_deadline).to.be.within(before + 59, before + 62);
      expect(session.metadata.auth_calls).to.equal('1');
      expect(result.request.return_overrides.response_code).to.equal(-1);

      const again = present(
        await dispatcher.dispatch(hookObject('MyAuthCheck', { hookType: HookType.CustomKeyCheck, headers: { Authorization: 'other-token' } })),
      );
      expect(again.session.metadata.auth_calls).to.equal('2');
    });

    it('rejects an unknown token from auth_check with 403 and no token', async function () {
      const result = present(
        await dispatcher.dispatch(hookObject('MyAuthCheck', { hookType: HookType.CustomKeyCheck, headers: { Authorization: 'wrong' } })),
      );
      expect(result.request.return_overrides.response_code).to.equal(403);
      expect(result.metadata.token).to.equal(undefined);
      expect(result.session).to.equal(null);
    });

    it('runs a post hook that reads the session', async function () {
      const sent = hookObject('MyPostHook', { hookType: HookType.Post });
      sent.session = { rate: 100, per: 1, metadata: { token: 'secret-token', auth_calls: '7' } };
      sent.metadata = { token: 'secret-token', auth_calls: '7' };
      const result = present(await dispatcher.dispatch(sent));
      expect(result.request.set_headers).to.deep.equal({ 'X-Post-Hook': 'python', 'X-Auth-Calls': '7' });
      expect(result.session.metadata.token).to.equal('secret-token');
    });

    it('replaces the body in a response hook', async function () {
      const upstream = Buffer.from('hello from the upstream');
      const result = present(await dispatcher.dispatch(responseObject('MyResponseHook', upstream)));
      const body = JSON.parse(Buffer.from(result.response.raw_body).toString('utf8'));
      expect(body).to.deep.equal({ replaced_by: 'MyResponseHook', upstream_status: 200, upstream_body_bytes: upstream.length });
      expect(result.response.status_code).to.equal(200);
      expect(result.response.headers).to.include({ 'Content-Type': 'application/json', 'X-Response-Hook': 'python', 'X-Upstream': 'yes' });
    });

    it('echoes the Object for a hook name it does not know', async function () {
      const result = present(await dispatcher.dispatch(hookObject('NoSuchHook', { headers: { 'X-A': 'b' } })));
      expect(result.request.headers).to.include({ 'X-A': 'b' });
      expect(result.request.set_headers).to.deep.equal({});
    });

    it('delivers an event through DispatchEvent', async function () {
      const payload = {
        message: { Type: 'AuthFailure', Meta: { Message: 'Auth Failure', Path: '/api/x', Key: 'k' }, TimeStamp: new Date().toString() },
        handler_name: 'MyEventHandler',
        spec: { APIID: 'api-1', OrgID: 'org-1' },
      };
      await dispatcher.dispatchEvent(JSON.stringify(payload));
      const recorded = await until(() => {
        const lines = fs.readFileSync(server.eventLog, 'utf8').trim().split('\n');
        return JSON.parse(lines[lines.length - 1]!) as unknown;
      }, { timeoutMs: 3000, stepMs: 50 });
      expect(recorded).to.deep.equal(payload);
    });
  });

  describe('with Node plugin servers', function () {
    const opened: GrpcConnection[] = [];
    const servers: NodePluginServer[] = [];

    function track(connection: GrpcConnection) {
      opened.push(connection);
      return connection;
    }

    async function startServer(options?: NodePluginServerOptions) {
      const server = await startNodePluginServer(options);
      servers.push(server);
      return server;
    }

    afterEach(function () {
      for (const connection of opened.splice(0)) connection.close();
      for (const server of servers.splice(0)) server.stop();
    });

    it('maps a slow server to a timeout at the per-call deadline', async function () {
      const server = await startServer();
      const dispatcher = dispatcherFor(track(connect(`tcp://${server.address}`)), 200);
      const started = Date.now();
      const error = await failureOf(dispatcher.dispatch(hookObject('slow', { headers: { 'X-Delay-Ms': '3000' } })));
      expect(error.name).to.equal('DispatchError');
      expect(error.reason).to.equal('timeout');
      expect(Date.now() - started).to.be.within(150, 1500);
    });

    it('maps a server that is down to unavailable, quickly', async function () {
      const probe = await startServer();
      probe.stop();
      const dispatcher = dispatcherFor(track(connect(`tcp://${probe.address}`)), 5000);
      const started = Date.now();
      const error = await failureOf(dispatcher.dispatch(hookObject('echo')));
      expect(error.reason).to.equal('unavailable');
      expect(Date.now() - started).to.be.below(2000);
    });

    it('reaches a server restarted on the same port without a new client', async function () {
      this.timeout(15_000);
      const first = await startServer();
      const connection = track(connect(first.address));
      const dispatcher = dispatcherFor(connection);
      await dispatcher.dispatch(hookObject('echo'));

      first.stop();
      expect((await failureOf(dispatcher.dispatch(hookObject('echo')))).reason).to.equal('unavailable');
      // Long enough for grpc-js to back off a few times before the server returns.
      await sleep(2500);
      expect((await failureOf(dispatcher.dispatch(hookObject('echo')))).reason).to.equal('unavailable');

      const second = await startServer({ port: first.port });
      const restartedAt = Date.now();
      await until(() => dispatcher.dispatch(hookObject('echo')), { timeoutMs: 5000, stepMs: 100 });
      expect(Date.now() - restartedAt).to.be.below(2500);
      expect(second.calls).to.equal(1);
    });

    it('rejects replies that are not a whole Object as bad_result', async function () {
      const server = await startServer();
      const dispatcher = dispatcherFor(track(connect(server.address)));
      for (const hook of ['no_request', 'no_overrides', 'garbage']) {
        const error = await failureOf(dispatcher.dispatch(hookObject(hook)));
        expect(error.reason, hook).to.equal('bad_result');
      }
      const error = await failureOf(dispatcher.dispatch(responseObject('no_response', Buffer.from('x'))));
      expect(error.reason).to.equal('bad_result');
      // A response hook needs `response`, not `return_overrides`.
      const ok = present(await dispatcher.dispatch(responseObject('no_overrides', Buffer.from('x'))));
      expect(Buffer.from(ok.response.raw_body).toString()).to.equal('x');
    });

    it('maps a plugin failure status to exception', async function () {
      const server = await startServer();
      const error = await failureOf(dispatcherFor(track(connect(server.address))).dispatch(hookObject('throw')));
      expect(error.reason).to.equal('exception');
      expect(error.message).to.match(/INTERNAL: plugin raised an exception/);
    });

    it('maps messages over grpc_send_max_size / grpc_recv_max_size to too_large', async function () {
      const server = await startServer();
      const sendLimited = dispatcherFor(track(connect(server.address, { grpc_send_max_size: 16 * 1024 })));
      await sendLimited.dispatch(hookObject('echo', { body: Buffer.alloc(1024) }));
      const tooBig = await failureOf(sendLimited.dispatch(hookObject('echo', { body: Buffer.alloc(64 * 1024) })));
      expect(tooBig.reason).to.equal('too_large');

      const recvLimited = dispatcherFor(track(connect(server.address, { grpc_recv_max_size: 16 * 1024 })));
      const reply = await failureOf(recvLimited.dispatch(hookObject('huge', { headers: { 'X-Size': String(64 * 1024) } })));
      expect(reply.reason).to.equal('too_large');
    });

    it('maps a message over the server limit to too_large', async function () {
      const server = await startServer({ serverOptions: { 'grpc.max_receive_message_length': 8 * 1024 } });
      const error = await failureOf(dispatcherFor(track(connect(server.address))).dispatch(hookObject('echo', { body: Buffer.alloc(32 * 1024) })));
      expect(error.reason).to.equal('too_large');
    });

    it('cancels the call when the signal aborts', async function () {
      const server = await startServer();
      const dispatcher = dispatcherFor(track(connect(server.address)), 5000);
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 100);
      const error = await failureOf(dispatcher.dispatch(hookObject('slow'), { signal: controller.signal }));
      expect(error.message).to.match(/cancelled/);
      expect(Date.now() - started).to.be.below(1000);
      await until(() => expect(server.cancelled).to.deep.equal(['slow']), { timeoutMs: 2000, stepMs: 50 });

      const callsBefore = server.calls;
      const preAborted = await failureOf(dispatcher.dispatch(hookObject('echo'), { signal: AbortSignal.abort() }));
      expect(preAborted.message).to.match(/cancelled/);
      expect(server.calls).to.equal(callsBefore);
    });

    it('shares one channel: disposing an API dispatcher leaves the others working', async function () {
      const server = await startServer();
      const connection = track(connect(server.address));
      const apiA = dispatcherFor(connection);
      const apiB = dispatcherFor(connection);
      await Promise.all([apiA.dispatch(hookObject('echo')), apiB.dispatch(hookObject('echo'))]);
      await apiA.dispose();
      await apiA.dispose();
      expect((await failureOf(apiA.dispatch(hookObject('echo')))).reason).to.equal('unavailable');
      await apiB.dispatch(hookObject('echo'));
      expect(connection.isConnected()).to.equal(true);
      await apiA.reload();
    });

    it('delivers events, and only logs when the server is down', async function () {
      const server = await startServer();
      const dispatcher = dispatcherFor(track(connect(server.address)));
      await dispatcher.dispatchEvent('{"message":{"Type":"KeyExpired"},"handler_name":"h","spec":{}}');
      expect(server.events).to.deep.equal(['{"message":{"Type":"KeyExpired"},"handler_name":"h","spec":{}}']);
      server.stop();
      await dispatcher.dispatchEvent('{}');
    });

    it('connects over a unix socket', async function () {
      const socket = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'isogate-grpc-')), 'plugin.sock');
      const server = await startServer({ address: `unix://${socket}` });
      const connection = track(connect(`unix://${socket}`));
      expect(await connection.waitForReady(2000)).to.equal(true);
      const result = present(await dispatcherFor(connection).dispatch(hookObject('echo', { headers: { 'X-Via': 'uds' } })));
      expect(result.request.headers['X-Via']).to.equal('uds');
      expect(server.calls).to.equal(1);
    });

    it('refuses calls after the shared connection is closed', async function () {
      const server = await startServer();
      const connection = connect(server.address);
      connection.close();
      connection.close();
      expect((await failureOf(dispatcherFor(connection).dispatch(hookObject('echo')))).reason).to.equal('unavailable');
    });
  });
});

describe('grpc driver through a real gateway', function () {
  this.timeout(30_000);

  function api(apiId: string, upstream: RecordingServer, customMiddleware: Record<string, unknown>, extra: Record<string, unknown> = {}): ApiDef {
    return hookedApi(apiId, upstream.url, { driver: 'grpc', ...customMiddleware }, extra);
  }

  function authApi(apiId: string, upstream: RecordingServer, customMiddleware: Record<string, unknown>, extra: Record<string, unknown> = {}): ApiDef {
    return api(apiId, upstream, customMiddleware, { use_keyless: false, custom_plugin_auth_enabled: true, ...extra });
  }

  const grpcConfig = (address: string) => ({ coprocess_options: { enable_coprocess: true, coprocess_grpc_server: `tcp://${address}` } });

  describe('with the example Python plugin server', function () {
    let plugin: PythonPluginServer;
    let upstream: RecordingServer;
    let gw: RunningGateway;

    before(async function () {
      const python = pythonOrSkip(this);
      plugin = await startPythonPluginServer({ python: python.python });
      upstream = await startRecordingServer();
      const dir = makeWorkspace();
      writeApi(dir, api('pyhooks', upstream, { pre: [{ name: 'MyPreHook' }], post: [{ name: 'MyPostHook' }] }));
      writeApi(dir, authApi('pyauth', upstream, {
        auth_check: { name: 'MyAuthCheck' },
        post: [{ name: 'MyPostHook' }],
        id_extractor: { extract_from: 'header', extract_with: 'value', extractor_config: { header_name: 'Authorization' } },
      }, {
        event_handlers: { events: { AuthFailure: [{ handler_name: 'cp_dynamic_handler', handler_meta: { name: 'MyEventHandler' } }] } },
      }));
      writeApi(dir, api('pyresp', upstream, { response: [{ name: 'MyResponseHook' }] }));
      gw = await startGateway({ dir, config: grpcConfig(plugin.address) });
    });

    after(async function () {
      await gw?.stop();
      await upstream?.close();
      await plugin?.stop();
    });

    it('applies pre and post hook edits; body bytes reach the upstream unchanged', async function () {
      const body = Buffer.concat([Buffer.from([0xff, 0x00, 0xc3]), crypto.randomBytes(4096)]);
      const res = await fetch(`${gw.url}/pyhooks/thing?remove_me=1&keep=2`, {
        method: 'POST',
        headers: { 'X-Remove-Me': 'bye', 'Content-Type': 'application/octet-stream' },
        body,
      });
      expect(res.status).to.equal(200);
      const seen = upstream.requests[upstream.requests.length - 1];
      expect(seen.url).to.equal('/thing?from_pre=python&keep=2');
      expect(seen.headers).to.include({ 'x-pre-hook': 'python', 'x-post-hook': 'python', 'x-body-length': String(body.length) });
      expect(seen.headers['x-body-sha256']).to.equal(crypto.createHash('sha256').update(body).digest('hex'));
      expect(seen.headers).not.to.have.property('x-remove-me');
      expect(Buffer.compare(seen.body, body)).to.equal(0);
    });

    it('answers from return_overrides without calling the upstream', async function () {
      const before = upstream.requests.length;
      const denied = await fetch(`${gw.url}/pyhooks/x?deny=1`);
      expect(denied.status).to.equal(403);
      expect(await denied.text()).to.equal(tykErrorBody('Denied by the Python pre hook'));

      const direct = await fetch(`${gw.url}/pyhooks/x?direct=1`);
      expect(direct.status).to.equal(200);
      expect(direct.headers.get('x-answered-by')).to.equal('python');
      expect(await direct.json()).to.deep.equal({ answered_by: 'MyPreHook' });
      expect(upstream.requests.length).to.equal(before);
    });

    it('authenticates through auth_check, then serves the identity from the ID-extractor cache', async function () {
      const first = await fetch(`${gw.url}/pyauth/a`, { headers: { Authorization: 'secret-token' } });
      expect(first.status).to.equal(200);
      expect(upstream.requests[upstream.requests.length - 1].headers).to.include({ 'x-auth-calls': '1', 'x-post-hook': 'python' });

      const second = await fetch(`${gw.url}/pyauth/b`, { headers: { Authorization: 'secret-token' } });
      expect(second.status).to.equal(200);
      // The plugin counts its calls per token: still 1, so the second request never reached it.
      expect(upstream.requests[upstream.requests.length - 1].headers['x-auth-calls']).to.equal('1');
    });

    it('refuses an unknown token and delivers the AuthFailure event through DispatchEvent', async function () {
      const res = await fetch(`${gw.url}/pyauth/a`, { headers: { Authorization: 'not-a-token' } });
      expect(res.status).to.equal(403);
      expect(await res.text()).to.equal(tykErrorBody('Access denied by the Python auth_check'));

      const event = await until(() => {
        const events = fs.readFileSync(plugin.eventLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as EventPayload);
        const found = events.find((e) => e.message.Type === 'AuthFailure');
        if (!found) throw new Error('no AuthFailure event yet');
        return found;
      }, { timeoutMs: 5000, stepMs: 50 });
      expect(event.handler_name).to.equal('MyEventHandler');
      expect(event.spec).to.deep.equal({ APIID: 'pyauth', OrgID: 'org1' });
      expect(event.message.Meta.Message).to.equal('Auth Failure');
    });

    it('replaces the upstream body in a response hook', async function () {
      const res = await fetch(`${gw.url}/pyresp/x`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-response-hook')).to.equal('python');
      expect(res.headers.get('content-type')).to.equal('application/json');
      const body = await readJson<{ replaced_by: string; upstream_status: number; upstream_body_bytes: number }>(res);
      expect(body).to.include({ replaced_by: 'MyResponseHook', upstream_status: 200 });
      expect(body.upstream_body_bytes).to.be.above(0);
    });
  });

  describe('with a Node plugin server that fails', function () {
    let plugin: NodePluginServer;
    let upstream: RecordingServer;
    let gw: RunningGateway;

    before(async function () {
      plugin = await startNodePluginServer();
      upstream = await startRecordingServer();
      const dir = makeWorkspace();
      writeApi(dir, api('echo', upstream, { pre: [{ name: 'echo' }] }));
      writeApi(dir, authApi('auth', upstream, { auth_check: { name: 'echo' } }));
      writeApi(dir, api('slow', upstream, { pre: [{ name: 'slow' }], limits: { hook_timeout_ms: 300 } }));
      writeApi(dir, api('patient', upstream, { pre: [{ name: 'slow' }], limits: { hook_timeout_ms: 10_000 } }));
      writeApi(dir, api('broken', upstream, { pre: [{ name: 'no_overrides' }] }));
      writeApi(dir, api('noresp', upstream, { response: [{ name: 'no_response' }] }));
      gw = await startGateway({ dir, config: grpcConfig(plugin.address) });
    });

    after(async function () {
      await gw?.stop();
      await upstream?.close();
      plugin?.stop();
    });

    it('answers 500 Middleware error for a hook past its deadline', async function () {
      const started = Date.now();
      const res = await fetch(`${gw.url}/slow/x`);
      expect(res.status).to.equal(500);
      expect(await res.text()).to.equal(tykErrorBody('Middleware error'));
      expect(Date.now() - started).to.be.below(2000);
    });

    it('answers 500 Middleware error for a reply without request.return_overrides or response', async function () {
      for (const path of ['/broken/x', '/noresp/x']) {
        const res = await fetch(`${gw.url}${path}`);
        expect(res.status, path).to.equal(500);
        expect(await res.text(), path).to.equal(tykErrorBody('Middleware error'));
      }
    });

    it('cancels the plugin call when the client goes away', async function () {
      const callsBefore = plugin.calls;
      const cancelledBefore = plugin.cancelled.length;
      const controller = new AbortController();
      const request = fetch(`${gw.url}/patient/x`, { signal: controller.signal }).catch((error) => error);
      await until(() => expect(plugin.calls).to.equal(callsBefore + 1), { timeoutMs: 2000, stepMs: 50 });
      controller.abort();
      await request;
      // Well inside the API's 10 s hook deadline: the cancellation came from the client leaving.
      await until(() => expect(plugin.cancelled.length).to.equal(cancelledBefore + 1), { timeoutMs: 3000, stepMs: 50 });
    });

    it('survives a plugin server restart: 500 / 403 during the outage, 200 after', async function () {
      this.timeout(20_000);
      expect((await fetch(`${gw.url}/echo/x`)).status).to.equal(200);
      // An echoing auth_check sets no token: Tyk's 403 Forbidden, unlike the outage's message below.
      const refused = await fetch(`${gw.url}/auth/x`, { headers: { Authorization: 'k' } });
      expect(refused.status).to.equal(403);
      expect(await refused.text()).to.equal(tykErrorBody('Forbidden'));

      const port = plugin.port;
      plugin.stop();
      const down = await fetch(`${gw.url}/echo/x`);
      expect(down.status).to.equal(500);
      expect(await down.text()).to.equal(tykErrorBody('Middleware error'));
      const authDown = await fetch(`${gw.url}/auth/x`, { headers: { Authorization: 'k' } });
      expect(authDown.status).to.equal(403);
      expect(await authDown.text()).to.equal(tykErrorBody('Key not authorised'));

      await sleep(1500);
      plugin = await startNodePluginServer({ port });
      const restartedAt = Date.now();
      await until(async () => expect((await fetch(`${gw.url}/echo/x`)).status).to.equal(200), { timeoutMs: 5000, stepMs: 100 });
      expect(Date.now() - restartedAt).to.be.below(3000);
    });
  });
});
