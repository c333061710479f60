// The body mixin of Request and Response: bytes held whole (requests and answers are bounded by
// the host's caps), read once.
import { decodeUtf8, encodeUtf8 } from '../../text/utf8';

export type BodyInit = string | ArrayBuffer | ArrayBufferView | null | undefined;

/** The bytes of a body, and the Content-Type it implies (string: text/plain). */
export function bodyBytes(init: BodyInit): { bytes: Uint8Array | null; type?: string } {
  if (init === null || init === undefined) return { bytes: null };
  if (typeof init === 'string') return { bytes: encodeUtf8(init), type: 'text/plain;charset=UTF-8' };
  if (init instanceof ArrayBuffer) return { bytes: new Uint8Array(init.slice(0)) };
  if (ArrayBuffer.isView(init)) return { bytes: new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)) };
  // URLSearchParams and other objects with a meaningful toString (Fetch: USVString fallback).
  if (typeof init === 'object' && typeof (init as { toString?: unknown }).toString === 'function' && Object.prototype.toString.call(init) === '[object URLSearchParams]') {
    return { bytes: encodeUtf8(String(init)), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  throw new TypeError('fetch: a body must be a string, an ArrayBuffer, a typed array or null');
}

export class Body {
  private used = false;

  constructor(protected readonly content: Uint8Array | null) {}

  get bodyUsed(): boolean {
    return this.used;
  }

  /** Fetch has a ReadableStream here; isolates do not. null when there is no body. */
  get body(): null {
    return null;
  }

  private take(): Uint8Array {
    // Called only from the async readers below: the throw becomes their rejection.
    if (this.used) throw new TypeError('body already used');
    this.used = true;
    return this.content ?? new Uint8Array(0);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  async text(): Promise<string> {
    return decodeUtf8(this.take());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}
