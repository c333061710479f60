import { canonicalHeaderName } from '../../../pipeline/headers';
import type { NetAccess } from '../../../net/access';
import { netFetch, type NetResponse } from '../../../net/fetch';

/** Tyk's TykJSHttpRequest, the JSON a plugin passes to TykMakeHttpRequest. */
interface TykHttpRequest {
  Method?: unknown;
  Body?: unknown;
  Headers?: unknown;
  Domain?: unknown;
  Resource?: unknown;
  FormData?: unknown;
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' ? v : String(v);
  return out;
}

/** Go's url.Values.Encode for FormData: keys sorted, form-encoded. */
function formBody(form: Record<string, string>): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(form).sort()) params.append(key, form[key]);
  return params.toString();
}

/** Go's http.Header of a response: canonical names, repeated headers as arrays. */
export function goHeaders(reply: NetResponse): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of reply.headers) (out[canonicalHeaderName(name)] ??= []).push(value);
  return out;
}

/** Go's `string(bytes)` as goja shows it: the bytes as UTF-8 text. */
export const bodyText = (reply: NetResponse): string => Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength).toString('utf8');

/**
 * TykMakeHttpRequest on the host: `json` is Tyk's `{Method, Body, Headers, Domain, Resource,
 * FormData}`; the answer is the JSON text of `{Code, Body, Headers, code, body, headers}`.
 * The request goes through the API's network layer (src/net/): its allow_net, redirects
 * followed and re-checked, the response cap, the hook's deadline (`signal`).
 * Throws (the plugin then gets `undefined`) for bad input, a refused target or a failed call.
 */
export async function makeHttpRequest(json: string, signal: AbortSignal, access: NetAccess): Promise<string> {
  let spec: TykHttpRequest;
  try {
    spec = JSON.parse(json) as TykHttpRequest;
  } catch {
    throw new Error('failed to deserialise the HTTP request object (expected JSON)');
  }
  if (typeof spec !== 'object' || spec === null) throw new Error('the HTTP request object must be a JSON object');
  const url = `${typeof spec.Domain === 'string' ? spec.Domain : ''}${typeof spec.Resource === 'string' ? spec.Resource : ''}`;
  const method = typeof spec.Method === 'string' && spec.Method !== '' ? spec.Method.toUpperCase() : 'GET';
  // Go's Header.Set canonicalises the names.
  const headers = Object.entries(stringMap(spec.Headers, 'Headers')).map(([k, v]) => [canonicalHeaderName(k), v] as const);
  const form = stringMap(spec.FormData, 'FormData');
  const text = typeof spec.Body === 'string' && spec.Body !== '' ? spec.Body : Object.keys(form).length > 0 ? formBody(form) : '';
  const body = text === '' ? undefined : new Uint8Array(Buffer.from(text, 'utf8'));
  // Go sends a body with any method, GET included (fetch's GET-without-body rule is the guest's, sandbox/globals/fetch/).
  const reply = await netFetch(access, { method, url, headers, body }, signal);
  const replyText = bodyText(reply);
  const replyHeaders = goHeaders(reply);
  return JSON.stringify({ Code: reply.status, Body: replyText, Headers: replyHeaders, code: reply.status, body: replyText, headers: replyHeaders });
}
