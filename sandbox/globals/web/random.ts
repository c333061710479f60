// crypto.getRandomValues and crypto.randomUUID, from the host's CSPRNG (never a generator in the
// guest). Small requests are served from a buffer refilled 4 KiB at a time, so a randomUUID()
// costs one host call per 256 UUIDs rather than one each.
import { WEB_CALLS, WEB_LIMITS } from '../../../src/protocol/web';
import { callHost } from '../../host';
import { decodeBase64 } from '../../text/base64';
import { intrinsics } from '../intrinsics';
import { domError } from './dom-exception';

const POOL_BYTES = 4096;
let pool: Uint8Array = new Uint8Array(0);
let used = 0;

function hostBytes(n: number): Uint8Array {
  const bytes = decodeBase64(String(callHost(WEB_CALLS.random, [n])));
  if (!bytes || bytes.length !== n) throw domError('OperationError', 'crypto: the host did not supply random bytes');
  return bytes;
}

function take(n: number): Uint8Array {
  if (n > POOL_BYTES / 4) return hostBytes(n);
  if (pool.length - used < n) {
    pool = hostBytes(POOL_BYTES);
    used = 0;
  }
  const out = pool.subarray(used, used + n);
  used += n;
  return out;
}

const INTEGER_ARRAYS = new Set(['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array']);

export function getRandomValues<T>(array: T): T {
  const i = intrinsics;
  const tag = Object.prototype.toString.call(array).slice(8, -1);
  if (!i.isView(array) || !INTEGER_ARRAYS.has(tag)) throw domError('TypeMismatchError', 'crypto.getRandomValues: the argument must be an integer typed array');
  const length = i.typedArrayByteLength(array);
  if (length > WEB_LIMITS.randomBytesPerCall) {
    throw domError('QuotaExceededError', `crypto.getRandomValues: ${length} bytes asked for, at most ${WEB_LIMITS.randomBytesPerCall} per call`);
  }
  const target = new i.Uint8Array(i.typedArrayBuffer(array), i.typedArrayByteOffset(array), length);
  i.typedArraySet(target, take(length), 0);
  return array;
}

const HEX: string[] = [];
for (let b = 0; b < 256; b++) HEX.push((b + 0x100).toString(16).slice(1));

export function randomUUID(): string {
  const b = take(16).slice();
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = (k: number): string => HEX[b[k]];
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}
