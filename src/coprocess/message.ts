import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { HookEntry } from '../config/api-spec';
import { canonicalHeaderName, firstValueHeaders } from '../pipeline/headers';
import type { RequestState, UpstreamResponse } from '../pipeline/request-state';
import { Messages } from '../pipeline/errors';
import { checkPluginReply, checkRequestEdits, PluginOutputError } from '../pipeline/respond';
import { firstValueParams, joinUrl, normalisePath, splitUrl } from '../pipeline/url';
import { type CoprocessObject, DispatchError, hookTypeOf, type MiniRequestObject, type ResponseObject } from './dispatcher';
import { sessionToProto } from './session-convert';

/**
 * The one builder and applier of coprocess Objects, shared by every driver (isolate, JSVM, gRPC):
 * a driver only moves the message, so all of them get Tyk's semantics from this file.
 */

const EMPTY = Buffer.alloc(0);
const QUERY_CHARS = /^[\x21-\x7e]*$/;

/** What a hook's `return_overrides` asks for, once the returned Object has been applied. */
export type HookOutcome =
  | { kind: 'continue' }
  | { kind: 'error'; status: number; message: string; headers: OutgoingHttpHeaders }
  | { kind: 'respond'; status: number; body: string; headers: OutgoingHttpHeaders };

const CONTINUE: HookOutcome = { kind: 'continue' };

function bodyText(bytes: Buffer, rawBodyOnly: boolean | undefined): string {
  return !rawBodyOnly && bytes.length > 0 && isUtf8(bytes) ? bytes.toString('utf8') : '';
}

export function buildRequestObject(state: RequestState, rawBodyOnly?: boolean): MiniRequestObject {
  const body = state.body ?? EMPTY;
  const headers = firstValueHeaders(state.headers);
  if (!('Host' in headers)) headers.Host = state.req.headers.host ?? '';
  return {
    headers,
    set_headers: {},
    delete_headers: [],
    body: bodyText(body, rawBodyOnly),
    url: joinUrl(state.path, state.query),
    params: firstValueParams(state.query),
    add_params: {},
    extended_params: {},
    delete_params: [],
    return_overrides: { response_code: -1, response_error: '', headers: {}, override_error: false, response_body: '' },
    method: state.method,
    request_uri: state.requestUri,
    scheme: state.scheme,
    raw_body: body,
  };
}

/** The Object for one hook call. Session and metadata go to post_key_auth, post and response hooks. */
export function buildHookObject(state: RequestState, hook: HookEntry, spec: Record<string, string>): CoprocessObject {
  const object: CoprocessObject = {
    hook_type: hookTypeOf[hook.kind],
    hook_name: hook.name,
    request: buildRequestObject(state, hook.raw_body_only),
    spec,
  };
  if (state.session && hook.kind !== 'pre' && hook.kind !== 'auth_check') {
    object.session = sessionToProto(state.session);
    object.metadata = object.session.metadata ?? {};
  }
  // Plugins join the trace (pipeline/trace-context.ts); a copy, so the session's own metadata
  // never gains the key.
  if (state.traceparent !== undefined) object.metadata = { ...object.metadata, traceparent: state.traceparent };
  return object;
}

/** The query after delete_params then add_params (Tyk sorts the query when it rewrites it). */
function applyParams(query: string, del: string[], add: Record<string, string>): string {
  if (del.length === 0 && Object.keys(add).length === 0) return query;
  const params = new URLSearchParams(query);
  const before = params.toString();
  for (const k of del) params.delete(k);
  for (const [k, v] of Object.entries(add)) params.set(k, v);
  params.sort();
  const after = params.toString();
  return after === before ? query : after;
}

/** Plugin output the client or upstream would see, checked before anything is written (pipeline/respond). */
function checked<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PluginOutputError) throw new DispatchError(`the hook returned ${where}.${err.message}`, 'bad_result');
    throw err;
  }
}

function overridesOutcome(request: MiniRequestObject): HookOutcome {
  const o = request.return_overrides;
  if (!o) return CONTINUE;
  const code = o.response_code ?? 0;
  const body = o.response_error || o.response_body || '';
  if (code <= 0) return CONTINUE;
  const headers = checked('return_overrides', () => checkPluginReply(code, o.headers ?? {}));
  if (code >= 400 && !o.override_error) return { kind: 'error', status: code, message: body || Messages.keyNotAuthorised, headers };
  return { kind: 'respond', status: code, body, headers };
}

