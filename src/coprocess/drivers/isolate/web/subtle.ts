import { randomBytes, webcrypto } from 'node:crypto';
import { DOM_EXCEPTION_NAMES, WEB_LIMITS, type ImportedKey, type SubtleAnswer } from '../../../../protocol/web';
import type { HostCallContext, HostFunction } from '../host-calls';

// crypto.subtle for one isolate, on Node's webcrypto: the guest (sandbox/globals/web/subtle.ts)
// holds only opaque handles; the keys live here, in a table that belongs to one isolate and
// goes with it (handles are random, so a handle seen in another isolate names nothing here).
// The subset is what a gateway plugin needs to check tokens: digest, HMAC sign/verify, and
// RSASSA-PKCS1-v1_5 / RSA-PSS / ECDSA verify, with keys from raw, jwk or spki.

type Key = webcrypto.CryptoKey;
type Usage = 'sign' | 'verify';

class WebError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const DIGESTS: ReadonlyMap<string, string> = new Map(['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'].map((n) => [n.toUpperCase(), n]));
const ALGORITHMS: ReadonlyMap<string, string> = new Map(['HMAC', 'RSASSA-PKCS1-v1_5', 'RSA-PSS', 'ECDSA'].map((n) => [n.toUpperCase(), n]));
const CURVES: ReadonlySet<string> = new Set(['P-256', 'P-384', 'P-521']);
/** Formats per algorithm (pkcs8 and private JWKs are absent: verify-only algorithms need public keys). */
const FORMATS: Readonly<Record<string, readonly string[]>> = {
  HMAC: ['raw', 'jwk'],
  'RSASSA-PKCS1-v1_5': ['spki', 'jwk'],
  'RSA-PSS': ['spki', 'jwk'],
  ECDSA: ['spki', 'jwk', 'raw'],
};
const JWK_FIELDS = ['kty', 'k', 'n', 'e', 'crv', 'x', 'y', 'alg', 'ext', 'key_ops', 'use'] as const;
const JWK_PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const;

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value === 'string') return { name: value };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${what} must be a string or an object with a name`);
  return value as Record<string, unknown>;
}

function digestName(value: unknown): string {
  const name = DIGESTS.get(String(record(value, 'hash').name).toUpperCase());
  if (!name) throw new WebError('NotSupportedError', `unsupported hash "${String(record(value, 'hash').name)}" (SHA-1, SHA-256, SHA-384, SHA-512)`);
  return name;
}

function bytes(value: unknown, what: string, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a BufferSource`);
  if (value.byteLength > max) throw new WebError('QuotaExceededError', `${what} is ${value.byteLength} bytes, more than ${max}`);
  return value;
}

/** A clean algorithm object of the four supported ones; nothing the guest sent goes to Node unchecked. */
function algorithm(value: unknown, forImport: boolean): webcrypto.AlgorithmIdentifier & Record<string, unknown> {
  const given = record(value, 'algorithm');
  const name = ALGORITHMS.get(String(given.name).toUpperCase());
  if (!name) throw new WebError('NotSupportedError', `unsupported algorithm "${String(given.name)}" (HMAC, RSASSA-PKCS1-v1_5, RSA-PSS, ECDSA)`);
  const out: { name: string } & Record<string, unknown> = { name };
  if (name === 'ECDSA' && forImport) {
    const curve = String(given.namedCurve);
    if (!CURVES.has(curve)) throw new WebError('NotSupportedError', `unsupported namedCurve "${curve}" (P-256, P-384, P-521)`);
    out.namedCurve = curve;
  }
  if (name === 'ECDSA' && !forImport) out.hash = digestName(given.hash);
  if (name !== 'ECDSA' && forImport) out.hash = digestName(given.hash);
  if (name === 'HMAC' && forImport && given.length !== undefined) out.length = Number(given.length);
  if (name === 'RSA-PSS' && !forImport) {
    const salt = Number(given.saltLength);
    if (!Number.isInteger(salt) || salt < 0 || salt > 1024) throw new TypeError('RSA-PSS saltLength must be an integer in 0..1024');
    out.saltLength = salt;
  }
  return out;
}

function usages(value: unknown, name: string): Usage[] {
  if (!Array.isArray(value)) throw new TypeError('keyUsages must be an array');
  const allowed: readonly string[] = name === 'HMAC' ? ['sign', 'verify'] : ['verify'];
  const out: Usage[] = [];
  for (const usage of value) {
    if (!allowed.includes(String(usage))) throw new WebError(name === 'HMAC' ? 'SyntaxError' : 'NotSupportedError', `key usage "${String(usage)}" is not supported for ${name} (${allowed.join(', ')})`);
    if (!out.includes(usage as Usage)) out.push(usage as Usage);
  }
  if (out.length === 0) throw new WebError('SyntaxError', 'keyUsages must not be empty');
  return out;
}

