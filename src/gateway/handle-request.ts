import type { IncomingMessage, ServerResponse } from 'node:http';
import { logger } from '../log/logger';
import type { TLSSocket } from 'node:tls';
import { BodyTooLargeError, readBounded } from '../pipeline/body';
import { bodyTooLarge, GatewayError, Messages } from '../pipeline/errors';
import type { RequestState } from '../pipeline/request-state';
import { lastResort, sendError, sendGatewayError } from '../pipeline/respond';
import type { SplitUrl } from '../pipeline/url';
import { StoreUnavailableError } from '../storage/index';
import type { ApiRuntime } from './api-runtime';
import type { AccessLog } from '../metrics/access-log';
import { settleTraceContext } from '../pipeline/trace-context';
import { now } from '../metrics/clock';
import { proxyRequest, type RequestLimits, sendUpstream } from './proxy';

/** What the gateway config asks to observe of every request (src/metrics, pipeline/trace-context.ts). */
export interface RequestObservers {
  accessLog?: AccessLog;
  /** trace_context.generate: start a trace for requests without a valid traceparent. */
  generateTrace: boolean;
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * The client reset or closed the connection: there is nobody to answer. (The request's socket,
 * not the response's: a pipelined response has no socket until the ones before it are sent.)
 */
function clientGone(state: RequestState): boolean {
  return !state.res.writableEnded && state.req.socket.destroyed;
}

/** Turn whatever ended the chain early into the client's answer. */
function fail(state: RequestState, err: unknown): void {
  if (clientGone(state)) {
    // Not the gateway's failure and not the plugin's: one line at debug, no stack.
    logger.debug({ api_id: state.spec.apiId, path: state.path, reason: (err as Error)?.message }, 'the client closed the connection before the request completed');
    return;
  }
  if (err instanceof GatewayError) return sendGatewayError(state.res, err);
  if (err instanceof BodyTooLargeError) return sendGatewayError(state.res, bodyTooLarge());
  if (err instanceof StoreUnavailableError) return sendError(state.res, 503, Messages.serviceUnavailable);
  lastResort(state.res, err, 'request failed unexpectedly', state.spec.apiId);
}

/** Runs one request through its API's chain: steps, upstream, response hooks, client. Never rejects. */
export async function handleApiRequest(api: ApiRuntime, req: IncomingMessage, res: ServerResponse, url: SplitUrl, limits: RequestLimits, observers: RequestObservers): Promise<void> {
  const startedAt = now();
  const declared = req.headers['content-length'];
  // A declared length over the limit is refused before a byte of the body is read (and before
  // `100 Continue`, so a client that asked never sends it).
  if (declared !== undefined && Number(declared) > api.spec.maxBodyBytes) {
    sendGatewayError(res, bodyTooLarge());
    api.metrics?.request(res.statusCode, true, now() - startedAt);
    return;
  }
  if (req.headers.expect !== undefined) res.writeContinue();
  api.enter();
  // Only hook calls need a cancellation signal; a plain proxied request skips the allocation.
  let signal = NEVER_ABORTED;
  if (api.hasSteps) {
    const abort = new AbortController();
    signal = abort.signal;
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
  }
  const state: RequestState = {
    req,
    res,
    spec: api.spec,
    clientIp: req.socket.remoteAddress ?? '',
    scheme: (req.socket as TLSSocket).encrypted ? 'https' : 'http',
    requestUri: req.url ?? '/',
    signal,
    method: req.method ?? 'GET',
    path: url.path,
    query: url.query,
    // Steps edit the request's own header object; the proxy copies it once, without hop-by-hop headers.
    headers: req.headers,
    finished: false,
    startedAt,
    hookMs: 0,
    // Before any step: hooks see (and the upstream gets) only a valid traceparent.
    traceparent: settleTraceContext(req.headers, observers.generateTrace),
  };
  try {
    if (api.needsBody) state.body = await readBounded(req, api.spec.maxBodyBytes);
    for (const step of api.requestSteps) {
      await step.run(state);
      if (state.finished) return;
      // A virtual endpoint answered: the rest of the chain and the upstream are skipped; response hooks still run.
      if (state.upstream) break;
    }
    if (!state.upstream) await proxyRequest(state, limits, api.responseSteps.length > 0);
    if (!state.upstream) return;
    for (const step of api.responseSteps) await step.run(state);
    sendUpstream(state, state.upstream);
  } catch (err) {
    fail(state, err);
  } finally {
    api.leave();
    observe(api, state, observers);
  }
}

/** Metrics and the access log, once the request is over (a few numbers: no allocation without the log). */
function observe(api: ApiRuntime, state: RequestState, observers: RequestObservers): void {
  const totalMs = now() - state.startedAt;
  const sent = state.res.headersSent;
  const metrics = api.metrics;
  if (metrics) {
    metrics.request(state.res.statusCode, sent, totalMs);
    if (state.upstreamMs !== undefined) metrics.upstream.observe(state.upstreamMs / 1000);
  }
  observers.accessLog?.record(state, state.res.statusCode, sent, totalMs);
}
