// crypto.subtle: digest, importKey (raw, jwk, spki), HMAC sign/verify and RSASSA-PKCS1-v1_5 /
// RSA-PSS / ECDSA verify. The work is the host's (Node's webcrypto,
// src/coprocess/drivers/isolate/web/subtle.ts): no cryptography runs in the guest. A CryptoKey
// here is a description plus an opaque handle into this isolate's host-side key table; the handle
// sits in a WeakMap, out of reach of the hook.
import { WEB_CALLS, WEB_LIMITS, type ImportedKey, type SubtleAnswer } from '../../../src/protocol/web';
import { callHost } from '../../host';
import { decodeBase64 } from '../../text/base64';
import { copyBufferSource, intrinsics } from '../intrinsics';
import { domError } from './dom-exception';

const parse = JSON.parse;
const handles = new WeakMap<object, string>();
/** Every live handle, weakly: a key the hook dropped is released on the host with a later import. */
const live = new Map<string, WeakRef<object>>();

/** Called with the host's answer: the value, or the DOMException (or TypeError) it names. */
function ask(args: unknown[]): unknown {
  const answer = parse(String(callHost(WEB_CALLS.subtle, args))) as SubtleAnswer;
  if ('e' in answer) throw answer.e === 'TypeError' ? new TypeError(answer.m) : domError(answer.e, answer.m);
  return answer.v;
}

/** Run `work` as a promise: a throw becomes a rejection, as WebCrypto's methods never throw. */
function promised<T>(work: () => T): Promise<T> {
  try {
    return intrinsics.promiseResolve(work());
  } catch (error) {
    return intrinsics.promiseReject(error);
  }
}

function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.byteLength === bytes.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
}

function fromBase64(text: unknown): ArrayBuffer {
  const bytes = decodeBase64(String(text));
  if (!bytes) throw domError('OperationError', 'crypto.subtle: the host answered garbage');
  return buffer(bytes);
}

/** Only the fields the supported algorithms have, as plain data (a hook's object may be anything). */
function algorithmOf(value: unknown): unknown {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) throw new TypeError('crypto.subtle: the algorithm must be a string or an object');
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = { name: String(v.name) };
  if (v.hash !== undefined) out.hash = typeof v.hash === 'string' ? v.hash : String((v.hash as { name?: unknown } | null)?.name);
  if (v.namedCurve !== undefined) out.namedCurve = String(v.namedCurve);
  if (v.length !== undefined) out.length = Number(v.length);
  if (v.saltLength !== undefined) out.saltLength = Number(v.saltLength);
  return out;
}

function jwkOf(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw new TypeError('crypto.subtle.importKey: a jwk must be an object');
  // A copy through JSON: plain data only, no getters or proxies reach the host call.
  const text = JSON.stringify(value);
  if (text === undefined || text.length > WEB_LIMITS.keyBytes) throw domError('DataError', `crypto.subtle.importKey: the jwk is not JSON or larger than ${WEB_LIMITS.keyBytes} bytes`);
  return parse(text) as Record<string, unknown>;
}

function handleOf(key: unknown): string {
  const handle = typeof key === 'object' && key !== null ? handles.get(key) : undefined;
  if (handle === undefined) throw new TypeError('crypto.subtle: the key is not a CryptoKey');
  return handle;
}

/**
 * Handles whose CryptoKey is gone, looked for only at the isolate's key limit, after a full
 * collection. Not earlier: WeakRef.deref() keeps its target alive until the entry's microtasks
 * have run (V8's KeepDuringJob), so sweeping before the collection would keep every key.
 * Keys made during the current entry cannot be collected in it, for the same reason.
 */
function released(): string[] {
  const out: string[] = [];
  if (live.size < WEB_LIMITS.keysPerIsolate) return out;
  intrinsics.collectGarbage?.();
  for (const [handle, ref] of live) {
    if (ref.deref() === undefined) {
      live.delete(handle);
      out.push(handle);
    }
  }
  return out;
}

export class IsogateCryptoKey {
  readonly type!: string;
  readonly extractable!: boolean;
  readonly algorithm!: Record<string, unknown>;
  readonly usages!: string[];

  constructor() {
    throw new TypeError('Illegal constructor: CryptoKeys come from crypto.subtle.importKey');
  }

  get [Symbol.toStringTag](): string {
    return 'CryptoKey';
  }
}

function makeKey(imported: ImportedKey, extractable: boolean): IsogateCryptoKey {
  const algorithm = { ...imported.algorithm };
  if (Array.isArray(algorithm.publicExponent)) algorithm.publicExponent = new Uint8Array(algorithm.publicExponent as number[]);
  const key = Object.create(IsogateCryptoKey.prototype) as IsogateCryptoKey;
  Object.defineProperties(key, {
    type: { value: imported.type, enumerable: true },
    extractable: { value: extractable, enumerable: true },
    algorithm: { value: Object.freeze(algorithm), enumerable: true },
    usages: { value: Object.freeze([...imported.usages]), enumerable: true },
  });
  handles.set(key, imported.h);
  live.set(imported.h, new WeakRef(key));
  return key;
}

export class IsogateSubtleCrypto {
  constructor() {
    throw new TypeError('Illegal constructor: use crypto.subtle');
  }

  digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
    return promised(() => fromBase64(ask(['digest', algorithmOf(algorithm), copyBufferSource(data, 'crypto.subtle.digest')])));
  }

  importKey(format: unknown, keyData: unknown, algorithm: unknown, extractable: unknown, usages: unknown): Promise<IsogateCryptoKey> {
    return promised(() => {
      const fmt = String(format);
      const material = fmt === 'jwk' ? jwkOf(keyData) : copyBufferSource(keyData, 'crypto.subtle.importKey');
      const uses = Array.from(usages as Iterable<unknown>, String);
      const imported = ask(['importKey', fmt, material, algorithmOf(algorithm), uses, released()]) as ImportedKey;
      return makeKey(imported, Boolean(extractable));
    });
  }

  sign(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    return promised(() => fromBase64(ask(['sign', algorithmOf(algorithm), handleOf(key), copyBufferSource(data, 'crypto.subtle.sign')])));
  }

  verify(algorithm: unknown, key: unknown, signature: unknown, data: unknown): Promise<boolean> {
    return promised(() => ask(['verify', algorithmOf(algorithm), handleOf(key), copyBufferSource(signature, 'crypto.subtle.verify'), copyBufferSource(data, 'crypto.subtle.verify')]) === true);
  }

  get [Symbol.toStringTag](): string {
    return 'SubtleCrypto';
  }
}

export const subtle = Object.create(IsogateSubtleCrypto.prototype) as IsogateSubtleCrypto;
