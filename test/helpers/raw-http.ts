// Raw HTTP/1.1 over real sockets, for the hostile-input tests: a strict message parser (used on
// both sides), a client that writes exact bytes (optionally one byte at a time) and reads the
// raw answer, and an upstream that records every request exactly as it was framed on the wire,
// so that a smuggled second request shows up as a second request.
import net from 'node:net';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class FramingError extends Error {}

export type Framing = 'none' | 'content-length' | 'chunked' | 'close';

/** One parsed message: a request (method, target) or a response (status). */
export interface RawMessage {
  start: string;
  /** [lowercase name, value], in wire order. */
  headers: [string, string][];
  framing: Framing;
  body: Buffer;
  status: number;
  method: string;
  target: string;
  /** The first value of header `name` (lowercase). */
  header(name: string): string | undefined;
}

/**
 * Parse one message head + body from `buf` at `offset`, strictly (RFC 9112): CRLF line ends,
 * token field names, no CR/LF/NUL inside values, Content-Length or chunked framing, never both.
 * `kind` is 'request' or 'response'; `noBody(head)` says a response to HEAD / a 204 / 304 / 1xx.
 * Returns undefined when more bytes are needed, else { message, end } (end -1: read until close).
 */
export function parseMessage(
  buf: Buffer,
  offset: number,
  kind: 'request' | 'response',
  noBody: (m: RawMessage) => boolean = () => false,
): { message: RawMessage; end: number } | undefined {
  const headEnd = buf.indexOf('\r\n\r\n', offset, 'latin1');
  if (headEnd < 0) return undefined;
  const headText = buf.toString('latin1', offset, headEnd);
  const lines = headText.split('\r\n');
  const start = lines.shift() ?? '';
  if (/[\r\n\0]/.test(start)) throw new FramingError(`bad start line ${JSON.stringify(start)}`);
  const headers: [string, string][] = [];
  const all = (name: string): string[] => headers.filter(([n]) => n === name).map(([, v]) => v);
  const message: RawMessage = { start, headers, framing: 'none', body: Buffer.alloc(0), status: 0, method: '', target: '', header: (name) => all(name)[0] };
  if (kind === 'response') {
    const m = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(start);
    if (!m) throw new FramingError(`bad status line ${JSON.stringify(start)}`);
    message.status = Number(m[1]);
  } else {
    const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(start);
    if (!m) throw new FramingError(`bad request line ${JSON.stringify(start)}`);
    message.method = m[1];
    message.target = m[2];
  }
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new FramingError(`bad header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (!TOKEN.test(name)) throw new FramingError(`bad header name ${JSON.stringify(name)}`);
    if (/[\r\n\0]/.test(value)) throw new FramingError(`bad header value ${JSON.stringify(value)}`);
    headers.push([name.toLowerCase(), value]);
  }
  const lengths = all('content-length');
  const te = all('transfer-encoding');
  if (lengths.length > 0 && te.length > 0) throw new FramingError('both Content-Length and Transfer-Encoding');
  if (lengths.length > 1) throw new FramingError('more than one Content-Length');
  let pos = headEnd + 4;
  if (noBody(message)) {
    message.framing = lengths.length ? 'content-length' : 'none';
    return { message, end: pos };
  }
  if (te.length > 0) {
    if (te.length > 1 || te[0].toLowerCase() !== 'chunked') throw new FramingError(`Transfer-Encoding ${JSON.stringify(te)}`);
    message.framing = 'chunked';
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos, 'latin1');
      if (lineEnd < 0) return undefined;
      const sizeText = buf.toString('latin1', pos, lineEnd).split(';')[0];
      if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new FramingError(`bad chunk size ${JSON.stringify(sizeText)}`);
      const size = parseInt(sizeText, 16);
      pos = lineEnd + 2;
      if (size === 0) {
        // Trailers, then the final CRLF.
        for (;;) {
          const tEnd = buf.indexOf('\r\n', pos, 'latin1');
          if (tEnd < 0) return undefined;
          const trailer = buf.toString('latin1', pos, tEnd);
          pos = tEnd + 2;
          if (trailer === '') break;
        }
        break;
      }
      if (buf.length < pos + size + 2) return undefined;
      parts.push(buf.subarray(pos, pos + size));
      if (buf.toString('latin1', pos + size, pos + size + 2) !== '\r\n') throw new FramingError('chunk not followed by CRLF');
      pos += size + 2;
    }
    message.body = Buffer.concat(parts);
    return { message, end: pos };
  }
  if (lengths.length === 1) {
    if (!/^\d+$/.test(lengths[0])) throw new FramingError(`bad Content-Length ${lengths[0]}`);
    const n = Number(lengths[0]);
    message.framing = 'content-length';
    if (buf.length < pos + n) return undefined;
    message.body = buf.subarray(pos, pos + n);
    return { message, end: pos + n };
  }
  if (kind === 'response') {
    // Read until close: the caller decides once the connection has ended.
    message.framing = 'close';
    return { message, end: -1 };
  }
  return { message, end: pos };
}

/** A response to HEAD, or a 1xx / 204 / 304, has no body whatever its headers say (RFC 9112 §6.3). */
function responseHasNoBody(method: string): (m: RawMessage) => boolean {
  return (m) => method === 'HEAD' || (m.status >= 100 && m.status < 200) || m.status === 204 || m.status === 304;
}

export interface ParsedResponses {
  responses: RawMessage[];
  rest: Buffer;
}

/**
 * Parse every complete response in `buf`. Throws FramingError on anything malformed. `closed`:
 * the connection has ended, so a close-delimited body is complete and leftovers are an error.
 */
export function parseResponses(buf: Buffer, { closed = true, method = 'GET' }: { closed?: boolean; method?: string } = {}): ParsedResponses {
  const out: RawMessage[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const parsed = parseMessage(buf, offset, 'response', responseHasNoBody(method));
    if (!parsed) {
      if (closed) throw new FramingError(`truncated response: ${JSON.stringify(buf.toString('latin1', offset, offset + 200))}`);
      break;
    }
    if (parsed.end === -1) {
      parsed.message.body = buf.subarray(buf.indexOf('\r\n\r\n', offset, 'latin1') + 4);
      out.push(parsed.message);
      offset = buf.length;
      break;
    }
    out.push(parsed.message);
    offset = parsed.end;
  }
  return { responses: out, rest: buf.subarray(offset) };
}

export interface ExchangeOptions {
  /** One byte per write, with a pause in between. */
  byteByByte?: boolean;
  /** Stop reading once this holds for what arrived so far. */
  until?: (buf: Buffer) => boolean;
  timeoutMs?: number;
  host?: string;
  /** End our side once everything is written. */
  halfClose?: boolean;
}

export interface ExchangeResult {
  data: Buffer;
  closed: boolean;
  error?: string;
}

/**
 * Write `data` (a string/Buffer, or a list of them written one after another) to host:port and
 * collect everything the peer sends until it closes the connection or `until(buffer)` is true,
 * or `timeoutMs` passes.
 */
export function rawExchange(port: number, data: string | Buffer | (string | Buffer)[], options: ExchangeOptions = {}): Promise<ExchangeResult> {
  const { byteByByte = false, until, timeoutMs = 5000, host = '127.0.0.1', halfClose = false } = options;
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean, error?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed, error });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (until && until(Buffer.concat(chunks))) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(true, err.code || err.message));
    socket.on('connect', async () => {
      const parts = (Array.isArray(data) ? data : [data]).map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p, 'latin1')));
      for (const part of parts) {
        if (byteByByte) {
          for (let i = 0; i < part.length && !done; i++) {
            socket.write(part.subarray(i, i + 1));
            await new Promise<void>((r) => setImmediate(r));
          }
        } else if (!done) socket.write(part);
      }
      if (halfClose && !done) socket.end();
    });
  });
}

/** Wait until `buf` holds `n` complete responses (for rawExchange's `until`). */
export function responsesComplete(n: number, method = 'GET'): (buf: Buffer) => boolean {
  return (buf) => {
    try {
      return parseResponses(buf, { closed: false, method }).responses.length >= n;
    } catch {
      return true; // malformed: stop reading, the test's own parse reports it
    }
  };
}

/** What a raw upstream's responder may answer: a reply, exact bytes, or 'hold' (no answer). */
export type RawAnswer =
  | { status?: number; headers?: Record<string, string>; body?: string }
  | { raw: string; close?: boolean }
  | 'hold'
  | undefined;

export interface RawUpstream {
  url: string;
  port: number;
  requests: RawMessage[];
  /** Every connection's raw bytes. */
  connections: { raw: Buffer }[];
  /** What it could not parse. */
  errors: string[];
  reset(): void;
  close(): Promise<void>;
}

/**
 * An upstream that parses requests itself, strictly, off the raw bytes, and records each one.
 * Every connection's raw bytes are kept in `connections`; bytes it cannot parse go to `errors`.
 * `respond(request, socket)` may return { status, headers, body } (default: 200 "ok"),
 * { raw, close } (exact bytes to write, then maybe close), or 'hold' (no answer).
 */
export async function startRawUpstream(respond?: (request: RawMessage, socket: net.Socket) => RawAnswer): Promise<RawUpstream> {
  const requests: RawMessage[] = [];
  const connections: { raw: Buffer }[] = [];
  const errors: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const conn = { raw: Buffer.alloc(0) };
    connections.push(conn);
    let offset = 0;
    socket.on('data', (d: Buffer) => {
      conn.raw = Buffer.concat([conn.raw, d]);
      for (;;) {
        let parsed;
        try {
          parsed = parseMessage(conn.raw, offset, 'request');
        } catch (err) {
          errors.push((err as Error).message);
          socket.destroy();
          return;
        }
        if (!parsed) return;
        offset = parsed.end;
        const request = parsed.message;
        requests.push(request);
        const answer = respond ? respond(request, socket) : undefined;
        if (answer === 'hold') continue;
        if (answer && 'raw' in answer) {
          // Exact bytes, for response-framing tests; `close` ends the connection after them.
          socket.write(Buffer.from(answer.raw, 'latin1'));
          if (answer.close) socket.end();
          continue;
        }
        const { status = 200, headers = {}, body = 'ok' } = answer ?? {};
        const bytes = Buffer.from(body);
        let head = `HTTP/1.1 ${status} X\r\ncontent-length: ${bytes.length}\r\n`;
        for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
        socket.write(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), bytes]));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    connections,
    errors,
    reset() {
      requests.length = 0;
      connections.length = 0;
      errors.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
