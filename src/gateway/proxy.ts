import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { ApiSpec } from '../config/api-spec';
import { GatewayError, Messages } from '../pipeline/errors';
import { BodyTooLargeError, readBounded } from '../pipeline/body';
import { stripHopByHop } from '../pipeline/headers';
import type { RequestState, UpstreamResponse } from '../pipeline/request-state';
import { sendReply, startStream } from '../pipeline/respond';
import { joinUrl } from '../pipeline/url';
import { logger } from '../log/logger';

/** Per-request limits the gateway config sets. */
export interface RequestLimits {
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

function outgoingHeaders(state: RequestState): IncomingHttpHeaders {
  const headers = stripHopByHop(state.headers);
  const target = state.spec.target;
  headers.host = target.host;
  const prior = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${state.clientIp}` : state.clientIp;
  if (state.body !== undefined) {
    // A bodiless GET stays bodiless; anything that had or now has a body gets its exact length.
    if (state.body.length > 0 || state.req.headers['content-length'] !== undefined || state.req.headers['transfer-encoding'] !== undefined) {
      headers['content-length'] = String(state.body.length);
    } else delete headers['content-length'];
  } else if (state.req.headers['transfer-encoding'] !== undefined) {
    // A streamed body of unknown length is re-framed chunked, whatever the method: Node's client
    // would otherwise write a GET's body bytes unframed, and the upstream would read them as a
    // second request (RFC 9112 §6).
    delete headers['content-length'];
    headers['transfer-encoding'] = 'chunked';
  }
  return headers;
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
  return new Promise<void>((resolve, reject) => {
    let timedOut = false;
    const upstreamReq = (target.protocol === 'https:' ? https : http).request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port || undefined,
      method: state.method,
      path: upstreamPath(spec, state.path, state.query),
      headers: outgoingHeaders(state),
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
    upstreamReq.on('response', (upstreamRes: IncomingMessage) => {
      if (buffer) collect(upstreamRes, state, limits.maxBodyBytes).then(resolve, reject);
      else stream(upstreamRes, state).then(resolve, reject);
    });
    if (state.body !== undefined) upstreamReq.end(state.body);
    else state.req.pipe(upstreamReq);
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
  state.upstream = { status: upstreamRes.statusCode ?? 502, headers: stripHopByHop(upstreamRes.headers), body };
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
