// The web platform in every isolate of driver `isolate` (README: the runtime's globals). Shapes
// follow the WHATWG/W3C standards, narrowed to what the runtime implements. Referenced from
// isogate.d.ts.

/** The errors crypto.subtle, atob/btoa and structuredClone throw (`name` says which). */
declare class DOMException extends Error {
  constructor(message?: string, name?: string);
  readonly name: string;
  readonly code: number;
}

/** WHATWG URL, parsed by the gateway's own URL parser (Node's). Inputs over 64 KiB are refused. */
declare class URL {
  constructor(url: string | URL, base?: string | URL);
  static canParse(url: string | URL, base?: string | URL): boolean;
  static parse(url: string | URL, base?: string | URL): URL | null;
  href: string;
  readonly origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  readonly searchParams: URLSearchParams;
  hash: string;
  toString(): string;
  toJSON(): string;
}

declare class URLSearchParams implements Iterable<[string, string]> {
  constructor(init?: string | Record<string, string> | Iterable<[string, string]>);
  readonly size: number;
  append(name: string, value: string): void;
  delete(name: string, value?: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string, value?: string): boolean;
  set(name: string, value: string): void;
  sort(): void;
  forEach(callback: (value: string, name: string, params: URLSearchParams) => void, thisArg?: unknown): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
  toString(): string;
}

/** Latin-1 string → base64 (InvalidCharacterError for characters above U+00FF). */
declare function btoa(data: string): string;
/** Forgiving base64 → Latin-1 string (InvalidCharacterError when invalid). */
declare function atob(data: string): string;

/** HTML structured clone: primitives, Date, RegExp, Map, Set, ArrayBuffer and views, Error, arrays, plain objects; cycles kept. `transfer` is not supported. */
declare function structuredClone<T>(value: T, options?: { transfer?: never[] }): T;

declare function queueMicrotask(callback: () => void): void;

/** `now()` has 1 ms resolution on purpose (timing side channels between tenants). */
declare const performance: {
  readonly timeOrigin: number;
  now(): number;
  toJSON(): { timeOrigin: number };
};

/**
 * Timers belong to the hook call that set them: one that would fire after the call ended, or
 * later than `hook_timeout_ms` after the call began, never fires. At most 1000 pending per
 * isolate (RangeError beyond). The callback must be a function.
 */
declare function setTimeout<A extends unknown[]>(callback: (...args: A) => void, delay?: number, ...args: A): number;
declare function clearTimeout(id?: number): void;
declare function setInterval<A extends unknown[]>(callback: (...args: A) => void, delay?: number, ...args: A): number;
declare function clearInterval(id?: number): void;

type IsogateBufferSource = ArrayBuffer | ArrayBufferView;
type IsogateHashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';
type IsogateHash = IsogateHashName | { name: IsogateHashName };
type IsogateImportAlgorithm =
  | { name: 'HMAC'; hash: IsogateHash; length?: number }
  | { name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS'; hash: IsogateHash }
  | { name: 'ECDSA'; namedCurve: 'P-256' | 'P-384' | 'P-521' };
type IsogateSignAlgorithm = 'HMAC' | 'RSASSA-PKCS1-v1_5' | { name: 'HMAC' | 'RSASSA-PKCS1-v1_5' } | { name: 'RSA-PSS'; saltLength: number } | { name: 'ECDSA'; hash: IsogateHash };

interface JsonWebKey {
  kty?: string;
  k?: string;
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
  alg?: string;
  ext?: boolean;
  key_ops?: string[];
  use?: string;
}

/** A key held by the gateway for this isolate; only importKey makes one, and it cannot be exported. */
declare class CryptoKey {
  private constructor();
  readonly type: 'secret' | 'public';
  readonly extractable: boolean;
  readonly algorithm: { name: string; hash?: { name: string }; namedCurve?: string; modulusLength?: number; publicExponent?: Uint8Array; length?: number };
  readonly usages: ('sign' | 'verify')[];
}

/**
 * The gateway's WebCrypto (Node's), reached by host calls. Keys: HMAC (raw, jwk; sign and
 * verify), RSASSA-PKCS1-v1_5 and RSA-PSS (spki, jwk; verify; modulus ≤ 8192 bits), ECDSA P-256/384/521
 * (spki, jwk, raw; verify). Public keys and HMAC secrets only. At most 1000 keys alive per
 * isolate (QuotaExceededError); keys the code no longer references are freed.
 */
declare class SubtleCrypto {
  private constructor();
  digest(algorithm: IsogateHash, data: IsogateBufferSource): Promise<ArrayBuffer>;
  importKey(format: 'raw' | 'spki', keyData: IsogateBufferSource, algorithm: IsogateImportAlgorithm, extractable: boolean, usages: ('sign' | 'verify')[]): Promise<CryptoKey>;
  importKey(format: 'jwk', keyData: JsonWebKey, algorithm: IsogateImportAlgorithm, extractable: boolean, usages: ('sign' | 'verify')[]): Promise<CryptoKey>;
  sign(algorithm: 'HMAC' | { name: 'HMAC' }, key: CryptoKey, data: IsogateBufferSource): Promise<ArrayBuffer>;
  verify(algorithm: IsogateSignAlgorithm, key: CryptoKey, signature: IsogateBufferSource, data: IsogateBufferSource): Promise<boolean>;
}

declare const crypto: {
  readonly subtle: SubtleCrypto;
  /** Integer typed arrays of at most 65536 bytes (QuotaExceededError beyond), from the gateway's CSPRNG. */
  getRandomValues<T extends Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array>(array: T): T;
  randomUUID(): string;
};
