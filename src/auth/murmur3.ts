/**
 * MurmurHash3 (Austin Appleby's public-domain algorithm), the two variants Tyk uses to name
 * stored keys: x86_32 (`murmur32`) and x64_128 (`murmur128`, and its first half `murmur64`).
 *
 * Written from the algorithm description. The 128-bit variant works on 64-bit lanes; JS has no
 * fast unsigned 64-bit integer (BigInt allocates on every operation), so each lane is kept as a
 * pair of unsigned 32-bit halves and the few 64-bit operations the algorithm needs (multiply,
 * add, rotate, xor-shift) are spelt out on those halves. Key hashing sits on the request path
 * whenever `hash_keys` is on, which is why this is worth the extra lines.
 */

const C1_32 = 0xcc9e2d51;
const C2_32 = 0x1b873593;

/** MurmurHash3_x86_32 of `data`, as an unsigned 32-bit integer. */
export function murmur3x86_32(data: Uint8Array, seed = 0): number {
  const len = data.length;
  const blockEnd = len - (len & 3);
  let h = seed >>> 0;
  for (let i = 0; i < blockEnd; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, C1_32);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2_32);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // Tail: the last 1..3 bytes, little-endian, mixed like a block but without the h rounds.
  const rest = len & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= data[blockEnd + 2] << 16;
    if (rest >= 2) k ^= data[blockEnd + 1] << 8;
    k ^= data[blockEnd];
    k = Math.imul(k, C1_32);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2_32);
    h ^= k;
  }
  h ^= len;
  return fmix32(h) >>> 0;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

// ---- 64-bit lane helpers on (hi, lo) pairs of unsigned 32-bit numbers ----------------------
// Results go to these two module-level slots instead of fresh arrays: no allocation per step.
let rHi = 0;
let rLo = 0;

