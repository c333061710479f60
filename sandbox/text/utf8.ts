// UTF-8 for a world without Buffer/TextDecoder. Follows the WHATWG decoder: each maximal invalid
// subsequence becomes one U+FFFD, and lone surrogates encode as U+FFFD, so whatever user code
// produces is valid UTF-8 on the wire (Go's proto3 runtime rejects invalid strings).

const REPLACEMENT = 0xfffd;
// String.fromCharCode.apply takes its arguments on the stack: keep chunks well below V8's limit.
const CHUNK = 8192;

/**
 * Bodies handed to Tyk JSVM plugins are text, yet may hold bytes that are not UTF-8: Tyk's otto
 * keeps such bytes through `request.Body += "..."`. With `escaped`, each byte of an invalid
 * sequence decodes to the lone surrogate U+DC80 + (byte − 0x80) (bytes there are always ≥ 0x80)
 * and encodes back to that byte, so text built around them keeps them exactly. Valid UTF-8
 * never decodes to a lone surrogate, so no other text changes meaning.
 */
const ESCAPE_BASE = 0xdc00;

function isEscapedByte(c: number): boolean {
  return c >= 0xdc80 && c <= 0xdcff;
}

/** Byte length of `text` encoded as UTF-8 (lone surrogates count as U+FFFD: 3 bytes, or 1 when `escaped` and escaping a byte). */
export function utf8Length(text: string, escaped = false): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) length += 1;
    else if (escaped && isEscapedByte(c)) length += 1; // a pair's low half is consumed with its high half below
    else if (c < 0x800) length += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 4;
      i++;
    } else length += 3;
  }
  return length;
}

/** Encode `text` into a fresh, exact-size Uint8Array (`escaped`: see ESCAPE_BASE). */
export function encodeUtf8(text: string, escaped = false): Uint8Array {
  const out = new Uint8Array(utf8Length(text, escaped));
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && (next & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[o++] = 0xf0 | (c >> 18);
        out[o++] = 0x80 | ((c >> 12) & 0x3f);
        out[o++] = 0x80 | ((c >> 6) & 0x3f);
        out[o++] = 0x80 | (c & 0x3f);
        continue;
      }
      if (escaped && isEscapedByte(c)) {
        out[o++] = c & 0xff;
        continue;
      }
      c = REPLACEMENT;
    }
    out[o++] = 0xe0 | (c >> 12);
    out[o++] = 0x80 | ((c >> 6) & 0x3f);
    out[o++] = 0x80 | (c & 0x3f);
  }
  return out;
}

/**
 * The sequence starting at a non-ASCII byte `i`: if valid, its length (2–4); if not, the length
 * of the maximal invalid subpart that one U+FFFD replaces (a truncated prefix at `end` included).
 */
function sequenceAt(bytes: Uint8Array, i: number, end: number): { length: number; valid: boolean } {
  const b = bytes[i];
  let need: number;
  let lower = 0x80;
  let upper = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) need = 1;
  else if (b >= 0xe0 && b <= 0xef) {
    need = 2;
    if (b === 0xe0) lower = 0xa0;
    else if (b === 0xed) upper = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3;
    if (b === 0xf0) lower = 0x90;
    else if (b === 0xf4) upper = 0x8f;
  } else return { length: 1, valid: false };
  let k = 1;
  for (; k <= need; k++) {
    if (i + k >= end) return { length: k, valid: false };
    const c = bytes[i + k];
    if (c < lower || c > upper) return { length: k, valid: false };
    lower = 0x80;
    upper = 0xbf;
  }
  return { length: k, valid: true };
}

/** True if bytes[start, end) is well-formed UTF-8. */
export function isValidUtf8(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  for (let i = start; i < end; ) {
    if (bytes[i] < 0x80) {
      i++;
      continue;
    }
    const seq = sequenceAt(bytes, i, end);
    if (!seq.valid) return false;
    i += seq.length;
  }
  return true;
}

/**
 * Number of bytes at the end of bytes[start, end) that form a valid but incomplete sequence
 * (0–3): what a streaming decoder must hold back for the next chunk.
 */
export function incompleteTail(bytes: Uint8Array, start: number, end: number): number {
  for (let back = 1; back <= 3 && end - back >= start; back++) {
    const b = bytes[end - back];
    if ((b & 0xc0) === 0x80) continue;
    if (b < 0xc2) return 0;
    const seq = sequenceAt(bytes, end - back, end);
    return !seq.valid && seq.length === back ? back : 0;
  }
  return 0;
}

/** Inputs up to this size that are all ASCII take a path without buffers. */
const SHORT_ASCII = 64;

/** Decode bytes[start, end) replacing invalid sequences with U+FFFD (`escaped`: one escape per invalid byte, see ESCAPE_BASE). */
export function decodeUtf8(bytes: Uint8Array, start = 0, end = bytes.length, escaped = false): string {
  if (end - start <= SHORT_ASCII) {
    // Header names and values, methods, URLs: most strings are short ASCII.
    let i = start;
    while (i < end && bytes[i] < 0x80) i++;
    if (i === end) return start === end ? '' : String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  const parts: string[] = [];
  // A byte yields at most one UTF-16 unit, so a short input needs only a short buffer (most
  // strings are header names and values: a fixed 16 KB buffer would dominate their cost).
  const units = new Uint16Array(Math.min(CHUNK, end - start) + 64);
  let n = 0;
  let i = start;
  const flush = (): void => {
    if (n > 0) parts.push(String.fromCharCode.apply(null, units.subarray(0, n) as unknown as number[]));
    n = 0;
  };
  while (i < end) {
    // ASCII runs are the common case (JSON, headers, forms): convert them without copying.
    if (bytes[i] < 0x80) {
      let j = i + 1;
      const limit = Math.min(end, i + CHUNK);
      while (j < limit && bytes[j] < 0x80) j++;
      if (j - i < 64) {
        // Short runs between non-ASCII characters: copying beats a string part per run.
        while (i < j) units[n++] = bytes[i++];
        if (n >= CHUNK) flush();
        continue;
      }
      flush();
      parts.push(String.fromCharCode.apply(null, bytes.subarray(i, j) as unknown as number[]));
      i = j;
      continue;
    }
    const seq = sequenceAt(bytes, i, end);
    if (!seq.valid) {
      if (escaped) {
        for (let k = 0; k < seq.length; k++) units[n++] = ESCAPE_BASE | bytes[i + k];
      } else units[n++] = REPLACEMENT;
    } else if (seq.length === 2) {
      units[n++] = ((bytes[i] & 0x1f) << 6) | (bytes[i + 1] & 0x3f);
    } else if (seq.length === 3) {
      units[n++] = ((bytes[i] & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f);
    } else {
      const cp =
        (((bytes[i] & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f)) -
        0x10000;
      units[n++] = 0xd800 | (cp >> 10);
      units[n++] = 0xdc00 | (cp & 0x3ff);
    }
    i += seq.length;
    if (n >= CHUNK) flush();
  }
  flush();
  return parts.length === 1 ? parts[0] : parts.join('');
}
