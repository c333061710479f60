// A fixed-seed fuzz of plugin output through a real gateway: thousands of random statuses,
// header names and values, and body types, returned by a real isolate hook as return_overrides
// and as a response hook's response. Every reply is parsed off the raw bytes, strictly, with a
// pipelined sentinel behind each batch: no crash, no desync, every reply well framed.
import { expect } from 'chai';
import net from 'node:net';
import { keylessApi, makeWorkspace, startGateway, writeApi, writeMiddleware, type RunningGateway } from './helpers/gateway';
import { parseResponses, startRawUpstream, type ParsedResponses, type RawUpstream } from './helpers/raw-http';

/** A value sent to the plugin, tagged so that it can hand back non-strings too. */
type Tagged = { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'null' } | { t: 'undef' } | { t: 'obj' } | { t: 'arr' };

interface FuzzCase {
  status: Tagged;
  headers: [string, Tagged][];
  body: Tagged;
  override_error: boolean;
  error: Tagged;
}

const SEED = 0x15060;
const OVERRIDE_CASES = 2000;
const RESPONSE_CASES = 1000;
const BATCH = 3;

/** mulberry32: small, fast, reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Values are sent to the plugin as tagged JSON, so it can hand back non-strings too.
const str = (v: string): Tagged => ({ t: 'str', v });
const GOOD_NAMES = ['X-Fuzz', 'x-fuzz', 'X-FUZZ', 'Content-Type', 'Set-Cookie', 'Location', 'Cache-Control', 'X-A.b_c~d', "X-!#$%&'*+^`|"];
const FRAMING_NAMES = ['Content-Length', 'content-length', 'Transfer-Encoding', 'Connection', 'Keep-Alive', 'TE', 'Trailer', 'Upgrade', 'Proxy-Connection', 'Proxy-Authenticate'];
const BAD_NAMES = ['', ' ', 'X Fuzz', 'X:Fuzz', 'X-Fuzz\r\n', '\r\nX-Injected', 'X\u0000', 'Ä', 'X-€', '(x)', 'X"y', 'X,y', 'a\tb', 'X/Y', '@', '{}'];
const VALUE_PARTS = ['', 'plain', ' ', '\t', '\r', '\n', '\r\n', '\u0000', '\u0001', '\u007f', 'é', 'ÿ', '€', '😀', 'HTTP/1.1 200 OK\r\nX-Spoofed: 1\r\n\r\n', '0\r\n\r\n', 'chunked', '1', '-1', ';', '"quoted"', 'a'.repeat(300)];
const STATUSES = [0, -1, 1, 99, 100, 101, 103, 199, 200, 201, 204, 206, 301, 302, 304, 399, 400, 401, 404, 418, 499, 500, 503, 599, 600, 999, 1000, 65536, 2147483647, -2147483648, 1.5, 200.9];

function pick<T>(rand: () => number, list: T[]): T {
  return list[Math.floor(rand() * list.length)];
}

function randomValue(rand: () => number): Tagged {
  const r = rand();
  if (r < 0.04) return { t: 'num', v: Math.floor(rand() * 1000) };
  if (r < 0.06) return { t: 'null' };
  if (r < 0.08) return { t: 'undef' };
  if (r < 0.1) return { t: 'obj' };
  if (r < 0.12) return { t: 'arr' };
  let s = '';
  const parts = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < parts; i++) s += pick(rand, VALUE_PARTS);
  if (rand() < 0.05) s = 'v'.repeat(8 * 1024);
  return str(s);
}

function randomName(rand: () => number): string {
  const r = rand();
  if (r < 0.5) return pick(rand, GOOD_NAMES);
  if (r < 0.75) return pick(rand, FRAMING_NAMES);
  return pick(rand, BAD_NAMES);
}

function randomBody(rand: () => number): Tagged {
  const r = rand();
  if (r < 0.1) return str('');
  if (r < 0.15) return { t: 'num', v: 42 };
  if (r < 0.18) return { t: 'null' };
  if (r < 0.2) return { t: 'undef' };
  if (r < 0.22) return { t: 'obj' };
  if (r < 0.27) return str('x'.repeat(64 * 1024 + Math.floor(rand() * 1000)));
  let s = '';
  const parts = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < parts; i++) s += pick(rand, VALUE_PARTS);
  return str(s);
}

function randomCase(rand: () => number): FuzzCase {
  const headers: [string, Tagged][] = [];
  const count = Math.floor(rand() * 5);
  for (let i = 0; i < count; i++) headers.push([randomName(rand), randomValue(rand)]);
  const status: Tagged = rand() < 0.1 ? pick<Tagged>(rand, [{ t: 'str', v: '200' }, { t: 'null' }, { t: 'undef' }, { t: 'obj' }]) : { t: 'num', v: pick(rand, STATUSES) };
  return { status, headers, body: randomBody(rand), override_error: rand() < 0.5, error: rand() < 0.2 ? randomBody(rand) : str('') };
}

// The plugin decodes the tagged values and returns them as they are.
const PLUGIN = `
function val(x) {
  switch (x.t) {
    case 'str': return x.v;
    case 'num': return x.v;
    case 'null': return null;
    case 'undef': return undefined;
    case 'obj': return { nested: true };
    case 'arr': return ['a', 'b'];
  }
}
function bytes(x) {
  const v = val(x);
  if (typeof v !== 'string') return v;
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v.charCodeAt(i) & 0xff;
  return out;
}
function fuzzOverride(request) {
  const c = JSON.parse(request.body);
  const o = request.return_overrides;
  o.response_code = val(c.status);
  o.override_error = c.override_error;
  o.response_body = val(c.body);
  o.response_error = val(c.error);
  for (const [name, value] of c.headers) o.headers[name] = val(value);
}
function fuzzResponse(request, response) {
  const c = JSON.parse(request.body);
  response.status_code = val(c.status);
  for (const [name, value] of c.headers) response.headers[name] = val(value);
  if (c.override_error) response.multivalue_headers = c.headers.map(([name, value]) => ({ key: name, values: [val(value), val(value)] }));
  response.raw_body = bytes(c.body);
  return response;
}
`;

function request(target: string, body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(`POST ${target} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`), bytes]);
}

/** One keep-alive connection; `send(buf, n)` writes and resolves once `n` responses are complete. */
type Answer = ParsedResponses & { closed: boolean };

