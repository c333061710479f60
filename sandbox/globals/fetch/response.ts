// WHATWG `Response`: what fetch answers, and what a hook may build itself.
import { Body, type BodyInit, bodyBytes } from './body';
import { type HeadersInit, IsogateHeaders } from './headers';
import { encodeUtf8 } from '../../text/utf8';

export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
}

/** What only `fetch` sets (the host's answer). */
export interface ResponseOrigin {
  url: string;
  redirected: boolean;
}

export class IsogateResponse extends Body {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IsogateHeaders;
  readonly url: string;
  readonly redirected: boolean;
  readonly type = 'basic';

  constructor(body?: BodyInit, init: ResponseInit = {}, origin?: ResponseOrigin) {
    const { bytes, type } = bodyBytes(body);
    super(bytes);
    const status = init.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      // fetch itself may answer 1xx-less statuses from the host; a user's Response may not.
      if (!origin) throw new RangeError(`Response: status ${String(status)} is outside 200-599`);
    }
    this.status = status;
    this.statusText = String(init.statusText ?? '');
    this.headers = new IsogateHeaders(init.headers);
    if (type && !this.headers.has('content-type')) this.headers.set('content-type', type);
    this.url = origin?.url ?? '';
    this.redirected = origin?.redirected ?? false;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  clone(): IsogateResponse {
    if (this.bodyUsed) throw new TypeError('Response.clone: body already used');
    return new IsogateResponse(this.content, { status: this.status, statusText: this.statusText, headers: this.headers }, { url: this.url, redirected: this.redirected });
  }

  static json(data: unknown, init: ResponseInit = {}): IsogateResponse {
    const headers = new IsogateHeaders(init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new IsogateResponse(encodeUtf8(JSON.stringify(data)), { ...init, headers });
  }
}
