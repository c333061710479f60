// What the host's web-platform calls (src/coprocess/drivers/isolate/web/) and the in-isolate
// globals (sandbox/globals/web/) share: call names, limits and the shapes that cross.
// Free of Node APIs, like everything in src/protocol/.

/** Host functions behind the web globals (sandbox/host.ts `callHost`). */
export const WEB_CALLS = {
  /** `(op: 'parse', input, base?) | (op: 'set', href, property, value)` → UrlAnswer JSON. */
  url: 'web.url',
  /** `(length)` → base64 text of that many bytes from the host's CSPRNG. */
  random: 'web.random',
  /** `(op, ...args)` → SubtleAnswer JSON (see src/coprocess/drivers/isolate/web/subtle.ts). */
  subtle: 'web.subtle',
} as const;

export const WEB_LIMITS = {
  /** crypto.getRandomValues: the spec's quota per call (QuotaExceededError above it). */
  randomBytesPerCall: 65536,
  /** Imported CryptoKeys alive at once in one isolate (host-side handles). */
  keysPerIsolate: 1000,
  /** Bytes of one key's material (raw, spki, or a JWK's JSON). */
  keyBytes: 16 * 1024,
  /** Largest RSA modulus accepted: verification cost grows with it, on the shared libuv pool. */
  rsaModulusBits: 8192,
  /** Bytes one digest/sign/verify may hash. */
  dataBytes: 16 * 1024 * 1024,
  /** Pending setTimeout/setInterval timers in one isolate. */
  timersPerIsolate: 1000,
  /** performance.now() resolution in ms (see sandbox/globals/web/performance.ts). */
  clockResolutionMs: 1,
} as const;

/** A parsed URL's components, as the host's WHATWG URL reports them. */
export interface UrlRecord {
  href: string;
  origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  hash: string;
}

/** `{ v }` on success; `{ e }` when the input is not a URL (the guest throws TypeError). */
export type UrlAnswer = { v: UrlRecord } | { e: string };

/** What a successful importKey returns: the opaque handle and the key's public description. */
export interface ImportedKey {
  /** Opaque id of the key in this isolate's host-side table. */
  h: string;
  type: 'secret' | 'public' | 'private';
  /** The normalised algorithm (`{ name, hash: { name }, namedCurve, modulusLength, ... }`). */
  algorithm: Record<string, unknown>;
  usages: string[];
}

/** `{ v }` on success, else the DOMException name and message to throw in the guest. */
export type SubtleAnswer = { v: unknown } | { e: string; m: string };

/** The DOMException names subtle and the web globals throw (other errors become OperationError). */
export const DOM_EXCEPTION_NAMES: readonly string[] = [
  'DataError',
  'NotSupportedError',
  'SyntaxError',
  'InvalidAccessError',
  'OperationError',
  'QuotaExceededError',
  'InvalidCharacterError',
  'DataCloneError',
  'NotFoundError',
];