function connection(port: number): { send(bytes: Buffer, n: number): Promise<Answer>; close(): void } {
  const socket = net.connect(port, '127.0.0.1');
  let buffer = Buffer.alloc(0);
  let waiter: { n: number; resolve: (a: Answer) => void; reject: (err: unknown) => void } | undefined;
  let closed = false;
  const check = (): void => {
    if (!waiter) return;
    let parsed: ParsedResponses;
    try {
      parsed = parseResponses(buffer, { closed: false });
    } catch (err) {
      const w = waiter;
      waiter = undefined;
      w.reject(err);
      return;
    }
    if (parsed.responses.length >= waiter.n || closed) {
      const w = waiter;
      waiter = undefined;
      buffer = Buffer.alloc(0);
      w.resolve({ ...parsed, closed });
    }
  };
  socket.on('data', (d: Buffer) => {
    buffer = Buffer.concat([buffer, d]);
    check();
  });
  socket.on('close', () => {
    closed = true;
    check();
  });
  socket.on('error', () => {});
  const ready = new Promise<void>((r) => socket.once('connect', () => r()));
  return {
    async send(bytes, n) {
      await ready;
      return new Promise<Answer>((resolve, reject) => {
        // A reply that never completes (a desync, a lost response) fails the batch, not the suite timeout.
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`no complete answer within 10 s; got ${JSON.stringify(buffer.toString('latin1').slice(0, 600))}`));
        }, 10000);
        const settle = <V>(fn: (value: V) => void) => (value: V): void => {
          clearTimeout(timer);
          fn(value);
        };
        waiter = { n, resolve: settle(resolve), reject: settle(reject) };
        socket.write(bytes);
      });
    },
    close: () => socket.destroy(),
  };
}

