import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { canonicalHeaderName } from '../../../pipeline/headers';
import type { HttpAllowList } from '../../../config/host-allow-list';

/** Tyk's TykJSHttpRequest, the JSON a plugin passes to TykMakeHttpRequest. */
interface TykHttpRequest {
  Method?: unknown;
  Body?: unknown;
  Headers?: unknown;
  Domain?: unknown;
  Resource?: unknown;
  FormData?: unknown;
}

export interface HttpRequestLimits {
  allow: HttpAllowList;
  /** Largest response body read; a bigger one fails the call. */
  maxBodyBytes: number;
}

const MAX_REDIRECTS = 10;

interface Reply {
  status: number;
  headers: Record<string, string[]>;
  body: Buffer;
  location?: string;
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

function send(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal, maxBytes: number): Promise<Reply> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<Reply>((resolve, reject) => {
    // `agent: false`: one connection per call, closed after it (Tyk sets Request.Close).
    const req = transport.request(url, { method, headers, agent: false, signal }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          res.destroy(new Error(`the response body exceeds ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      // An abort mid-body may end the stream with 'close' alone: never leave the guest waiting.
      res.on('close', () => {
        if (!res.complete) reject(new Error('the connection closed before the response was complete'));
      });
      res.on('end', () => {
        const out: Record<string, string[]> = {};
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) (out[canonicalHeaderName(res.rawHeaders[i])] ??= []).push(res.rawHeaders[i + 1]);
        const location = res.headers.location;
        resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks), location });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * TykMakeHttpRequest on the host: `json` is Tyk's `{Method, Body, Headers, Domain, Resource,
 * FormData}`; the answer is the JSON text of `{Code, Body, Headers, code, body, headers}`.
 * Redirects are followed like Go's client does, each hop checked against the allow-list.
 * Throws (the plugin then gets `undefined`) for bad input, a refused target or a failed call.
 */
export async function makeHttpRequest(json: string, signal: AbortSignal, limits: HttpRequestLimits): Promise<string> {
  let spec: TykHttpRequest;
  try {
    spec = JSON.parse(json) as TykHttpRequest;
  } catch {
    throw new Error('failed to deserialise the HTTP request object (expected JSON)');
  }
  if (typeof spec !== 'object' || spec === null) throw new Error('the HTTP request object must be a JSON object');
  const target = `${typeof spec.Domain === 'string' ? spec.Domain : ''}${typeof spec.Resource === 'string' ? spec.Resource : ''}`;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`"${target}" is not an absolute URL (Domain + Resource)`);
  }
  let method = typeof spec.Method === 'string' && spec.Method !== '' ? spec.Method.toUpperCase() : 'GET';
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(stringMap(spec.Headers, 'Headers'))) headers[canonicalHeaderName(k)] = v;
  const form = stringMap(spec.FormData, 'FormData');
  const text = typeof spec.Body === 'string' && spec.Body !== '' ? spec.Body : Object.keys(form).length > 0 ? formBody(form) : '';
  let body = text === '' ? undefined : Buffer.from(text, 'utf8');

  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${url.protocol} URLs are not allowed (only http and https)`);
    if (!limits.allow.allows(url)) throw new Error(`${url.origin} is not allowed by the gateway's jsvm_http_allow`);
    if (body) headers['Content-Length'] = String(body.length);
    else delete headers['Content-Length'];
    const reply = await send(url, method, headers, body, signal, limits.maxBodyBytes);
    const redirect = reply.location !== undefined && [301, 302, 303, 307, 308].includes(reply.status);
    if (!redirect || hop >= MAX_REDIRECTS) {
      const text = reply.body.toString('utf8');
      return JSON.stringify({ Code: reply.status, Body: text, Headers: reply.headers, code: reply.status, body: text, headers: reply.headers });
    }
    const next = new URL(reply.location!, url);
    // Go's client: 301/302/303 turn into a GET without a body (except from GET/HEAD); 307/308 keep both.
    if (reply.status === 303 || ((reply.status === 301 || reply.status === 302) && method !== 'GET' && method !== 'HEAD')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
      delete headers['Content-Type'];
    }
    // Credentials do not follow a redirect to another host.
    if (next.host !== url.host) {
      delete headers.Authorization;
      delete headers.Cookie;
    }
    url = next;
  }
}
