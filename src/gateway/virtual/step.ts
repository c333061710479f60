import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiSpec } from '../../config/api-spec';
import { pathAfterListenPath } from '../../config/path-pattern';
import type { VirtualEndpoint } from '../../config/virtual-sources';
import { type CoprocessObject, DispatchError, type Dispatcher } from '../../coprocess/dispatcher';
import { saveReturnedSessionMeta } from '../../coprocess/drivers/jsvm';
import { buildRequestObject } from '../../coprocess/message';
import { type EventSink, middlewareErrorEvent } from '../../events';
import { logger } from '../../log/logger';
import { GatewayError, Messages } from '../../pipeline/errors';
import type { RequestState, Step } from '../../pipeline/request-state';
import { checkPluginReply } from '../../pipeline/respond';
import { JSVM_METADATA, JSVM_VIRTUAL_HOOK_TYPE } from '../../protocol/jsvm';
import type { SessionStore } from '../../storage/session-store';
import { type VirtualAnswer, VirtualCache } from './cache';

export interface VirtualStepDeps {
  spec: ApiSpec;
  /** The API's JSVM (drivers/index.ts apiJsvm). */
  dispatcher: Dispatcher;
  /** Tyk's spec map (OrgID, APIID, config_data): the function's `config`. */
  specMap: Record<string, string>;
  events: EventSink;
  /** The LRU-backed session store, where a changed SessionMeta is saved. */
  store: SessionStore;
  /** Largest reply body (`isolate_options.max_body_bytes`, as for buffered upstream answers). */
  maxBodyBytes: number;
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/** The answer a call returned, checked as any plugin output is before it can reach the wire. */
function answerOf(result: CoprocessObject, maxBodyBytes: number): VirtualAnswer {
  const response = result.response;
  if (!response) throw new DispatchError('the virtual endpoint returned no response', 'bad_result');
  // Strings only (the guest's answer has a string per name), so the upstream shape fits.
  const headers = checkPluginReply(response.status_code ?? 0, response.headers ?? {}, 'Response.Headers') as IncomingHttpHeaders;
  const raw = response.raw_body ?? new Uint8Array(0);
  const body = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (body.length > maxBodyBytes) throw new DispatchError(`Response.Body is ${body.length} bytes, over isolate_options.max_body_bytes (${maxBodyBytes})`, 'too_large');
  // What Tyk's forced response carries (Go's server sniffs a Content-Type when none is set).
  headers.server ??= 'tyk';
  if (body.length > 0) headers['content-type'] ??= 'text/plain; charset=utf-8';
  return { status: response.status_code!, headers, body };
}

/**
 * Tyk's cache key: method, URL, the caller (its key, else its address), the `cache_by_headers`
 * values, and for POST/PUT/PATCH the body, hashed.
 */
function cacheKey(state: RequestState, byHeaders: readonly string[]): string {
  const hash = createHash('sha256').update(`${state.method}\0${state.path}?${state.query}\0${state.sessionKey ?? state.clientIp}`);
  for (const name of byHeaders) hash.update(`\0${name}\0${String(state.headers[name.toLowerCase()] ?? '')}`);
  if (BODY_METHODS.has(state.method) && state.body) hash.update('\0').update(state.body);
  return hash.digest('hex');
}

/**
 * The virtual endpoints of an API as one chain step, after auth and limits and before post
 * hooks (Tyk's order). A match answers without the upstream: the answer is left in
 * `state.upstream`, so response hooks still run on it and it leaves through the one response
 * path. A failure (exception, timeout, undecodable or unsendable answer) answers 500 with Tyk's
 * message, or, with `proxy_on_error`, lets the request go on to the upstream; it is never cached.
 */
export function virtualEndpointStep(deps: VirtualStepDeps): Step {
  const { spec, dispatcher, specMap, events, store, maxBodyBytes } = deps;
  const settings = spec.virtual.cache;
  const cache = new VirtualCache();
  const call = async (state: RequestState, endpoint: VirtualEndpoint): Promise<VirtualAnswer> => {
    const object: CoprocessObject = { hook_type: JSVM_VIRTUAL_HOOK_TYPE, hook_name: endpoint.functionName, request: buildRequestObject(state), spec: specMap };
    if (endpoint.useSession && state.session) object.metadata = { [JSVM_METADATA.session]: JSON.stringify(state.session) };
    const result = await dispatcher.dispatch(object, { signal: state.signal });
    const answer = answerOf(result, maxBodyBytes);
    if (endpoint.useSession) await saveReturnedSessionMeta(state, result, store, spec.sessionLifetime);
    return answer;
  };
  return {
    name: 'virtual_endpoint',
    async run(state) {
      const path = pathAfterListenPath(spec.listenPath, state.path);
      const endpoint = spec.virtual.endpoints.find((e) => (!e.method || e.method === state.method) && e.pattern.test(path));
      if (!endpoint) return;
      const key = endpoint.cacheResults || (settings.allSafeRequests && SAFE_METHODS.has(state.method)) ? cacheKey(state, settings.byHeaders) : undefined;
      const hit = key && cache.get(key, Date.now());
      if (hit) {
        state.upstream = { status: hit.status, headers: { ...hit.headers, 'x-tyk-cached-response': '1' }, body: hit.body };
        return;
      }
      let answer: VirtualAnswer;
      try {
        answer = await call(state, endpoint);
      } catch (err) {
        if (state.signal.aborted) throw new GatewayError(500, Messages.virtualEndpointError);
        const reason = err instanceof DispatchError ? err.reason : 'exception';
        const detail = err instanceof Error ? err.message : String(err);
        logger.warn({ api_id: spec.apiId, function: endpoint.functionName, key: endpoint.key, reason }, `virtual endpoint ${endpoint.functionName} failed: ${detail}`);
        events.fire(middlewareErrorEvent({ apiId: spec.apiId, orgId: spec.orgId }, { hook: endpoint.functionName, reason, message: detail }));
        if (endpoint.proxyOnError) return;
        throw new GatewayError(500, Messages.virtualEndpointError);
      }
      if (key && answer.status < 500 && (!settings.codes || settings.codes.has(answer.status))) cache.set(key, answer, Date.now() + settings.ttlMs);
      state.upstream = answer;
    },
  };
}