describe('fuzz: random plugin output through the override and response-hook paths (fixed seed)', function () {
  this.timeout(300000);
  let upstream: RawUpstream;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startRawUpstream();
    const dir = makeWorkspace();
    writeMiddleware(dir, 'fuzz.js', PLUGIN);
    writeApi(dir, keylessApi('fz', '/fz/', upstream.url, { custom_middleware: { driver: 'isolate', pre: [{ name: 'fuzzOverride', path: 'fuzz.js' }] } }));
    writeApi(dir, keylessApi('fzr', '/fzr/', upstream.url, { custom_middleware: { driver: 'isolate', response: [{ name: 'fuzzResponse', path: 'fuzz.js' }] } }));
    writeApi(dir, keylessApi('other', '/other/', upstream.url));
    gw = await startGateway({ dir });
  });

  after(async () => {
    if (gw) await gw.stop();
    if (upstream) await upstream.close();
  });

  for (const [path, cases, seedOffset] of [['/fz/', OVERRIDE_CASES, 0], ['/fzr/', RESPONSE_CASES, 1]] as const) {
    it(`${cases} random outputs through ${path === '/fz/' ? 'return_overrides' : 'a response hook'}: every reply well framed, the worker never restarts`, async () => {
      const rand = prng(SEED + seedOffset);
      const conn = connection(gw.port);
      const statuses = new Map<number, number>();
      try {
        for (let i = 0; i < cases; i += BATCH) {
          const batch: FuzzCase[] = [];
          for (let j = i; j < Math.min(cases, i + BATCH); j++) batch.push(randomCase(rand));
          // Each batch is pipelined, with a sentinel behind it that must get the upstream's own answer.
          const bytes = Buffer.concat([...batch.map((c) => request(`${path}case-${i}`, JSON.stringify(c))), Buffer.from('GET /other/sentinel HTTP/1.1\r\nHost: gw\r\n\r\n')]);
          const where = `seed ${SEED + seedOffset}, cases ${i}..${i + batch.length - 1}: ${JSON.stringify(batch).slice(0, 400)}`;
          let result: Answer;
          try {
            result = await conn.send(bytes, batch.length + 1);
          } catch (err) {
            throw new Error(`malformed reply (${(err as Error).message}) at ${where}`);
          }
          expect(result.closed, where).to.equal(false);
          expect(result.rest.length, where).to.equal(0);
          expect(result.responses, where).to.have.length(batch.length + 1);
          for (const reply of result.responses.slice(0, -1)) {
            expect(reply.status, where).to.be.within(200, 599);
            expect(reply.header('transfer-encoding'), where).to.equal(undefined);
            expect(reply.framing, where).to.equal(reply.status === 204 || reply.status === 304 ? 'none' : 'content-length');
            statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          }
          const sentinel = result.responses[result.responses.length - 1];
          expect([sentinel.status, sentinel.body.toString(), sentinel.header('x-spoofed')], where).to.deep.equal([200, 'ok', undefined]);
        }
      } finally {
        conn.close();
      }
      // Both outcomes occurred: plugin replies that passed the checks and ones that were refused.
      expect(statuses.get(500)).to.be.above(cases / 10);
      expect([...statuses.keys()].filter((s) => s !== 500).length).to.be.above(5);
      const lines = gw.logs.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string });
      expect(lines.filter((l) => /unexpectedly|uncaught|unhandled|worker died/i.test(l.msg)).map((l) => l.msg)).to.deep.equal([]);
      expect(lines.filter((l) => /^isogate listening/.test(l.msg))).to.have.length(1);
    });
  }
});
