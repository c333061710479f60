import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { logger } from '../log/logger';
import { HEADER_NAME_TOKEN } from '../protocol/header-names';
import { GatewayError, Messages } from './errors';
import { isFramingHeader } from './headers';

/**
 * The one response path. Every reply (gateway errors, plugin overrides, buffered upstream answers
 * after response hooks, streamed upstream answers) leaves through a function of this file, which
 * frames the body itself and never lets a write failure escape into the request handler.
 */

let generatorHeader = true;
export function setGeneratorHeader(enabled: boolean): void {
  generatorHeader = enabled;
}

/** Tyk's `error.json` template: exactly `{\n    "error": "<message>"\n}`. */
export function errorBody(message: string): string {
  return `{\n    "error": ${JSON.stringify(message)}\n}`;
}

/** What a plugin may put on the wire; checked by `checkPluginReply` before anything is written. */
export interface Reply {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer | string;
}

/** Plugin output that cannot be sent as given (a bad header name or value, a status outside 100–599). */
export class PluginOutputError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'PluginOutputError';
  }
}

// RFC 9110 §5.5 field-value: no CR, LF or NUL (other controls but HTAB are refused too).
const BAD_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;
// Node writes header values as Latin-1 and throws on anything above U+00FF.
const NOT_LATIN1 = /[^\u0000-\u00ff]/;

/**
 * Validate a status and header map that came from plugin code (return_overrides, response hooks,
 * JSVM ReturnData, gRPC replies) and drop the framing headers the gateway sets itself
 * (Content-Length, Transfer-Encoding, Connection and the other hop-by-hop headers).
 * The status must be a final one, 200-599: a 1xx is interim (a client waits for the real answer
 * and would take the next response on the connection for it), so a plugin cannot end a request
 * with one. Names come back lower-case, values of names that differ only in case merged, so the
 * gateway's own headers replace a plugin's rather than being sent twice.
 * Throws PluginOutputError naming the offending field.
 */
export function checkPluginReply(status: number, headers: Record<string, string | readonly string[]>, where = 'headers'): OutgoingHttpHeaders {
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new PluginOutputError('status', `${status} is not an HTTP status (100-599)`);
  if (status < 200) throw new PluginOutputError('status', `${status} is an interim (1xx) status; a reply needs a final one (200-599)`);
  const out: Record<string, string | string[]> = {};
  for (const name of Object.keys(headers)) {
    const field = `${where}[${JSON.stringify(name)}]`;
    if (!HEADER_NAME_TOKEN.test(name)) throw new PluginOutputError(field, 'not a valid header name');
    const value = headers[name];
    const values: readonly unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== 'string') throw new PluginOutputError(field, 'the value is not a string');
      if (BAD_VALUE.test(v)) throw new PluginOutputError(field, 'the value contains CR, LF, NUL or another control character');
      if (NOT_LATIN1.test(v)) throw new PluginOutputError(field, 'the value has a character above U+00FF, which cannot stand in a header');
    }
    if (isFramingHeader(name)) continue;
    const lower = name.toLowerCase();
    const prior = out[lower];
    const mine = values as string[];
    out[lower] = prior === undefined ? (mine.length === 1 ? mine[0]! : [...mine]) : [...(typeof prior === 'string' ? [prior] : prior), ...mine];
  }
  return out;
}

/** A plugin's edits to the upstream request: a token method and valid set_headers. */
export function checkRequestEdits(method: string | null | undefined, setHeaders: Record<string, string>): void {
  if (method && !HEADER_NAME_TOKEN.test(method)) throw new PluginOutputError('method', `${JSON.stringify(method)} is not a method token`);
  checkPluginReply(200, setHeaders, 'set_headers');
}

/**
 * A chunked request body is still arriving. After a keep-alive reply Node reads and discards
 * the rest of it, with no limit (a 404 or 401 to a chunked upload would read forever): such a
 * reply closes the connection instead. (An unread Content-Length body is bounded by the API's
 * limit, checked before anything else, and is left to Node.)
 */