/**
 * Apply a returned Object to the request (Tyk's ObjectPostProcess): body from raw_body, headers
 * (delete then set), url and method, params (delete then add), then evaluate return_overrides.
 * A result that cannot be applied is a DispatchError('bad_result').
 */
export function applyHookResult(state: RequestState, result: CoprocessObject): HookOutcome {
  const request = result.request;
  if (!request) throw new DispatchError('the returned Object has no request', 'bad_result');
  const url = request.url ?? '';
  const next = splitUrl(url);
  // The returned path is normalised like a client's (the router's one function), so auth and
  // the upstream see the same path; a query must be printable ASCII to stand in a request line.
  const path = normalisePath(next.path);
  if (path === undefined || !QUERY_CHARS.test(next.query)) throw new DispatchError(`the returned request.url ${JSON.stringify(url)} is not a request URI`, 'bad_result');
  state.body = request.raw_body && request.raw_body.length > 0 ? Buffer.from(request.raw_body.buffer, request.raw_body.byteOffset, request.raw_body.length) : EMPTY;
  const setHeaders = request.set_headers ?? {};
  checked('request', () => checkRequestEdits(request.method, setHeaders));
  for (const name of request.delete_headers ?? []) {
    delete state.headers[name.toLowerCase()];
    if (state.headerNames) delete state.headerNames[name.toLowerCase()];
  }
  for (const [name, value] of Object.entries(setHeaders)) {
    const lower = name.toLowerCase();
    state.headers[lower] = value;
    // Tyk canonicalises set_headers names unless ignore_canonical_mime_header_key is on.
    if (state.spec.keepHeaderCase) (state.headerNames ??= {})[lower] = name;
  }
  if (request.method) state.method = request.method;
  state.path = path;
  state.query = applyParams(next.query, request.delete_params ?? [], request.add_params ?? {});
  return overridesOutcome(request);
}

function toFirstAndMulti(headers: IncomingHttpHeaders): { single: Record<string, string>; multi: { key: string; values: string[] }[] } {
  const single: Record<string, string> = {};
  const multi: { key: string; values: string[] }[] = [];
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [String(v)];
    const key = canonicalHeaderName(name);
    single[key] = values[0] ?? '';
    multi.push({ key, values });
  }
  return { single, multi };
}

export function buildResponseObject(state: RequestState, hook: HookEntry, spec: Record<string, string>, upstream: UpstreamResponse): CoprocessObject {
  const object = buildHookObject(state, hook, spec);
  if (!object.session) {
    object.session = sessionToProto({});
    object.metadata = {};
  }
  const { single, multi } = toFirstAndMulti(upstream.headers);
  const response: ResponseObject = {
    status_code: upstream.status,
    raw_body: upstream.body,
    body: bodyText(upstream.body, hook.raw_body_only),
    headers: single,
    multivalue_headers: multi,
  };
  object.response = response;
  return object;
}

/**
 * Apply a response hook's result (Tyk): upstream headers are replaced; if the `headers` map changed,
 * `multivalue_headers` follows it; the body is `raw_body`; the status is `status_code`.
 */
export function applyResponseResult(upstream: UpstreamResponse, sent: ResponseObject, result: CoprocessObject): void {
  const r = result.response;
  if (!r) throw new DispatchError('the response hook returned no response', 'bad_result');
  const status = r.status_code ?? 0;
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new DispatchError(`the response hook returned status_code ${status}`, 'bad_result');
  const returned = r.headers ?? {};
  let multi = (r.multivalue_headers ?? []).map((h) => ({ key: h.key ?? '', values: [...(h.values ?? [])] }));
  const before = sent.headers ?? {};
  const changed = Object.keys(returned).length !== Object.keys(before).length || Object.entries(returned).some(([k, v]) => before[k] !== v);
  if (changed) {
    const byKey = new Map(multi.map((h) => [h.key, h]));
    multi = [];
    for (const [key, value] of Object.entries(returned)) {
      const existing = byKey.get(key);
      multi.push(existing ? { key, values: [value, ...existing.values.slice(1)] } : { key, values: [value] });
    }
  }
  const merged: Record<string, string | string[]> = {};
  for (const h of multi) if (h.key) merged[h.key.toLowerCase()] = h.values.length === 1 ? h.values[0]! : h.values;
  const headers = checked('response', () => checkPluginReply(status, merged)) as IncomingHttpHeaders;
  const body = r.raw_body && r.raw_body.length > 0 ? Buffer.from(r.raw_body.buffer, r.raw_body.byteOffset, r.raw_body.length) : EMPTY;
  upstream.status = status;
  upstream.headers = headers;
  upstream.body = body;
}
