import '../protocol/protobuf-setup';
import { coprocess } from '../protocol/generated/coprocess';
import type { CoprocessObject } from './dispatcher';

/**
 * Encode into a fresh, exact-size ArrayBuffer-backed Uint8Array. protobufjs hands out slices of
 * a shared 8 KB pool; transferring such a slice into an isolate detaches the whole pool and
 * silently empties unrelated Buffers, so the bytes are always copied out once.
 */
export function encodeObject(object: CoprocessObject): Uint8Array {
  const pooled = coprocess.Object.encode(object).finish();
  const owned = new Uint8Array(pooled.length);
  owned.set(pooled);
  return owned;
}

/** Decode wire bytes into a message whose fields read like the plain proto object. */
export function decodeObject(bytes: Uint8Array): CoprocessObject {
  return coprocess.Object.decode(bytes);
}

export function encodeEvent(payload: string): Uint8Array {
  return coprocess.Event.encode({ payload }).finish();
}

export function decodeEvent(bytes: Uint8Array): string {
  return coprocess.Event.decode(bytes).payload;
}

export { coprocess };
