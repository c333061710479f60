// WHATWG-shaped TextEncoder/TextDecoder (UTF-8 only). protobufjs creates decoders when its
// module loads, and middleware authors need them to read `raw_body`; isolates have neither.
import { decodeUtf8, encodeUtf8, incompleteTail, isValidUtf8 } from './utf8';

type BufferSource = ArrayBuffer | ArrayBufferView;

function bytesOf(input: BufferSource | undefined): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError('TextDecoder.decode: input must be an ArrayBuffer or ArrayBufferView');
}

export class IsogateTextEncoder {
  get encoding(): string {
    return 'utf-8';
  }
  encode(input = ''): Uint8Array {
    return encodeUtf8(String(input));
  }
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number } {
    const bytes = encodeUtf8(String(input));
    if (bytes.length <= dest.length) {
      dest.set(bytes);
      return { read: input.length, written: bytes.length };
    }
    // Rare path: find the longest prefix of whole characters that fits.
    let read = 0;
    let written = 0;
    while (read < input.length) {
      const step = (input.charCodeAt(read) & 0xfc00) === 0xd800 && read + 1 < input.length ? 2 : 1;
      const piece = encodeUtf8(input.slice(read, read + step));
      if (written + piece.length > dest.length) break;
      dest.set(piece, written);
      written += piece.length;
      read += step;
    }
    return { read, written };
  }
}

export class IsogateTextDecoder {
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  private pending: Uint8Array | null = null;
  private bomChecked = false;

  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const name = String(label).trim().toLowerCase();
    if (name !== 'utf-8' && name !== 'utf8' && name !== 'unicode-1-1-utf-8') {
      throw new RangeError(`TextDecoder: only utf-8 is supported, not "${label}"`);
    }
    this.fatal = Boolean(options.fatal);
    this.ignoreBOM = Boolean(options.ignoreBOM);
  }

  get encoding(): string {
    return 'utf-8';
  }

  decode(input?: BufferSource, options: { stream?: boolean } = {}): string {
    let bytes = bytesOf(input);
    if (this.pending) {
      const joined = new Uint8Array(this.pending.length + bytes.length);
      joined.set(this.pending);
      joined.set(bytes, this.pending.length);
      bytes = joined;
      this.pending = null;
    }
    let end = bytes.length;
    if (options.stream) {
      const held = incompleteTail(bytes, 0, end);
      if (held > 0) {
        this.pending = bytes.slice(end - held);
        end -= held;
      }
    }
    let start = 0;
    if (!this.bomChecked && end >= 3) {
      this.bomChecked = true;
      if (!this.ignoreBOM && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    }
    if (!options.stream) this.bomChecked = false;
    if (this.fatal && !isValidUtf8(bytes, start, end)) {
      this.pending = null;
      throw new TypeError('The encoded data was not valid for encoding utf-8');
    }
    return decodeUtf8(bytes, start, end);
  }
}

/** Install the codecs as globals unless the platform already has them. */
export function installTextCodecs(): void {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.TextDecoder !== 'function') {
    Object.defineProperty(g, 'TextDecoder', { value: IsogateTextDecoder, writable: true, configurable: true });
  }
  if (typeof g.TextEncoder !== 'function') {
    Object.defineProperty(g, 'TextEncoder', { value: IsogateTextEncoder, writable: true, configurable: true });
  }
}

// Runs at import: index.ts imports this module before protobufjs, whose utf8 helpers construct
// TextDecoder instances while loading.
installTextCodecs();