function unreadChunkedBody(res: ServerResponse): boolean {
  const req = res.req as ServerResponse['req'] | undefined;
  return req !== undefined && !req.complete && req.headers['transfer-encoding'] !== undefined;
}

function writeReply(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer | string, close: boolean): void {
  const out: OutgoingHttpHeaders = { ...headers };
  if (!close && unreadChunkedBody(res)) {
    close = true;
    closeAfterReply(res);
  }
  if (close) out.connection = 'close';
  // 204 and 304 never carry a body (RFC 9110 §15.3.5, §15.4.5), so no Content-Length either.
  if (status === 204 || status === 304) {
    delete out['content-length'];
    res.writeHead(status, out);
    res.end();
    return;
  }
  out['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  res.writeHead(status, out);
  res.end(body);
}

/**
 * Send a reply whose headers were checked by `checkPluginReply` (or came from Node's parser).
 * The gateway frames the body: its own Content-Length, never the plugin's.
 */
export function sendReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  try {
    writeReply(res, reply.status, reply.headers, reply.body, false);
  } catch (err) {
    lastResort(res, err, 'writing a reply failed');
  }
}

/** An error reply in Tyk's template. `headers` come from gateway code or a checked plugin override. */
export function sendError(res: ServerResponse, status: number, message: string, headers?: OutgoingHttpHeaders, closeConnection = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const out: OutgoingHttpHeaders = { ...headers, 'content-type': 'application/json' };
  if (generatorHeader) out['x-generator'] = 'tyk.io';
  try {
    writeReply(res, status, out, errorBody(message), closeConnection);
  } catch (err) {
    lastResort(res, err, 'writing an error reply failed');
  }
}

/** Connections being closed after an error: requests already pipelined behind it are dropped. */
const closing = new WeakSet<Socket>();

/** True once the connection is to close: the router ignores further requests on it. */
export function isClosing(socket: Socket): boolean {
  return closing.has(socket);
}

/** How long a refused connection lingers, half-closed and unread, before it is reset. */
const LINGER_MS = 1000;

/**
 * Close the connection once the reply is out, without reading what the client still sends.
 * Node closes a `Connection: close` response's socket at once (socket.destroySoon); with
 * unread request bytes in the kernel that close is a reset, and a reset can discard the reply
 * before the client reads it. So the socket is half-closed (FIN after the reply) and reset only
 * after a short linger (RFC 9112 §9.6). Nothing is read meanwhile: the request stream is
 * paused, TCP flow control stops the client, and the body is never drained.
 */
function closeAfterReply(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || closing.has(socket)) return;
  closing.add(socket);
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.writable) this.end();
    setTimeout(() => this.destroy(), LINGER_MS).unref();
  };
}

/** Reply to a GatewayError thrown anywhere in the chain. */
export function sendGatewayError(res: ServerResponse, err: GatewayError): void {
  if (err.closeConnection) closeAfterReply(res);
  sendError(res, err.status, err.message, err.headers, err.closeConnection);
  if (err.closeConnection) res.once('finish', () => res.socket?.destroySoon());
}

/** Start a streamed reply (an upstream answer piped through). */
export function startStream(res: ServerResponse, status: number, headers: OutgoingHttpHeaders): void {
  res.writeHead(status, headers);
}

/**
 * The last resort: anything that escaped the chain answers 500 (or, once headers are out, drops
 * the connection), is logged once, and never ends the process.
 */
export function lastResort(res: ServerResponse, err: unknown, why = 'request failed unexpectedly', apiId?: string): void {
  logger.error({ api_id: apiId, err }, why);
  try {
    if (res.headersSent || res.writableEnded) {
      res.destroy();
      return;
    }
    // Whatever a step set on the response so far is not to be trusted: start clean. The request
    // stream is in an unknown state too, so the connection closes after this answer.
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    const body = errorBody(Messages.middlewareError);
    closeAfterReply(res);
    res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  } catch {
    res.destroy();
  }
}
