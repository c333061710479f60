import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { NetAccess, Permit } from './access';
import { asNetError, NetError } from './errors';
import { checkMethod, dropHeaders, requestHeaders } from './headers';

export interface NetRequest {
  method: string;
  url: string;
  /** Name/value pairs in order; names as the caller spells them. */
  headers: readonly (readonly [string, string])[];
  body?: Uint8Array;
  /** fetch's redirect modes. Default `follow`. */
  redirect?: 'follow' | 'manual' | 'error';
}

export interface NetResponse {
  status: number;
  statusText: string;
  /** The URL of the final hop. */
  url: string;
  redirected: boolean;
  /** Name/value pairs as received (raw names, repeated headers kept apart). */
  headers: [string, string][];
  body: Uint8Array;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface Hop {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
  location?: string;
}

function send(url: URL, permit: Permit, method: string, headers: Record<string, string>, body: Uint8Array | undefined, signal: AbortSignal, access: NetAccess): Promise<Hop> {
  const transport = url.protocol === 'https:' ? https : http;
  const max = access.maxResponseBytes;
  return new Promise<Hop>((resolve, reject) => {
    // `agent: false`: one connection per request, closed after it, so no socket (and no address
    // checked for another request) is ever reused; `lookup`: the checked address is the one used.
    const req = transport.request(url, { method, headers, agent: false, signal, lookup: access.lookupFor(permit) }, (res: IncomingMessage) => {
      const declared = Number(res.headers['content-length']);
      const tooBig = () => new NetError('TypeError', `the response body exceeds ${max} bytes (custom_middleware.limits.net_max_response_bytes, or isolate_options.net_max_response_bytes)`);
      if (Number.isFinite(declared) && declared > max) {
        res.destroy();
        reject(tooBig());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          res.destroy();
          reject(tooBig());
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      // An abort mid-body may end the stream with 'close' alone: never leave the caller waiting.
      res.on('close', () => {
        if (!res.complete) reject(new NetError('TypeError', 'the connection closed before the response was complete'));
      });
      res.on('end', () => {
        const pairs: [string, string][] = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
        // A fresh, exact-size array: copying a view into the isolate copies its whole ArrayBuffer, so a
        // pooled Buffer would hand the guest its neighbours' bytes.
        const bytes = new Uint8Array(size);
        let at = 0;
        for (const c of chunks) {
          bytes.set(c, at);
          at += c.length;
        }
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: pairs, body: bytes, location: res.headers.location });
      });
    });
    req.on('error', reject);
    req.end(body && body.length > 0 ? body : undefined);
  });
}

/**
 * The one way a plugin reaches the network. Checks every hop against the API's allow_net (and
 * the connected address against the private ranges), follows redirects itself, bounds the body,
 * the time (`signal`: the hook's deadline) and the API's requests in flight. Throws NetError.
 */
export async function netFetch(access: NetAccess, request: NetRequest, signal: AbortSignal): Promise<NetResponse> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new NetError('TypeError', `${JSON.stringify(request.url)} is not an absolute URL`);
  }
  let method = checkMethod(request.method || 'GET');
  const headers = requestHeaders(request.headers);
  let body = request.body;
  const mode = request.redirect ?? 'follow';
  const release = access.acquire();
  try {
    for (let hop = 0; ; hop++) {
      const permit = access.check(url);
      if (signal.aborted) throw new NetError('TimeoutError', 'the request was cut at the hook\'s deadline');
      const reply = await send(url, permit, method, headers, body, signal, access);
      if (!REDIRECTS.has(reply.status) || reply.location === undefined || mode === 'manual') {
        return { status: reply.status, statusText: reply.statusText, url: url.href, redirected: hop > 0, headers: reply.headers, body: reply.body };
      }
      if (mode === 'error') throw new NetError('TypeError', `redirect to ${reply.location} refused (redirect: "error")`);
      if (hop >= access.maxRedirects) throw new NetError('TypeError', `more than ${access.maxRedirects} redirects`);
      let next: URL;
      try {
        next = new URL(reply.location, url);
      } catch {
        throw new NetError('TypeError', `bad redirect location ${JSON.stringify(reply.location)}`);
      }
      // Fetch (and Go's client): 303, and 301/302 after a POST, continue as a GET without a body.
      if (reply.status === 303 ? method !== 'HEAD' : (reply.status === 301 || reply.status === 302) && method === 'POST') {
        method = 'GET';
        body = undefined;
        dropHeaders(headers, ['content-type', 'content-encoding', 'content-language', 'content-location']);
      }
      // Credentials do not follow a redirect to another origin.
      if (next.origin !== url.origin) dropHeaders(headers, ['authorization', 'cookie', 'proxy-authorization']);
      url = next;
    }
  } catch (err) {
    throw asNetError(err, signal);
  } finally {
    release();
  }
}
