// Hostile plugin output through a real gateway under its supervisor: every status, header and
// body a plugin hands back (return_overrides, set_headers, response hooks, JSVM ReturnData, gRPC
// replies) goes through one guarded response path. The crash repros of issue 12 must leave the
// same worker process serving, and every reply must be well framed on the wire.
import { expect } from 'chai';
import { startNodePluginServer, type NodePluginServer } from './fixtures/grpc/node-plugin-server';
import { keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import type { LogLine } from './helpers/log';
import { repoRoot } from './helpers/paths';
import { sleep } from './helpers/poll';
import { runToEnd } from './helpers/processes';
import { parseResponses, rawExchange, responsesComplete, startRawUpstream, type ParsedResponses, type RawUpstream } from './helpers/raw-http';

const ISOLATE_PLUGIN = `
// Copies query parameters into its output, as an innocent-looking plugin might.
function override(request) {
  const p = request.params;
  if (p.code === undefined) return;
  const o = request.return_overrides;
  o.response_code = Number(p.code);
  if (p.name !== undefined) o.headers[p.name] = p.value === undefined ? '' : p.value;
  if (p.body !== undefined) o.response_body = p.body;
  o.override_error = p.raw === '1';
}
function setHeader(request) {
  const p = request.params;
  if (p.sname !== undefined) request.set_headers[p.sname] = p.svalue === undefined ? '' : p.svalue;
}
function respond(request, response) {
  const p = request.params;
  if (p.rcode !== undefined) response.status_code = Number(p.rcode);
  if (p.rname !== undefined) response.headers[p.rname] = p.rvalue === undefined ? '' : p.rvalue;
  return response;
}
`;

const JSVM_PLUGIN = `
var evil = new TykJS.TykMiddleware.NewMiddleware({});
evil.NewProcessRequest(function (request) {
  var p = request.Params;
  if (!p.code) return evil.ReturnData(request, {});
  request.ReturnOverrides.ResponseCode = Number(p.code[0]);
  var headers = {};
  if (p.name) headers[p.name[0]] = p.value ? p.value[0] : '';
  request.ReturnOverrides.ResponseHeaders = headers;
  request.ReturnOverrides.ResponseBody = p.body ? p.body[0] : '';
  request.ReturnOverrides.OverrideError = true;
  return evil.ReturnData(request, {});
});
`;

/** Raw GET(s); resolves with the parsed responses (strictly framed) and the rest of the bytes. */
async function get(port: number, targets: string | string[], extraHeaders: string[] = []): Promise<ParsedResponses> {
  const list = Array.isArray(targets) ? targets : [targets];
  const bytes = list.map((t) => `GET ${t} HTTP/1.1\r\nHost: gw\r\n${extraHeaders.map((h) => `${h}\r\n`).join('')}\r\n`).join('');
  const result = await rawExchange(port, bytes, { until: responsesComplete(list.length) });
  return parseResponses(result.data, { closed: result.closed });
}

const q = (params: Record<string, string>): string => `?${new URLSearchParams(params).toString()}`;

function logLines(gw: RunningGateway): LogLine[] {
  return gw.logs.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

describe('hostile plugin output: one guarded response path, the worker keeps serving', function () {
  this.timeout(60000);
  let upstream: RawUpstream;
  let grpcServer: NodePluginServer;
  let gw: RunningGateway;
  let workerPid: number;

  before(async () => {
    upstream = await startRawUpstream((request, socket) => {
      if (!request.target.startsWith('/slow')) return undefined;
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nslow'), 300);
      return 'hold';
    });
    grpcServer = await startNodePluginServer();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'evil.js', ISOLATE_PLUGIN);
    writeMiddleware(dir, 'jsvm-evil.js', JSVM_PLUGIN);
    const logEvents = { events: { MiddlewareError: [{ handler_name: 'eh_log_handler', handler_meta: { prefix: 'seen' } }] } };
    writeApi(dir, keylessApi('ovr', '/ovr/', upstream.url, { custom_middleware: { driver: 'isolate', pre: [{ name: 'override', path: 'evil.js' }] }, event_handlers: logEvents }));
    writeApi(dir, keylessApi('seth', '/seth/', upstream.url, { custom_middleware: { driver: 'isolate', pre: [{ name: 'setHeader', path: 'evil.js' }] } }));
    writeApi(dir, keylessApi('resp', '/resp/', upstream.url, { custom_middleware: { driver: 'isolate', response: [{ name: 'respond', path: 'evil.js' }] } }));
    writeApi(dir, keylessApi('jsvm', '/jsvm/', upstream.url, { custom_middleware: { driver: 'otto', pre: [{ name: 'evil', path: 'jsvm-evil.js' }] } }));
    writeApi(dir, keylessApi('grpc', '/grpc/', upstream.url, { custom_middleware: { driver: 'grpc', pre: [{ name: 'evil' }] } }));
    writeApi(dir, keylessApi('other', '/other/', upstream.url));
    gw = await startGateway({ dir, config: { coprocess_options: { enable_coprocess: true, coprocess_grpc_server: `tcp://127.0.0.1:${grpcServer.port}` } } });
    const listening = logLines(gw).filter((l) => /^isogate listening/.test(l.msg));
    expect(listening).to.have.length(1);
    workerPid = listening[0].pid as number;
    expect(workerPid).to.be.a('number').and.not.equal(gw.child.pid);
  });

  after(async () => {
    if (gw) await gw.stop();
    if (grpcServer) grpcServer.stop();
    if (upstream) await upstream.close();
  });

  /** The same worker still serves /hello and another API, and never restarted. */
  async function sameWorkerServing(): Promise<void> {
    const { responses } = await get(gw.port, ['/hello', '/other/x']);
    expect(responses.map((r) => r.status)).to.deep.equal([200, 200]);
    const lines = logLines(gw);
    expect(lines.filter((l) => /^isogate listening/.test(l.msg)).map((l) => l.pid)).to.deep.equal([workerPid]);
    expect(lines.filter((l) => /worker died/.test(l.msg))).to.deep.equal([]);
    expect(lines.filter((l) => /uncaught|unhandled/i.test(l.msg))).to.deep.equal([]);
  }

  afterEach(async function () {
    if (gw && this.currentTest?.state === 'passed') await sameWorkerServing();
  });

  describe('the crash repros of issue 12 answer 500 Middleware error, and name the API and the header', () => {
    const repros: [string, Record<string, string>, string][] = [
      ['a query parameter "%0d%0a" copied into an override header (code 400)', { code: '400', name: 'X-Echo', value: '\r\n' }, 'return_overrides.headers["X-Echo"]'],
      ['CR/LF smuggling a Set-Cookie', { code: '200', name: 'X-Echo', value: 'a\r\nSet-Cookie: admin=1' }, 'return_overrides.headers["X-Echo"]'],
      ['a NUL in a value', { code: '200', name: 'X-Echo', value: 'a\u0000b' }, 'return_overrides.headers["X-Echo"]'],
      ['a character above U+00FF in a value', { code: '200', name: 'X-Echo', value: 'price: 5 €' }, 'return_overrides.headers["X-Echo"]'],
      ['an invalid header name (space)', { code: '400', name: 'Bad Name', value: 'x' }, 'return_overrides.headers["Bad Name"]'],
      ['an invalid header name (colon)', { code: '200', name: 'X-A: b', value: 'x' }, 'return_overrides.headers["X-A: b"]'],
      ['an empty header name', { code: '200', name: '', value: 'x' }, 'return_overrides.headers[""]'],
      ['response_code 1000', { code: '1000' }, 'return_overrides.status'],
      ['response_code 600', { code: '600' }, 'return_overrides.status'],
      ['response_code 100 (interim)', { code: '100', body: 'x' }, 'return_overrides.status'],
      ['response_code 101 (a fake protocol switch)', { code: '101', name: 'Upgrade', value: 'websocket' }, 'return_overrides.status'],
    ];
    for (const [what, params, field] of repros) {
      it(what, async () => {
        upstream.reset();
        const before = logLines(gw).length;
        const { responses, rest } = await get(gw.port, `/ovr/x${q(params)}`);
        expect(responses.map((r) => r.status)).to.deep.equal([500]);
        expect(rest.length).to.equal(0);
        expect(JSON.parse(responses[0].body.toString())).to.deep.equal({ error: 'Middleware error' });
        expect(responses[0].headers.map(([n]) => n)).to.not.include('set-cookie');
        expect(upstream.requests).to.deep.equal([]);
        // The MiddlewareError event (through the API's eh_log_handler) names the API and the field.
        let seen: LogLine | undefined;
        for (let i = 0; i < 50 && !seen; i++) {
          seen = logLines(gw).slice(before).find((l) => l.msg === 'seen:MiddlewareError');
          if (!seen) await sleep(20);
        }
        expect(seen, 'MiddlewareError event').to.not.equal(undefined);
        expect(seen!.api_id).to.equal('ovr');
        expect(seen!.meta.APIID).to.equal('ovr');
        expect(seen!.meta.Reason).to.equal('bad_result');
        expect(seen!.meta.Message).to.include(field);
      });
    }
  });

  it('pipelined requests get their own answers in order, a failure queued behind a slow upstream answer too', async () => {
    // /slow waits upstream while the next two fail in the hook: their replies wait their turn.
    const { responses, rest } = await get(gw.port, ['/ovr/slow', `/ovr/b${q({ code: '1000' })}`, `/ovr/c${q({ code: '200', name: 'X', value: '\n' })}`, `/ovr/d${q({ code: '201', body: 'fine' })}`]);
    expect(rest.length).to.equal(0);
    expect(responses.map((r) => r.status)).to.deep.equal([200, 500, 500, 201]);
    expect(responses[0].body.toString()).to.equal('slow');
    expect(responses[3].body.toString()).to.equal('fine');
  });

  describe('framing headers from a plugin are dropped; the gateway frames the reply itself', () => {
    const spoof = 'xHTTP/1.1 200 OK\r\nX-Spoofed: yes\r\nContent-Length: 0\r\n\r\n';

    for (const [name, value] of [['Content-Length', '1'], ['Transfer-Encoding', 'chunked'], ['Connection', 'close'], ['Keep-Alive', 'timeout=1'], ['Upgrade', 'h2c']]) {
      it(`an override with ${name}: ${value} and a longer body: one reply, then the real answer to the pipelined request`, async () => {
        upstream.reset();
        const { responses, rest } = await get(gw.port, [`/ovr/x${q({ code: '200', name, value, body: spoof })}`, '/other/second']);
        expect(rest.length).to.equal(0);
        expect(responses.map((r) => r.status)).to.deep.equal([200, 200]);
        expect(responses[0].framing).to.equal('content-length');
        expect(responses[0].body.toString('latin1')).to.equal(spoof);
        // Node sets its own Connection/Keep-Alive; the plugin's value never shows.
        expect(responses[0].headers.filter(([n, v]) => n === name.toLowerCase() && v === value)).to.deep.equal([]);
        expect(responses[1].header('x-spoofed')).to.equal(undefined);
        expect(responses[1].body.toString()).to.equal('ok');
        expect(upstream.requests.map((r) => r.target)).to.deep.equal(['/second']);
      });
    }

    it('an error override (code >= 400) keeps the gateway\'s Content-Type and length', async () => {
      const { responses } = await get(gw.port, `/ovr/x${q({ code: '418', name: 'Content-Type', value: 'text/html', body: 'teapot' })}`);
      expect(responses[0].status).to.equal(418);
      expect(responses[0].headers.filter(([n]) => n === 'content-type')).to.deep.equal([['content-type', 'application/json']]);
      expect(JSON.parse(responses[0].body.toString())).to.deep.equal({ error: 'teapot' });
    });

    it('a 204 or 304 override carries no body and no Content-Length', async () => {
      for (const code of ['204', '304']) {
        const { responses, rest } = await get(gw.port, [`/ovr/x${q({ code, body: 'must not be sent' })}`, '/other/after']);
        expect(rest.length).to.equal(0);
        expect(responses.map((r) => r.status)).to.deep.equal([Number(code), 200]);
        expect(responses[0].header('content-length')).to.equal(undefined);
        expect(responses[0].body.length).to.equal(0);
      }
    });
  });

  describe('set_headers towards the upstream', () => {
    for (const [what, params] of <[string, Record<string, string>][]>[['CR/LF in a value', { sname: 'X-Up', svalue: 'a\r\nX-Injected: 1' }], ['an invalid name', { sname: 'X Up', svalue: 'a' }], ['a NUL in a value', { sname: 'X-Up', svalue: '\u0000' }]]) {
      it(`${what}: 500 Middleware error, nothing forwarded`, async () => {
        upstream.reset();
        const { responses } = await get(gw.port, `/seth/x${q(params)}`);
        expect(responses.map((r) => r.status)).to.deep.equal([500]);
        expect(upstream.requests).to.deep.equal([]);
      });
    }

    it('Transfer-Encoding or Content-Length set by a plugin cannot reframe the upstream request', async () => {
      for (const sname of ['Transfer-Encoding', 'Content-Length']) {
        upstream.reset();
        const { responses } = await get(gw.port, `/seth/x${q({ sname, svalue: sname === 'Content-Length' ? '100' : 'chunked' })}`);
        expect(responses.map((r) => r.status)).to.deep.equal([200]);
        expect(upstream.errors).to.deep.equal([]);
        expect(upstream.requests).to.have.length(1);
        // The gateway frames the (empty) body itself: at most an honest Content-Length: 0.
        expect(upstream.requests[0].framing).to.be.oneOf(['none', 'content-length']);
        expect(upstream.requests[0].header('transfer-encoding')).to.equal(undefined);
        expect(upstream.requests[0].header('content-length')).to.be.oneOf([undefined, '0']);
        expect(upstream.requests[0].body.length).to.equal(0);
      }
    });
  });

  describe('response hooks', () => {
    for (const [what, params] of <[string, Record<string, string>][]>[['status_code 1000', { rcode: '1000' }], ['status_code 0', { rcode: '0' }], ['status_code 101', { rcode: '101' }], ['CR/LF in a header', { rname: 'X-R', rvalue: 'a\r\nSet-Cookie: x=1' }], ['an invalid header name', { rname: 'X R', rvalue: 'a' }]]) {
      it(`${what}: 500 Middleware error`, async () => {
        const { responses, rest } = await get(gw.port, [`/resp/x${q(params)}`, '/other/after']);
        expect(rest.length).to.equal(0);
        expect(responses.map((r) => r.status)).to.deep.equal([500, 200]);
        expect(JSON.parse(responses[0].body.toString())).to.deep.equal({ error: 'Middleware error' });
      });
    }

    it('Content-Length: 1 from a response hook is dropped: the body is framed by its real length', async () => {
      const { responses, rest } = await get(gw.port, [`/resp/x${q({ rname: 'Content-Length', rvalue: '1' })}`, '/other/after']);
      expect(rest.length).to.equal(0);
      expect(responses.map((r) => r.status)).to.deep.equal([200, 200]);
      expect(responses[0].body.toString()).to.equal('ok');
      expect(responses[0].header('content-length')).to.equal('2');
    });
  });

  describe('JSVM ReturnData and gRPC replies take the same checks', () => {
    for (const [api, message] of [['jsvm', 'Internal Server Error'], ['grpc', 'Middleware error']]) {
      it(`${api}: CR/LF in an override header is 500 ${message}; nothing forwarded`, async () => {
        upstream.reset();
        const { responses } = await get(gw.port, `/${api}/x${q({ code: '200', name: 'X-Evil', value: 'a\r\nSet-Cookie: x=1', body: 'b' })}`);
        expect(responses.map((r) => r.status)).to.deep.equal([500]);
        expect(JSON.parse(responses[0].body.toString())).to.deep.equal({ error: message });
        expect(upstream.requests).to.deep.equal([]);
      });

      it(`${api}: an invalid status is 500; Content-Length from the plugin is dropped`, async () => {
        expect((await get(gw.port, `/${api}/x${q({ code: '1000' })}`)).responses.map((r) => r.status)).to.deep.equal([500]);
        const { responses, rest } = await get(gw.port, [`/${api}/x${q({ code: '200', name: 'Content-Length', value: '1', body: 'longer body' })}`, '/other/after']);
        expect(rest.length).to.equal(0);
        expect(responses.map((r) => r.status)).to.deep.equal([200, 200]);
        expect(responses[0].body.toString()).to.equal('longer body');
      });
    }
  });
});

describe('process guards (src/cli/process-guards.ts)', function () {
  it('an uncaught exception and an unhandled rejection are each logged once, and the process lives', async () => {
    const script = `
      const { installProcessGuards } = require(${JSON.stringify(`${repoRoot}/dist/src/cli/process-guards.js`)});
      installProcessGuards();
      installProcessGuards();
      setTimeout(() => { throw new Error('stray callback threw'); }, 10);
      Promise.reject(new Error('stray promise rejected'));
      setTimeout(() => { process.stdout.write('still alive\\n'); process.exit(0); }, 300);
    `;
    const { code, out } = await runToEnd(process.execPath, ['-e', script], { cwd: repoRoot });
    expect(code).to.equal(0);
    expect(out).to.include('still alive');
    const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
    expect(lines.filter((l) => l.msg.includes('stray callback threw'))).to.have.length(1);
    expect(lines.filter((l) => l.msg.includes('stray promise rejected'))).to.have.length(1);
    expect(lines.every((l) => l.level === 50)).to.equal(true);
  });
});
