// `fetch` and its classes in isolate-driver middleware (sandbox/globals/fetch/). Referenced from
// isogate.d.ts. Network access needs `custom_middleware.limits.allow_net` (or the gateway's
// `isolate_options.allow_net`); otherwise fetch rejects with PermissionDenied.

type IsogateHeadersInit = Headers | [string, string][] | Record<string, string>;
/** No streams in isolates: bodies are whole strings or bytes. */
type IsogateBodyInit = string | ArrayBuffer | ArrayBufferView | null;

/** Lowercase names; CR, LF or NUL in a name or value throws a TypeError. */
declare class Headers implements Iterable<[string, string]> {
  constructor(init?: IsogateHeadersInit);
  append(name: string, value: string): void;
  set(name: string, value: string): void;
  delete(name: string): void;
  get(name: string): string | null;
  getSetCookie(): string[];
  has(name: string): boolean;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  forEach(fn: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

interface IsogateBody {
  readonly bodyUsed: boolean;
  /** Always null: no ReadableStream; read with text(), json(), arrayBuffer() or bytes(). */
  readonly body: null;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
}

interface RequestInit {
  method?: string;
  /** Host, Content-Length, Transfer-Encoding, Connection and other framing headers are set by the gateway: given ones are dropped. */
  headers?: IsogateHeadersInit;
  body?: IsogateBodyInit;
  /** Every hop of a followed redirect is checked against allow_net again; at most 5 hops. */
  redirect?: 'follow' | 'manual' | 'error';
}

declare class Request implements IsogateBody {
  constructor(input: string | Request | { href: string }, init?: RequestInit);
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly redirect: 'follow' | 'manual' | 'error';
  readonly bodyUsed: boolean;
  readonly body: null;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
  clone(): Request;
}

interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: IsogateHeadersInit;
}

declare class Response implements IsogateBody {
  constructor(body?: IsogateBodyInit, init?: ResponseInit);
  static json(data: unknown, init?: ResponseInit): Response;
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: Headers;
  /** The final URL, after redirects. */
  readonly url: string;
  readonly redirected: boolean;
  readonly type: 'basic';
  readonly bodyUsed: boolean;
  readonly body: null;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
  clone(): Response;
}

/** fetch's rejection when allow_net does not grant the host; the message names the host and the key to edit. */
declare class PermissionDenied extends Error {
  readonly name: 'PermissionDenied';
}

/**
 * The web's fetch, bounded by the hook's deadline (a `TimeoutError` past it), the API's response
 * size cap (`net_max_response_bytes`) and its requests in flight (`net_max_concurrent`); a
 * refused host rejects with PermissionDenied, any other failure with a TypeError.
 */
declare function fetch(input: string | Request | { href: string }, init?: RequestInit): Promise<Response>;
