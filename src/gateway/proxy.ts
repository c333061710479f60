import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { ApiSpec } from '../config/api-spec';
import { bodyTooLarge, GatewayError, Messages } from '../pipeline/errors';
import { BodyTooLargeError, readBounded } from '../pipeline/body';
import { stripHopByHop } from '../pipeline/headers';
import type { RequestState, UpstreamResponse } from '../pipeline/request-state';
import { sendReply, startStream } from '../pipeline/respond';
import { joinUrl } from '../pipeline/url';
import { logger } from '../log/logger';
import { now } from '../metrics/clock';

/** Per-request limits the gateway config sets (request bodies have the API's own, spec.maxBodyBytes). */
export interface RequestLimits {
  /** Largest upstream answer buffered for response hooks (`isolate_options.max_body_bytes`). */
  maxBodyBytes: number;
  proxyTimeoutMs: number;
}

/** Keep-alive agents shared by every API: upstream connections are reused across requests. */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' }),
};

export function closeUpstreamAgents(): void {
  agents['http:'].destroy();
  agents['https:'].destroy();
}

/** path+query the upstream sees: listen path stripped if asked, joined onto the target's path. */
export function upstreamPath(spec: ApiSpec, path: string, query: string): string {
  let rest = joinUrl(path, query);
  if (spec.stripListenPath && spec.listenPath !== '/') {
    const prefix = spec.listenPath.slice(0, -1);
    if (rest.startsWith(prefix)) rest = rest.slice(prefix.length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  const base = spec.target.pathname;
  if (base === '/' || base === '') return rest;
  return base.endsWith('/') ? base + rest.slice(1) : base + rest;
}

/**
 * How the request body travels upstream (RFC 9112 §6): `buffered` with its exact
 * Content-Length; `length`, streamed under the client's Content-Length (Node's parser delivers
 * exactly that many bytes or aborts); `chunked`, streamed and re-framed chunked, whatever the
 * method (Node's client would otherwise write a GET's body bytes unframed, and the upstream
 * would read them as a second request); `none`, no body at all. Never raw bytes without framing.
 */
type BodyFraming = 'buffered' | 'length' | 'chunked' | 'none';

function bodyFraming(state: RequestState): BodyFraming {
  if (state.body !== undefined) return 'buffered';
  const headers = state.req.headers;
  if (headers['transfer-encoding'] !== undefined) return 'chunked';
  if (headers['content-length'] !== undefined && headers['content-length'] !== '0') return 'length';
  return 'none';
}

function outgoingHeaders(state: RequestState, framing: BodyFraming): IncomingHttpHeaders {
  const headers = stripHopByHop(state.headers);
  const target = state.spec.target;
  headers.host = target.host;
  const prior = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${state.clientIp}` : state.clientIp;
  if (framing === 'buffered') {
    // A bodiless GET stays bodiless; anything that had or now has a body gets its exact length.
    const req = state.req.headers;
    if (state.body!.length > 0 || req['content-length'] !== undefined || req['transfer-encoding'] !== undefined) {
      headers['content-length'] = String(state.body!.length);
    } else delete headers['content-length'];
  } else if (framing === 'chunked') {
    delete headers['content-length'];
    headers['transfer-encoding'] = 'chunked';
  }
  if (state.headerNames) {
    for (const [lower, name] of Object.entries(state.headerNames)) {
      if (name === lower || headers[lower] === undefined) continue;
      headers[name] = headers[lower];
      delete headers[lower];
    }
  }
  return headers;
}

/**
 * Stream a chunked request body upstream, counting it against the API's limit as it passes.
 * Past the limit nothing more is forwarded or read, and `overLimit` ends the exchange.
 */
function forwardCounted(req: IncomingMessage, upstreamReq: http.ClientRequest, max: number, overLimit: () => void): void {
  let size = 0;
  let stopped = false;
  req.on('data', (chunk: Buffer) => {
    if (stopped) return;
    size += chunk.length;
    if (size > max) {
      stopped = true;
      req.pause();
      overLimit();
      return;
    }
    if (!upstreamReq.write(chunk)) req.pause();
  });
  upstreamReq.on('drain', () => {
    if (!stopped) req.resume();
  });
  req.once('end', () => {
    if (!stopped) upstreamReq.end();
  });
}

function upstreamFailure(err: NodeJS.ErrnoException, timedOut: boolean): GatewayError {
  if (timedOut || err.code === 'ETIMEDOUT') return new GatewayError(504, Messages.upstreamTimeout);
  return new GatewayError(502, Messages.upstreamDown);
}

/**
 * Send the request upstream. With `buffer` the answer is collected into `state.upstream` for the
 * response hooks; otherwise it streams straight to the client.
 */
export function proxyRequest(state: RequestState, limits: RequestLimits, buffer: boolean): Promise<void> {
  const spec = state.spec;
  const timeoutMs = limits.proxyTimeoutMs;
  const target = spec.target;
  const framing = bodyFraming(state);
  return new Promise<void>((resolve, reject) => {
    let timedOut = false;
    const upstreamReq = (target.protocol === 'https:' ? https : http).request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port || undefined,
      method: state.method,
      path: upstreamPath(spec, state.path, state.query),
      headers: outgoingHeaders(state, framing),
      agent: agents[target.protocol as 'http:' | 'https:'],
      timeout: timeoutMs,
    });
    // The client went away before its answer was complete: stop the upstream exchange too.
    const onClientClose = () => {
      if (!state.res.writableFinished) upstreamReq.destroy();
    };
    state.res.once('close', onClientClose);
    upstreamReq.on('timeout', () => {
      timedOut = true;
      upstreamReq.destroy(Object.assign(new Error('upstream timeout'), { code: 'ETIMEDOUT' }));
    });
    upstreamReq.on('error', (err: NodeJS.ErrnoException) => {
      reject(upstreamFailure(err, timedOut));
    });
    const sentAt = now();
    upstreamReq.on('response', (upstreamRes: IncomingMessage) => {
      state.upstreamMs = now() - sentAt;
      if (buffer) collect(upstreamRes, state, limits.maxBodyBytes).then(resolve, reject);
      else stream(upstreamRes, state).then(resolve, reject);
    });
    if (framing === 'buffered') upstreamReq.end(state.body);
    else if (framing === 'length') state.req.pipe(upstreamReq);
    else if (framing === 'none') upstreamReq.end();
    else {
      forwardCounted(state.req, upstreamReq, spec.maxBodyBytes, () => {
        // The upstream gets a chunked body that never ends, so it never sees a whole request.
        // The client gets 413 unless the upstream's answer has started (or even finished: the
        // response may already be detached from the connection); then the connection is cut.
        if (state.res.headersSent) state.req.socket.destroy();
        else reject(bodyTooLarge());
        upstreamReq.destroy();
      });
    }
  });
}

/** Buffer the upstream answer for response hooks, bounded like request bodies. */
async function collect(upstreamRes: IncomingMessage, state: RequestState, maxBytes: number): Promise<void> {
  let body: Buffer;
  try {
    body = await readBounded(upstreamRes, maxBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) logger.warn({ api_id: state.spec.apiId, limit: maxBytes }, 'the upstream answer is too large for response hooks');
    upstreamRes.destroy();
    throw new GatewayError(502, Messages.upstreamDown);
  }
  state.upstream = { status: upstreamRes.statusCode ?? 502, headers: stripHopByHop(distinctHeaders(upstreamRes)), body };
}

/**
 * The upstream's headers with a repeated header kept as separate values (Node's `headers` joins
 * them with ", "): response hooks see each value, as Tyk's do, and the client gets them back as
 * separate lines. Single values stay strings.
 */
function distinctHeaders(upstreamRes: IncomingMessage): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  const all = upstreamRes.headersDistinct;
  for (const name in all) {
    const values = all[name]!;
    out[name] = values.length === 1 && name !== 'set-cookie' ? values[0] : values;
  }
  return out;
}

function stream(upstreamRes: IncomingMessage, state: RequestState): Promise<void> {
  const { res } = state;
  startStream(res, upstreamRes.statusCode ?? 502, stripHopByHop(upstreamRes.headers));
  state.finished = true;
  return new Promise((resolve) => {
    upstreamRes.pipe(res);
    upstreamRes.on('end', resolve);
    upstreamRes.on('error', () => {
      res.destroy();
      resolve();
    });
    res.on('close', resolve);
  });
}

/** Write a buffered (possibly hook-modified, already checked) upstream answer to the client. */
export function sendUpstream(state: RequestState, upstream: UpstreamResponse): void {
  sendReply(state.res, { status: upstream.status, headers: upstream.headers, body: upstream.body });
  state.finished = true;
}