/** (aHi,aLo) * (bHi,bLo) mod 2^64. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number): void {
  // Full 64-bit product of the low halves from 16-bit pieces (each partial product < 2^32,
  // so plain doubles stay exact), then the cross terms, which only reach the high half.
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  rLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const hi = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  rHi = (hi + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
}

/** (aHi,aLo) + (bHi,bLo) mod 2^64. */
function add64(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const lo = aLo + bLo;
  rLo = lo >>> 0;
  rHi = (aHi + bHi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** Rotate left by n, 0 < n < 64. */
function rotl64(hi: number, lo: number, n: number): void {
  if (n === 32) {
    rHi = lo;
    rLo = hi;
    return;
  }
  if (n > 32) {
    const t = hi;
    hi = lo;
    lo = t;
    n -= 32;
  }
  rHi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
  rLo = ((lo << n) | (hi >>> (32 - n))) >>> 0;
}

// The x64_128 constants and the fmix64 multipliers, split into 32-bit halves.
const C1_HI = 0x87c37b91;
const C1_LO = 0x114253d5;
const C2_HI = 0x4cf5ad43;
const C2_LO = 0x2745937f;
const F1_HI = 0xff51afd7;
const F1_LO = 0xed558ccd;
const F2_HI = 0xc4ceb9fe;
const F2_LO = 0x1a85ec53;

/** fmix64: k ^= k >> 33; k *= F1; k ^= k >> 33; k *= F2; k ^= k >> 33. */
function fmix64(hi: number, lo: number): void {
  // k >> 33 has a zero high half and (hi >>> 1) as its low half.
  lo = (lo ^ (hi >>> 1)) >>> 0;
  mul64(hi, lo, F1_HI, F1_LO);
  hi = rHi;
  lo = (rLo ^ (rHi >>> 1)) >>> 0;
  mul64(hi, lo, F2_HI, F2_LO);
  hi = rHi;
  rLo = (rLo ^ (rHi >>> 1)) >>> 0;
  rHi = hi;
}

/** Little-endian 32-bit word at `i` (all four bytes in range). */
function word(data: Uint8Array, i: number): number {
  return (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
}

/** Little-endian 32-bit word at `i`, zero past `end` (the tail). */
function wordAt(data: Uint8Array, i: number, end: number): number {
  let w = 0;
  for (let b = 3; b >= 0; b--) {
    w = (w << 8) | (i + b < end ? data[i + b] : 0);
  }
  return w >>> 0;
}

/**
 * MurmurHash3_x64_128 of `data`. Returns the two 64-bit halves h1, h2 as four unsigned 32-bit
 * numbers `[h1Hi, h1Lo, h2Hi, h2Lo]`.
 */
export function murmur3x64_128(data: Uint8Array, seed = 0): [number, number, number, number] {
  const len = data.length;
  const blockEnd = len - (len & 15);
  let h1Hi = 0;
  let h1Lo = seed >>> 0;
  let h2Hi = 0;
  let h2Lo = seed >>> 0;

  for (let i = 0; i < blockEnd; i += 16) {
    let k1Lo = word(data, i);
    let k1Hi = word(data, i + 4);
    let k2Lo = word(data, i + 8);
    let k2Hi = word(data, i + 12);

    // k1 *= c1; k1 = rotl(k1, 31); k1 *= c2; h1 ^= k1
    mul64(k1Hi, k1Lo, C1_HI, C1_LO);
    rotl64(rHi, rLo, 31);
    mul64(rHi, rLo, C2_HI, C2_LO);
    k1Hi = rHi;
    k1Lo = rLo;
    h1Hi = (h1Hi ^ k1Hi) >>> 0;
    h1Lo = (h1Lo ^ k1Lo) >>> 0;
    // h1 = rotl(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729
    rotl64(h1Hi, h1Lo, 27);
    add64(rHi, rLo, h2Hi, h2Lo);
    mul64(rHi, rLo, 0, 5);
    add64(rHi, rLo, 0, 0x52dce729);
    h1Hi = rHi;
    h1Lo = rLo;

    // k2 *= c2; k2 = rotl(k2, 33); k2 *= c1; h2 ^= k2
    mul64(k2Hi, k2Lo, C2_HI, C2_LO);
    rotl64(rHi, rLo, 33);
    mul64(rHi, rLo, C1_HI, C1_LO);
    k2Hi = rHi;
    k2Lo = rLo;
    h2Hi = (h2Hi ^ k2Hi) >>> 0;
    h2Lo = (h2Lo ^ k2Lo) >>> 0;
    // h2 = rotl(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5
    rotl64(h2Hi, h2Lo, 31);
    add64(rHi, rLo, h1Hi, h1Lo);
    mul64(rHi, rLo, 0, 5);
    add64(rHi, rLo, 0, 0x38495ab5);
    h2Hi = rHi;
    h2Lo = rLo;
  }

  // Tail: bytes 0..7 of the remainder form k1, bytes 8..14 form k2 (little-endian, zero-padded).
  const rest = len & 15;
  if (rest > 8) {
    const k2Lo = wordAt(data, blockEnd + 8, len);
    const k2Hi = wordAt(data, blockEnd + 12, len);
    mul64(k2Hi, k2Lo, C2_HI, C2_LO);
    rotl64(rHi, rLo, 33);
    mul64(rHi, rLo, C1_HI, C1_LO);
    h2Hi = (h2Hi ^ rHi) >>> 0;
    h2Lo = (h2Lo ^ rLo) >>> 0;
  }
  if (rest > 0) {
    const k1Lo = wordAt(data, blockEnd, len);
    const k1Hi = wordAt(data, blockEnd + 4, len);
    mul64(k1Hi, k1Lo, C1_HI, C1_LO);
    rotl64(rHi, rLo, 31);
    mul64(rHi, rLo, C2_HI, C2_LO);
    h1Hi = (h1Hi ^ rHi) >>> 0;
    h1Lo = (h1Lo ^ rLo) >>> 0;
  }

  // Finalisation: fold in the length, cross-add, avalanche each half, cross-add again.
  h1Lo = (h1Lo ^ len) >>> 0;
  h2Lo = (h2Lo ^ len) >>> 0;
  add64(h1Hi, h1Lo, h2Hi, h2Lo);
  h1Hi = rHi;
  h1Lo = rLo;
  add64(h2Hi, h2Lo, h1Hi, h1Lo);
  h2Hi = rHi;
  h2Lo = rLo;
  fmix64(h1Hi, h1Lo);
  h1Hi = rHi;
  h1Lo = rLo;
  fmix64(h2Hi, h2Lo);
  h2Hi = rHi;
  h2Lo = rLo;
  add64(h1Hi, h1Lo, h2Hi, h2Lo);
  h1Hi = rHi;
  h1Lo = rLo;
  add64(h2Hi, h2Lo, h1Hi, h1Lo);
  h2Hi = rHi;
  h2Lo = rLo;
  return [h1Hi, h1Lo, h2Hi, h2Lo];
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * Hex digests in the byte order Go's murmur3 `Sum(nil)` produces (big-endian per value), which
 * is what Tyk writes into its key names.
 */
export function murmur32Hex(data: Uint8Array): string {
  return hex32(murmur3x86_32(data));
}

export function murmur64Hex(data: Uint8Array): string {
  const [h1Hi, h1Lo] = murmur3x64_128(data);
  return hex32(h1Hi) + hex32(h1Lo);
}

export function murmur128Hex(data: Uint8Array): string {
  const [h1Hi, h1Lo, h2Hi, h2Lo] = murmur3x64_128(data);
  return hex32(h1Hi) + hex32(h1Lo) + hex32(h2Hi) + hex32(h2Lo);
}
