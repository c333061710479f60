// Standard base64 (RFC 4648 §4) for the isolate. Decoding follows Tyk's JSVM `b64dec`: padded
// input first, unpadded accepted too; line breaks are ignored as Go's decoder does.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CHUNK = 8192;
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;
const CODES = new Uint8Array(64);
for (let i = 0; i < 64; i++) CODES[i] = ALPHABET.charCodeAt(i);

/** Base64 text of `bytes`; `pad` false gives Go's RawStdEncoding. */
export function encodeBase64(bytes: Uint8Array, pad = true): string {
  const parts: string[] = [];
  const out = new Uint8Array(CHUNK + 4);
  let n = 0;
  let i = 0;
  const full = bytes.length - (bytes.length % 3);
  for (; i < full; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[n++] = CODES[v >> 18];
    out[n++] = CODES[(v >> 12) & 63];
    out[n++] = CODES[(v >> 6) & 63];
    out[n++] = CODES[v & 63];
    if (n >= CHUNK) {
      parts.push(String.fromCharCode.apply(null, out.subarray(0, n) as unknown as number[]));
      n = 0;
    }
  }
  const rest = bytes.length - full;
  if (rest > 0) {
    const v = (bytes[i] << 16) | (rest === 2 ? bytes[i + 1] << 8 : 0);
    out[n++] = CODES[v >> 18];
    out[n++] = CODES[(v >> 12) & 63];
    if (rest === 2) out[n++] = CODES[(v >> 6) & 63];
    else if (pad) out[n++] = 61;
    if (pad) out[n++] = 61;
  }
  parts.push(String.fromCharCode.apply(null, out.subarray(0, n) as unknown as number[]));
  return parts.join('');
}

/** Bytes of base64 `text`, or undefined if it is not valid (padded or unpadded) base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) text = text.replace(/[\r\n]/g, '');
  let length = text.length;
  if (length % 4 === 0 && length > 0) {
    if (text.charCodeAt(length - 1) === 61) length--;
    if (text.charCodeAt(length - 1) === 61) length--;
  } else if (length % 4 === 1) {
    return undefined;
  }
  const out = new Uint8Array(Math.floor((length * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? VALUES[c] : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return o === out.length ? out : out.subarray(0, o);
}
