// The one loopback HTTP server of the tests, whatever it stands for: an upstream, a webhook
// receiver, a TykMakeHttpRequest target. It records every request whole (so tests assert what
// actually arrived, not only the status) and answers through a responder: by default it echoes
// what it received as JSON.
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { until } from './poll';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as UTF-8 text. */
  text: string;
}

/** Answers one recorded request; it may also leave it unanswered (a hung target). */
export type Responder = (seen: Received, res: ServerResponse, req: IncomingMessage) => void;

/** What `echo` answers: the request as the server saw it, the body base64-encoded. */
export interface Echoed {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** 200 JSON `Echoed`, with `x-upstream: echo`. */
export function echo(seen: Received, res: ServerResponse): void {
  const payload: Echoed = { method: seen.method, url: seen.url, headers: seen.headers, body: seen.body.toString('base64') };
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
  res.end(JSON.stringify(payload));
}

/** Leaves the request unanswered until the server closes: the "very slow" target. */
export function hang(): void {}

export interface RecordingServer {
  /** http://127.0.0.1:<port>, no trailing slash. */
  url: string;
  port: number;
  requests: Received[];
  /** The first recorded request `match` accepts, waiting for it up to `timeoutMs`. */
  waitFor(match: (seen: Received) => boolean, timeoutMs?: number): Promise<Received>;
  /** Closes every connection, answered or not, then the server. */
  close(): Promise<void>;
}

export interface RecordingServerOptions {
  /** Close idle keep-alive connections after this long (Node's default otherwise). */
  keepAliveTimeoutMs?: number;
  /** Listen on this port (a server coming back where clients expect it); a free one by default. */
  port?: number;
}

export async function startRecordingServer(respond: Responder = echo, options: RecordingServerOptions = {}): Promise<RecordingServer> {
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const seen: Received = { method: req.method!, url: req.url!, headers: req.headers, body, text: body.toString('utf8') };
      requests.push(seen);
      respond(seen, res, req);
    });
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    waitFor: (match, timeoutMs = 5000) =>
      until(() => requests.find(match), { timeoutMs, stepMs: 20 }).catch(() => {
        throw new Error(`no matching request within ${timeoutMs} ms; got ${JSON.stringify(requests.map((r) => `${r.method} ${r.url} ${r.text}`))}`);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A response body parsed as JSON, typed by the caller (fetch's own json() is `unknown`). */
export async function readJson<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** What an `echo` upstream saw, from the response the gateway passed back. */
export const echoed = (res: Response): Promise<Echoed> => readJson<Echoed>(res);

/** The message of a Tyk error answer (`{ "error": "..." }`). */
export const tykError = async (res: Response): Promise<string> => (await readJson<{ error: string }>(res)).error;

/** Tyk's error template, byte for byte. */
export const tykErrorBody = (message: string): string => `{\n    "error": "${message}"\n}`;

/** What Tyk's management API answers: a status and message, the key and action on writes. */
export interface TykReply {
  status: string;
  message: string;
  key?: string;
  key_hash?: string;
  action?: string;
}
export const tykReply = (res: Response): Promise<TykReply> => readJson<TykReply>(res);

/** A client whose requests all go over one keep-alive connection, so one gateway worker answers them all. */
export interface PinnedClient {
  request(method: string, path: string, headers?: Record<string, string>, body?: string): Promise<{ status: number; body: string }>;
  close(): void;
}

export function pinnedClient(baseUrl: string): PinnedClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(baseUrl);
  return {
    request: (method, path, headers = {}, body) =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, method, path, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** One request on a connection of its own (no pooling): successive calls may reach different workers. */
export function freshRequest(baseUrl: string, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers: { ...headers, connection: 'close' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
