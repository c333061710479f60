// Hostile request framing against a real gateway process, with raw bytes on real sockets and an
// upstream that parses what it receives itself (test/helpers/raw-http.ts), so that a smuggled
// request, a body without framing or an oversized body shows up as what the upstream saw.
import { expect } from 'chai';
import net from 'node:net';
import { keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { sleep } from './helpers/poll';
import { parseResponses, rawExchange, responsesComplete, startRawUpstream, type ExchangeOptions, type RawUpstream } from './helpers/raw-http';

const LIMIT = 1024;

/** One request's raw bytes, CRLF line ends. */
function raw(lines: string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Send, read until `n` responses or the close, and parse strictly. */
async function exchange(port: number, data: string | (string | Buffer)[], options: ExchangeOptions & { n?: number; method?: string } = {}) {
  const { n = 1, method = 'GET', ...rest } = options;
  const result = await rawExchange(port, data, { until: responsesComplete(n, method), ...rest });
  const parsed = parseResponses(result.data, { closed: result.closed, method });
  return { ...result, ...parsed };
}

/** Resolve once the socket has closed (or after `ms`). */
function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Write a chunked body of `chunkSize` chunks for as long as the gateway lets us (up to
 * `maxBytes`), while reading its answer. Resolves with the bytes the socket accepted and what
 * came back.
 */
function floodChunked(port: number, head: string, { chunkSize = 64 * 1024, maxBytes = 300 * 1024 * 1024 } = {}): Promise<{ written: number; data: Buffer }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let written = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ written, data: Buffer.concat(received) });
    };
    const timer = setTimeout(finish, 20000);
    const chunk = Buffer.concat([Buffer.from(`${chunkSize.toString(16)}\r\n`), Buffer.alloc(chunkSize, 0x61), Buffer.from('\r\n')]);
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => {
      socket.write(head);
      const pump = (): void => {
        while (!done && written < maxBytes) {
          written += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
}

describe('hostile request framing (raw sockets, real gateway, upstream parses the bytes itself)', function () {
  this.timeout(60000);
  let upstream: RawUpstream;
  let early: { received: number; server: net.Server };
  let gw: RunningGateway;

  before(async () => {
    // Answers as soon as a request's head arrives, then keeps counting what it is sent.
    early = { received: 0, server: net.createServer((socket) => {
      let answered = false;
      socket.on('data', (d: Buffer) => {
        early.received += d.length;
        if (!answered) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\nearly answer');
        answered = true;
      });
      socket.on('error', () => {});
    }) };
    await new Promise<void>((r) => early.server.listen(0, '127.0.0.1', r));
    const earlyPort = (early.server.address() as net.AddressInfo).port;
    upstream = await startRawUpstream((request) => {
      if (request.target.startsWith('/chunked-answer')) return { raw: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' };
      if (request.target.startsWith('/close-answer')) return { raw: 'HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil-close', close: true };
      if (request.target.startsWith('/early')) return { status: 200, body: 'early answer' };
      return undefined;
    });
    const dir = makeWorkspace();
    writeMiddleware(dir, 'noop.js', 'function noop(request) { request.set_headers["X-Hooked"] = "yes"; }');
    writeApi(dir, keylessApi('open', '/k/', upstream.url));
    writeApi(dir, keylessApi('lim', '/lim/', upstream.url, { proxy: { listen_path: '/lim/', target_url: upstream.url, strip_listen_path: true, max_body_bytes: LIMIT } }));
    writeApi(dir, keylessApi('early', '/early/', `http://127.0.0.1:${earlyPort}`, { proxy: { listen_path: '/early/', target_url: `http://127.0.0.1:${earlyPort}`, strip_listen_path: true, max_body_bytes: LIMIT } }));
    writeApi(dir, { api_id: 'keyed', org_id: 'org1', use_keyless: false, auth: { auth_header_name: 'Authorization' }, proxy: { listen_path: '/keyed/', target_url: upstream.url, strip_listen_path: true } });
    writeApi(dir, keylessApi('tyklim', '/tyklim/', upstream.url, { version_data: { not_versioned: true, versions: { Default: { name: 'Default', global_size_limit: LIMIT } } } }));
    writeApi(dir, keylessApi('hooked', '/h/', upstream.url, {
      proxy: { listen_path: '/h/', target_url: upstream.url, strip_listen_path: true, max_body_bytes: LIMIT },
      custom_middleware: { driver: 'isolate', pre: [{ name: 'noop', path: 'noop.js' }] },
    }));
    gw = await startGateway({ dir, logLevel: 'debug' });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
    if (early) early.server.close();
  });

  beforeEach(() => upstream.reset());

  describe('a body is forwarded with the framing the gateway chose, never as raw bytes', () => {
    const smuggled = 'GET /admin HTTP/1.1\r\nHost: evil\r\n\r\n';
    const chunkedGet = raw(['GET /k/x HTTP/1.1', 'Host: gw', 'Transfer-Encoding: chunked'], `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`);

    it('GET with a chunked body: the upstream reads one request, chunked, never the request hidden in the body', async () => {
      const { responses } = await exchange(gw.port, chunkedGet);
      expect(responses.map((r) => r.status)).to.deep.equal([200]);
      expect(upstream.errors).to.deep.equal([]);
      expect(upstream.requests).to.have.length(1);
      const [seen] = upstream.requests;
      expect(seen.target).to.equal('/x');
      expect(seen.framing).to.equal('chunked');
      expect(seen.body.toString('latin1')).to.equal(smuggled);
      expect(seen.header('x-forwarded-for')).to.equal('127.0.0.1');
    });

    it('the same, written one byte at a time', async () => {
      const { responses } = await exchange(gw.port, chunkedGet, { byteByByte: true, timeoutMs: 15000 });
      expect(responses.map((r) => r.status)).to.deep.equal([200]);
      expect(upstream.requests).to.have.length(1);
      expect(upstream.requests[0].framing).to.equal('chunked');
      expect(upstream.requests[0].body.toString('latin1')).to.equal(smuggled);
    });

    it('a hooked API buffers the chunked body and forwards it with its exact Content-Length', async () => {
      const req = raw(['GET /h/x HTTP/1.1', 'Host: gw', 'Transfer-Encoding: chunked'], `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`);
      const { responses } = await exchange(gw.port, req);
      expect(responses.map((r) => r.status)).to.deep.equal([200]);
      expect(upstream.requests).to.have.length(1);
      const [seen] = upstream.requests;
      expect(seen.header('x-hooked')).to.equal('yes');
      expect(seen.framing).to.equal('content-length');
      expect(seen.header('content-length')).to.equal(String(smuggled.length));
      expect(seen.body.toString('latin1')).to.equal(smuggled);
    });

    it('Content-Length bodies keep their length; a bodiless POST gets Content-Length 0; a GET stays bodiless', async () => {
      const { responses } = await exchange(gw.port, [
        raw(['POST /k/cl HTTP/1.1', 'Host: gw', 'Content-Length: 5'], 'hello'),
        raw(['POST /k/empty HTTP/1.1', 'Host: gw']),
        raw(['GET /k/get HTTP/1.1', 'Host: gw']),
      ], { n: 3 });
      expect(responses.map((r) => r.status)).to.deep.equal([200, 200, 200]);
      expect(upstream.requests.map((r) => [r.target, r.framing, r.body.toString()])).to.deep.equal([
        ['/cl', 'content-length', 'hello'],
        ['/empty', 'content-length', ''],
        ['/get', 'none', ''],
      ]);
      expect(upstream.requests[1].header('content-length')).to.equal('0');
    });

    it('pipelined requests on one keep-alive connection each reach the upstream once, in order', async () => {
      const { responses, rest } = await exchange(gw.port, raw(['GET /k/1 HTTP/1.1', 'Host: gw']) + raw(['POST /k/2 HTTP/1.1', 'Host: gw', 'Content-Length: 3'], 'abc') + raw(['GET /k/3 HTTP/1.1', 'Host: gw']), { n: 3 });
      expect(responses.map((r) => r.status)).to.deep.equal([200, 200, 200]);
      expect(rest.length).to.equal(0);
      expect(upstream.requests.map((r) => r.target)).to.deep.equal(['/1', '/2', '/3']);
    });
  });

  describe('ambiguous framing is refused with 400 and the connection closed; nothing reaches the upstream', () => {
    // What Node's own parser refuses (the gateway never sets insecureHTTPParser) ...
    const nodeRefuses: Record<string, string> = {
      'Content-Length with Transfer-Encoding': raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Content-Length: 5', 'Transfer-Encoding: chunked'], '0\r\n\r\n'),
      'two Content-Length fields': raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Content-Length: 3', 'Content-Length: 3'], 'abc'),
      'a Content-Length list': raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Content-Length: 3, 3'], 'abc'),
      'a negative Content-Length': raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Content-Length: -1']),
      'obs-fold': raw(['GET /k/x HTTP/1.1', 'Host: gw', 'X-A: a', ' b']),
      'a Transfer-Encoding not ending in chunked': raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Transfer-Encoding: chunked, gzip'], 'abc'),
      'Transfer-Encoding chunked twice': raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], '0\r\n\r\n'),
      'a space before the colon': raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Transfer-Encoding : chunked'], '0\r\n\r\n'),
      'bare LF line ends': 'GET /k/x HTTP/1.1\nHost: gw\n\n',
      'a NUL in a header value': raw(['GET /k/x HTTP/1.1', 'Host: gw', 'X-A: a\u0000b']),
      'a CR in a header value': raw(['GET /k/x HTTP/1.1', 'Host: gw', 'X-A: a\rb']),
      'a bad chunk size': raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Transfer-Encoding: chunked'], '3x\r\nabc\r\n0\r\n\r\n'),
      'an HTTP/1.1 request without Host': raw(['GET /k/x HTTP/1.1']),
      'a space in the request target': raw(['GET /k/a b HTTP/1.1', 'Host: gw']),
    };
    // ... and what it lets through, which the gateway refuses itself (src/pipeline/framing.ts).
    const gatewayRefuses: Record<string, [number, string]> = {
      'Transfer-Encoding on HTTP/1.0': [400, raw(['POST /k/x HTTP/1.0', 'Host: gw', 'Transfer-Encoding: chunked'], '3\r\nabc\r\n0\r\n\r\n')],
      'an empty Transfer-Encoding': [400, raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Transfer-Encoding: '], '3\r\nabc\r\n0\r\n\r\n')],
      'Transfer-Encoding ",chunked"': [400, raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Transfer-Encoding: ,chunked'], '3\r\nabc\r\n0\r\n\r\n')],
      'a transfer coding the gateway does not implement (gzip, chunked)': [501, raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Transfer-Encoding: gzip, chunked'], '3\r\nabc\r\n0\r\n\r\n')],
      'two Transfer-Encoding lines, gzip then chunked': [501, raw(['POST /k/x HTTP/1.1', 'Host: gw', 'Transfer-Encoding: gzip', 'Transfer-Encoding: chunked'], '3\r\nabc\r\n0\r\n\r\n')],
      'two Host fields': [400, raw(['GET /k/x HTTP/1.1', 'Host: gw', 'Host: evil'])],
      'HTTP/2.0 spoken as text': [505, raw(['GET /k/x HTTP/2.0', 'Host: gw'])],
    };

    for (const [name, bytes] of Object.entries(nodeRefuses)) {
      it(`Node's parser: ${name}`, async () => {
        // A request pipelined behind the bad one is never served: the connection closes.
        // (Node answers a missing Host without a parse error, and serves what follows it
        // before the close; that request is well framed, so it is left out here.)
        const after = name.includes('without Host') ? '' : raw(['GET /k/after HTTP/1.1', 'Host: gw']);
        const { responses, closed } = await exchange(gw.port, bytes + after, { until: undefined });
        expect(responses.map((r) => r.status)).to.deep.equal([400]);
        expect(closed).to.equal(true);
        expect(upstream.requests.map((r) => r.start)).to.deep.equal([]);
      });
    }

    for (const [name, [status, bytes]] of Object.entries(gatewayRefuses)) {
      it(`the gateway: ${name} → ${status}`, async () => {
        const { responses, closed } = await exchange(gw.port, bytes + raw(['GET /k/after HTTP/1.1', 'Host: gw']), { until: undefined });
        expect(responses.map((r) => r.status)).to.deep.equal([status]);
        expect(responses[0].header('connection')).to.equal('close');
        expect(JSON.parse(responses[0].body.toString()).error).to.be.a('string');
        expect(closed).to.equal(true);
        expect(upstream.requests.map((r) => r.start)).to.deep.equal([]);
      });
    }

    it('a chunked body that is cut short never reaches the upstream as a complete request', async () => {
      const result = await rawExchange(gw.port, raw(['POST /k/cut HTTP/1.1', 'Host: gw', 'Transfer-Encoding: chunked'], '5\r\nhel'), { timeoutMs: 500 });
      expect(result.closed).to.equal(false);
      await sleep(200);
      expect(upstream.requests.map((r) => r.start)).to.deep.equal([]);
    });
  });

  describe('the answer is framed by the gateway, whatever the upstream did', () => {
    for (const [what, target, framing] of [['Content-Length', '/k/plain', 'content-length'], ['chunked', '/k/chunked-answer', 'chunked'], ['close-delimited', '/k/close-answer', 'chunked']]) {
      it(`an upstream answer framed ${what} reaches the client framed ${framing}, on a connection that stays usable`, async () => {
        const { responses, closed } = await exchange(gw.port, raw([`GET ${target} HTTP/1.1`, 'Host: gw']) + raw(['GET /k/second HTTP/1.1', 'Host: gw']), { n: 2 });
        expect(responses.map((r) => r.status)).to.deep.equal([200, 200]);
        expect(responses[0].framing).to.equal(framing);
        expect(closed).to.equal(false);
      });
    }
  });

  describe('max_body_bytes on every API', () => {
    for (const [api, prefix] of [['proxy.max_body_bytes, no hooks', '/lim'], ['version_data global_size_limit (Tyk), no hooks', '/tyklim'], ['a hooked API', '/h']]) {
      it(`${api}: a declared Content-Length over the limit gets 413 before any body byte is sent`, async () => {
        // Only the head is written: the answer cannot depend on reading the body.
        const result = await rawExchange(gw.port, raw([`POST ${prefix}/up HTTP/1.1`, 'Host: gw', `Content-Length: ${LIMIT + 1}`]), { until: responsesComplete(1) });
        const { responses } = parseResponses(result.data, { closed: result.closed });
        expect(responses.map((r) => r.status)).to.deep.equal([413]);
        expect(JSON.parse(responses[0].body.toString()).error).to.equal('Request is too large');
        expect(responses[0].header('connection')).to.equal('close');
        expect(upstream.requests.map((r) => r.start)).to.deep.equal([]);
        expect(upstream.connections).to.deep.equal([]);
      });

      it(`${api}: a body of exactly the limit passes`, async () => {
        const body = 'x'.repeat(LIMIT);
        const { responses } = await exchange(gw.port, raw([`POST ${prefix}/ok HTTP/1.1`, 'Host: gw', `Content-Length: ${LIMIT}`], body));
        expect(responses.map((r) => r.status)).to.deep.equal([200]);
        expect(upstream.requests).to.have.length(1);
        expect(upstream.requests[0].body.toString()).to.equal(body);
      });

      it(`${api}: a chunked body past the limit gets 413, the connection is closed rather than drained, the upstream never gets a whole request`, async () => {
        const { written, data } = await floodChunked(gw.port, raw([`POST ${prefix}/flood HTTP/1.1`, 'Host: gw', 'Transfer-Encoding: chunked']));
        const { responses } = parseResponses(data, { closed: true });
        expect(responses.map((r) => r.status)).to.deep.equal([413]);
        // Loopback socket buffers hold a few MB; a gateway that drained would take all 300 MB.
        expect(written).to.be.below(32 * 1024 * 1024);
        expect(upstream.requests.map((r) => r.start)).to.deep.equal([]);
        const forwarded = upstream.connections.reduce((n, c) => n + c.raw.length, 0);
        expect(forwarded).to.be.below(LIMIT + 4096);
      });
    }

    it('a chunked body past the limit after the upstream has already answered: the answer arrives, then the connection is cut', async () => {
      const socket = net.connect(gw.port, '127.0.0.1');
      const got: Buffer[] = [];
      socket.on('data', (d: Buffer) => got.push(d));
      socket.on('error', () => {});
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write(raw(['POST /early/flood HTTP/1.1', 'Host: gw', 'Transfer-Encoding: chunked'], '5\r\nhello\r\n'));
      const deadline = Date.now() + 5000;
      while (parseResponses(Buffer.concat(got), { closed: false }).responses.length < 1 && Date.now() < deadline) await sleep(20);
      // The answer is complete; now the body goes past the limit.
      let written = 0;
      const chunk = Buffer.concat([Buffer.from('4000\r\n'), Buffer.alloc(0x4000, 0x61), Buffer.from('\r\n')]);
      while (!socket.destroyed && written < 64 * 1024 * 1024 && Date.now() < deadline) {
        written += chunk.length;
        if (!socket.write(chunk)) await new Promise<void>((r) => { socket.once('drain', () => r()); socket.once('close', () => r()); setTimeout(r, 1000); });
      }
      expect(await closedWithin(socket, 3000)).to.equal(true);
      expect(written).to.be.below(32 * 1024 * 1024);
      const { responses } = parseResponses(Buffer.concat(got), { closed: true });
      expect(responses.map((r) => [r.status, r.body.toString()])).to.deep.equal([[200, 'early answer']]);
      expect(early.received).to.be.below(LIMIT + 4096);
    });

    for (const [what, target, status] of [['an unknown path (404)', '/nowhere/up', 404], ['a keyed API without a key (401)', '/keyed/up', 401], ['the health check', '/hello', 200]] as const) {
      it(`a chunked upload answered early, by ${what}: the connection is closed, not drained`, async () => {
        const { written, data } = await floodChunked(gw.port, raw([`POST ${target} HTTP/1.1`, 'Host: gw', 'Transfer-Encoding: chunked']));
        const { responses } = parseResponses(data, { closed: true });
        expect(responses.map((r) => r.status)).to.deep.equal([status]);
        expect(responses[0]!.header('connection')).to.equal('close');
        // Node would read and discard the rest of the body without limit on a kept-alive connection.
        expect(written).to.be.below(32 * 1024 * 1024);
        expect(upstream.requests.map((r) => r.start)).to.deep.equal([]);
      });
    }

    it('the gateway-wide default (isolate_options.max_body_bytes) applies to a plain API too', async () => {
      const result = await rawExchange(gw.port, raw(['POST /k/big HTTP/1.1', 'Host: gw', `Content-Length: ${10 * 1024 * 1024 + 1}`]), { until: responsesComplete(1) });
      expect(parseResponses(result.data, { closed: result.closed }).responses.map((r) => r.status)).to.deep.equal([413]);
      expect(upstream.requests.map((r) => r.start)).to.deep.equal([]);
    });

    it('Expect: 100-continue over the limit gets 413 and no 100; under the limit, 100 then the answer', async () => {
      const over = await rawExchange(gw.port, raw(['POST /lim/e HTTP/1.1', 'Host: gw', 'Expect: 100-continue', `Content-Length: ${LIMIT + 1}`]), { until: responsesComplete(1) });
      expect(parseResponses(over.data, { closed: over.closed }).responses.map((r) => r.status)).to.deep.equal([413]);
      const socket = net.connect(gw.port, '127.0.0.1');
      const got: Buffer[] = [];
      socket.on('data', (d: Buffer) => got.push(d));
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write(raw(['POST /lim/e HTTP/1.1', 'Host: gw', 'Expect: 100-continue', 'Content-Length: 4']));
      const deadline = Date.now() + 5000;
      while (!Buffer.concat(got).toString().includes('100 Continue') && Date.now() < deadline) await sleep(20);
      expect(Buffer.concat(got).toString()).to.match(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
      socket.write('body');
      while (parseResponses(Buffer.concat(got), { closed: false }).responses.length < 2 && Date.now() < deadline) await sleep(20);
      socket.destroy();
      expect(parseResponses(Buffer.concat(got), { closed: false }).responses.map((r) => r.status)).to.deep.equal([100, 200]);
      expect(upstream.requests.map((r) => r.body.toString())).to.deep.equal(['body']);
    });
  });

  describe('client aborts', () => {
    for (const [what, prefix] of [['a plain API (streamed)', '/k'], ['a hooked API (buffered)', '/h']]) {
      it(`${what}: a client that disconnects mid-body is one debug line, no stack, no error`, async () => {
        const before = gw.logs.join('').length;
        const socket = net.connect(gw.port, '127.0.0.1');
        await new Promise<void>((r) => socket.once('connect', () => r()));
        socket.write(raw([`POST ${prefix}/abort HTTP/1.1`, 'Host: gw', 'Content-Length: 100'], 'only part of it'));
        await sleep(200);
        socket.destroy();
        expect(await closedWithin(socket, 1000)).to.equal(true);
        await sleep(500);
        const lines = gw.logs.join('').slice(before).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });
        const aborts = lines.filter((l) => /client closed the connection/.test(l.msg));
        expect(aborts, JSON.stringify(lines)).to.have.length(1);
        expect(aborts[0].level).to.equal(20); // pino debug
        expect(JSON.stringify(aborts[0])).to.not.match(/stack/);
        expect(lines.filter((l) => l.level >= 40), JSON.stringify(lines)).to.deep.equal([]);
        expect(upstream.requests.map((r) => r.start)).to.deep.equal([]);
      });
    }
  });
});
