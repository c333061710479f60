import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { logger } from '../log/logger';
import type { ApiRuntime } from './api-runtime';
import { GatewayError, Messages, sendError } from './error-responder';
import { proxyRequest, sendUpstream } from './proxy';
import type { RequestState } from './request-state';

const NEVER_ABORTED = new AbortController().signal;

export interface RequestLimits {
  maxBodyBytes: number;
  proxyTimeoutMs: number;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.reject(new GatewayError(413, Messages.tooLarge));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new GatewayError(413, Messages.tooLarge));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** Runs one request through its API's chain: steps, upstream, response hooks, client. */
export async function handleApiRequest(api: ApiRuntime, req: IncomingMessage, res: ServerResponse, limits: RequestLimits): Promise<void> {
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
  const url = req.url ?? '/';
  const state: RequestState = {
    req,
    res,
    api,
    clientIp: req.socket.remoteAddress ?? '',
    scheme: (req.socket as TLSSocket).encrypted ? 'https' : 'http',
    requestUri: url,
    signal,
    method: req.method ?? 'GET',
    url,
    // Steps edit the request's own header object; the proxy copies it once, without hop-by-hop headers.
    headers: req.headers,
    finished: false,
  };
  try {
    if (api.needsBody) state.body = await readBody(req, limits.maxBodyBytes);
    for (const step of api.requestSteps) {
      await step.run(state);
      if (state.finished) return;
    }
    const buffer = api.responseSteps.length > 0;
    await proxyRequest(state, limits.proxyTimeoutMs, buffer);
    if (!buffer || !state.upstream) return;
    for (const step of api.responseSteps) await step.run(state);
    sendUpstream(state, state.upstream);
  } catch (err) {
    if (err instanceof GatewayError) sendError(res, err.status, err.message, err.headers);
    else {
      logger.error({ api_id: api.spec.apiId, err }, 'request failed unexpectedly');
      sendError(res, 500, Messages.middlewareError);
    }
  } finally {
    api.leave();
  }
}