function jwk(value: unknown): webcrypto.JsonWebKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('a jwk key must be an object');
  const given = value as Record<string, unknown>;
  for (const field of JWK_PRIVATE) {
    if (given[field] !== undefined) throw new WebError('NotSupportedError', `private JWKs are not accepted (field "${field}"): only HMAC secrets and public keys can be imported`);
  }
  const out: Record<string, unknown> = {};
  for (const field of JWK_FIELDS) if (given[field] !== undefined) out[field] = given[field];
  if (JSON.stringify(out).length > WEB_LIMITS.keyBytes) throw new WebError('QuotaExceededError', `the jwk is larger than ${WEB_LIMITS.keyBytes} bytes`);
  return out as webcrypto.JsonWebKey;
}

/** The key's algorithm as plain JSON (publicExponent as a list of byte values). */
function describe(key: Key): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(key.algorithm as unknown as Record<string, unknown>)) out[k] = v instanceof Uint8Array ? Array.from(v) : v;
  return out;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new WebError('OperationError', 'the hook ran out of time'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new WebError('OperationError', 'the hook ran out of time'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** One isolate's keys: created with the isolate's host calls, cleared when it goes. */
export class SubtleHost {
  private readonly keys = new Map<string, Key>();

  get size(): number {
    return this.keys.size;
  }

  readonly call: HostFunction = async (args, context) => JSON.stringify(await this.answer(args, context));

  clear(): void {
    this.keys.clear();
  }

  private async answer(args: unknown[], context: HostCallContext): Promise<SubtleAnswer> {
    try {
      return { v: await abortable(this.run(args), context.signal) };
    } catch (err) {
      const e = err as Error;
      const name = e?.name === 'TypeError' || DOM_EXCEPTION_NAMES.includes(e?.name) ? e.name : 'OperationError';
      return { e: name, m: String(e?.message ?? err) };
    }
  }

  private key(handle: unknown, usage: Usage): Key {
    const key = this.keys.get(String(handle));
    if (!key) throw new WebError('InvalidAccessError', 'the CryptoKey does not belong to this isolate');
    if (!key.usages.includes(usage)) throw new WebError('InvalidAccessError', `the key's usages do not include "${usage}"`);
    return key;
  }

  private async run(args: unknown[]): Promise<unknown> {
    const [op] = args;
    const subtle = webcrypto.subtle;
    switch (op) {
      case 'digest': {
        const digest = await subtle.digest(digestName(args[1]), bytes(args[2], 'data', WEB_LIMITS.dataBytes));
        return Buffer.from(digest).toString('base64');
      }
      case 'sign': {
        const alg = algorithm(args[1], false);
        if (alg.name !== 'HMAC') throw new WebError('NotSupportedError', `sign supports HMAC only, not ${String(alg.name)}`);
        const signature = await subtle.sign(alg, this.key(args[2], 'sign'), bytes(args[3], 'data', WEB_LIMITS.dataBytes));
        return Buffer.from(signature).toString('base64');
      }
      case 'verify': {
        const alg = algorithm(args[1], false);
        const key = this.key(args[2], 'verify');
        if (key.algorithm.name !== alg.name) throw new WebError('InvalidAccessError', `the key is a ${key.algorithm.name} key, not ${String(alg.name)}`);
        return subtle.verify(alg, key, bytes(args[3], 'signature', WEB_LIMITS.keyBytes), bytes(args[4], 'data', WEB_LIMITS.dataBytes));
      }
      case 'importKey':
        return this.importKey(args);
      default:
        throw new WebError('NotSupportedError', `crypto.subtle.${String(op)} is not supported`);
    }
  }

  private async importKey(args: unknown[]): Promise<ImportedKey> {
    const [, format, keyData, algorithmIn, usagesIn, released] = args;
    // Handles of keys the guest has garbage-collected come back with the next import.
    if (Array.isArray(released)) for (const handle of released) this.keys.delete(String(handle));
    const alg = algorithm(algorithmIn, true);
    const name = String(alg.name);
    const fmt = String(format);
    if (!FORMATS[name].includes(fmt)) throw new WebError('NotSupportedError', `format "${fmt}" is not supported for ${name} (${FORMATS[name].join(', ')})`);
    const uses = usages(usagesIn, name);
    if (this.keys.size >= WEB_LIMITS.keysPerIsolate) {
      throw new WebError('QuotaExceededError', `this isolate already holds ${WEB_LIMITS.keysPerIsolate} CryptoKeys; drop references to keys it no longer needs`);
    }
    const key =
      fmt === 'jwk'
        ? await webcrypto.subtle.importKey('jwk', jwk(keyData), alg, false, uses)
        : await webcrypto.subtle.importKey(fmt as 'raw' | 'spki', bytes(keyData, 'keyData', WEB_LIMITS.keyBytes), alg, false, uses);
    const modulus = (key.algorithm as { modulusLength?: number }).modulusLength;
    if (modulus !== undefined && modulus > WEB_LIMITS.rsaModulusBits) throw new WebError('NotSupportedError', `RSA keys of ${modulus} bits are refused (at most ${WEB_LIMITS.rsaModulusBits})`);
    const handle = randomBytes(16).toString('hex');
    this.keys.set(handle, key);
    return { h: handle, type: key.type, algorithm: describe(key), usages: [...key.usages] };
  }
}
