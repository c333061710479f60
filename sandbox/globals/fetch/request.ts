// WHATWG `Request`, the part fetch needs. The URL is kept as given: the host parses it with its
// WHATWG URL parser and checks it (src/net/); `fetch` answers with the normalised final URL.
import { Body, type BodyInit, bodyBytes } from './body';
import { type HeadersInit, IsogateHeaders } from './headers';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const NORMALISED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH']);

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit;
  redirect?: 'follow' | 'manual' | 'error';
}

function checkMethod(method: unknown): string {
  const text = String(method);
  if (!TOKEN.test(text)) throw new TypeError(`Request: ${JSON.stringify(text)} is not a valid method`);
  const upper = text.toUpperCase();
  if (upper === 'CONNECT' || upper === 'TRACE' || upper === 'TRACK') throw new TypeError(`Request: the ${upper} method is forbidden`);
  return NORMALISED.has(upper) ? upper : text;
}

export class IsogateRequest extends Body {
  readonly url: string;
  readonly method: string;
  readonly headers: IsogateHeaders;
  readonly redirect: 'follow' | 'manual' | 'error';

  constructor(input: string | IsogateRequest | { href: string }, init: RequestInit = {}) {
    const from = input instanceof IsogateRequest ? input : undefined;
    const method = checkMethod(init.method ?? from?.method ?? 'GET');
    const { bytes, type } = init.body !== undefined ? bodyBytes(init.body) : { bytes: from ? from.bodyBytes() : null, type: undefined };
    if (bytes !== null && (method === 'GET' || method === 'HEAD')) throw new TypeError(`Request: a ${method} request cannot have a body`);
    super(bytes);
    this.url = from ? from.url : typeof input === 'string' ? input : String((input as { href?: unknown }).href ?? input);
    this.method = method;
    this.headers = new IsogateHeaders(init.headers ?? from?.headers);
    if (type && !this.headers.has('content-type')) this.headers.set('content-type', type);
    const redirect = init.redirect ?? from?.redirect ?? 'follow';
    if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') throw new TypeError(`Request: redirect must be "follow", "manual" or "error"`);
    this.redirect = redirect;
  }

  /** The body for the host (null: none). */
  bodyBytes(): Uint8Array | null {
    return this.content;
  }

  clone(): IsogateRequest {
    if (this.bodyUsed) throw new TypeError('Request.clone: body already used');
    return new IsogateRequest(this);
  }
}
