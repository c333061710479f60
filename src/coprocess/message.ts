import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import type { HookEntry } from '../config/api-spec';
import { canonicalHeaderName, firstValueHeaders } from '../gateway/headers';
import type { RequestState, UpstreamResponse } from '../gateway/request-state';
import { type CoprocessObject, DispatchError, hookTypeOf, type MiniRequestObject, type ResponseObject } from './dispatcher';
import { sessionToProto } from './session-convert';

/**
 * The one builder and applier of coprocess Objects, shared by every driver (isolate, JSVM, gRPC):
 * a driver only moves the message, so all of them get Tyk's semantics from this file.
 */

const EMPTY = Buffer.alloc(0);

/** What a hook's `return_overrides` asks for, once the returned Object has been applied. */
export type HookOutcome =
  | { kind: 'continue' }
  | { kind: 'error'; status: number; message: string; headers: Record<string, string> }
  | { kind: 'respond'; status: number; body: string; headers: Record<string, string> };

const CONTINUE: HookOutcome = { kind: 'continue' };

function bodyText(bytes: Buffer, rawBodyOnly: boolean | undefined): string {
  return !rawBodyOnly && bytes.length > 0 && isUtf8(bytes) ? bytes.toString('utf8') : '';
}

function firstValueParams(url: string): Record<string, string> {
  const q = url.indexOf('?');
  const out: Record<string, string> = {};
  if (q < 0) return out;
  for (const [k, v] of new URLSearchParams(url.slice(q + 1))) if (!(k in out)) out[k] = v;
  return out;
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
    url: state.url,
    params: firstValueParams(state.url),
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
  return object;
}

function applyParams(url: string, del: string[], add: Record<string, string>): string {
  if (del.length === 0 && Object.keys(add).length === 0) return url;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const before = params.toString();
  for (const k of del) params.delete(k);
  for (const [k, v] of Object.entries(add)) params.set(k, v);
  params.sort();
  const after = params.toString();
  if (after === before) return url;
  return after ? `${path}?${after}` : path;
}

function overridesOutcome(request: MiniRequestObject): HookOutcome {
  const o = request.return_overrides;
  if (!o) return CONTINUE;
  const code = o.response_code ?? 0;
  const body = o.response_error || o.response_body || '';
  const headers = { ...(o.headers ?? {}) };
  if (code >= 400 && !o.override_error) return { kind: 'error', status: code, message: body || 'Key not authorised', headers };
  if (code > 0) return { kind: 'respond', status: code, body, headers };
  return CONTINUE;
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
  if (!url.startsWith('/')) throw new DispatchError(`the returned request.url "${url}" is not a request URI`, 'bad_result');
  state.body = request.raw_body && request.raw_body.length > 0 ? Buffer.from(request.raw_body.buffer, request.raw_body.byteOffset, request.raw_body.length) : EMPTY;
  for (const name of request.delete_headers ?? []) delete state.headers[name.toLowerCase()];
  for (const [name, value] of Object.entries(request.set_headers ?? {})) state.headers[name.toLowerCase()] = value;
  if (request.method) state.method = request.method;
  state.url = applyParams(url, request.delete_params ?? [], request.add_params ?? {});
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
  if (status < 100 || status > 999) throw new DispatchError(`the response hook returned status_code ${status}`, 'bad_result');
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
  const headers: IncomingHttpHeaders = {};
  for (const h of multi) if (h.key) headers[h.key.toLowerCase()] = h.values.length === 1 ? h.values[0] : h.values;
  const body = r.raw_body && r.raw_body.length > 0 ? Buffer.from(r.raw_body.buffer, r.raw_body.byteOffset, r.raw_body.length) : EMPTY;
  upstream.status = status;
  upstream.headers = headers;
  upstream.body = body;
}
