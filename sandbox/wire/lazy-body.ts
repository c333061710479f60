// Bodies arrive twice: as `raw_body` bytes and, when valid UTF-8, as the `body` string. Bytes
// decode as a view for free, but the string costs a pure-JS UTF-8 decode (no TextDecoder in an
// isolate): ~15 ns per byte, 75 ms for a 5 MB body. Most hooks never read it, so `body` becomes
// an accessor that decodes on first read. Tyk ignores `body` on the way back (only `raw_body` is
// applied), so an untouched body is not re-encoded either (see releaseUntouchedBody).
import * as protobuf from 'protobufjs/minimal';
import { coprocess } from '../../src/protocol/generated/coprocess.js';
import { decodeUtf8 } from '../text/utf8';

type Decode = (reader: protobuf.Reader, length?: number, end?: number, depth?: number, target?: object) => object;
interface MessageType {
  new (): object;
  decode: Decode;
}

interface LazyState {
  written: boolean;
}

const lazyBodies = new WeakMap<object, LazyState>();

function varint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) return [-1, pos];
    const b = buf[pos++];
    if (shift < 28) value |= (b & 0x7f) << shift;
    else value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, pos];
    shift += 7;
    if (shift > 63) return [-1, pos];
  }
}

/**
 * The [fieldStart, valueStart, valueEnd] of the one length-delimited occurrence of `field` in
 * buf[start, stop), or null when there is none, several, or something unusual (groups,
 * truncation): those cases take the generated decoder's eager path unchanged.
 */
function findField(buf: Uint8Array, start: number, stop: number, field: number): [number, number, number] | null {
  let found: [number, number, number] | null = null;
  let pos = start;
  while (pos < stop) {
    const fieldStart = pos;
    const [tag, afterTag] = varint(buf, pos);
    if (tag < 0) return null;
    pos = afterTag;
    switch (tag & 7) {
      case 0: {
        const [v, next] = varint(buf, pos);
        if (v < 0) return null;
        pos = next;
        break;
      }
      case 1:
        pos += 8;
        break;
      case 2: {
        const [length, valueStart] = varint(buf, pos);
        if (length < 0) return null;
        pos = valueStart + length;
        if (tag >>> 3 === field) {
          if (found) return null;
          found = [fieldStart, valueStart, pos];
        }
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        return null;
    }
  }
  return pos === stop ? found : null;
}

function defineLazy(message: object, name: string, buf: Uint8Array, start: number, end: number): void {
  const state: LazyState = { written: false };
  let value: string | undefined;
  Object.defineProperty(message, name, {
    configurable: true,
    enumerable: true,
    get: () => (value ??= decodeUtf8(buf, start, end)),
    set: (next: unknown) => {
      state.written = true;
      value = next as string;
    },
  });
  lazyBodies.set(message, state);
}

/** Wrap `Type.decode` so that string field `field` (`name`) of nested messages decodes lazily. */
function lazyStringField(Type: MessageType, field: number, name: string): void {
  const eager = Type.decode;
  Type.decode = function decodeLazily(reader, length, end, depth, target) {
    if (length === undefined || !(reader instanceof protobuf.Reader)) return eager(reader, length, end, depth, target);
    const start = reader.pos;
    const stop = start + length;
    const range = stop <= reader.len ? findField(reader.buf, start, stop, field) : null;
    if (!range || range[2] === range[1]) return eager(reader, length, end, depth, target);
    const message = target ?? new Type();
    // Decode everything around the string with the generated code, merging into one message.
    if (range[0] > start) eager(reader, range[0] - start, undefined, depth, message);
    reader.pos = range[2];
    if (stop > range[2]) eager(reader, stop - range[2], undefined, depth, message);
    reader.pos = stop;
    defineLazy(message, name, reader.buf, range[1], range[2]);
    return message;
  };
}

lazyStringField(coprocess.MiniRequestObject as unknown as MessageType, 4, 'body');
lazyStringField(coprocess.ResponseObject as unknown as MessageType, 3, 'body');

/**
 * If `message.body` is still the lazily decoded original (never assigned), remove it so that
 * it is neither decoded nor sent back. Returns whether it did.
 */
export function releaseUntouchedBody(message: unknown): boolean {
  if (typeof message !== 'object' || message === null) return false;
  const state = lazyBodies.get(message);
  if (!state || state.written) return false;
  delete (message as { body?: unknown }).body;
  return true;
}
