// Object bytes <-> messages inside the isolate, with the pbjs static code bundled with
// protobufjs/minimal (DESIGN: generated, never hand-written).
import '../../src/protocol/protobuf-setup';
import { coprocess } from '../../src/protocol/generated/coprocess.js';
import './lazy-body';
import { normaliseMessage } from './normalise';
import { ObjectSchema } from './schema';

export { coprocess };
export type DecodedObject = coprocess.Object;

export function decodeObject(bytes: Uint8Array): DecodedObject {
  return coprocess.Object.decode(bytes);
}

/**
 * Normalise and encode into an exact-size buffer. protobufjs returns small messages as views
 * into an 8 KB pool slab; ivm copies a view's whole backing ArrayBuffer, so the result is
 * copied out whenever it does not own its buffer.
 */
export function encodeObject(object: unknown): Uint8Array {
  const plain = normaliseMessage(ObjectSchema, object, 'object');
  const bytes = coprocess.Object.encode(plain as coprocess.Object.$Properties).finish();
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  return bytes.slice();
}
