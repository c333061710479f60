// `Body` of JSVM requests and responses. Tyk hands plugins the body as a string and takes the
// returned string as the new body. Decoding costs a pure-JS UTF-8 pass, so the text is decoded
// on first read; and a body the plugin did not change goes back as the original bytes, which
// keeps binary bodies intact (Tyk's otto keeps them too) and skips a re-encode.
import { decodeUtf8, encodeUtf8, utf8Length } from '../text/utf8';
import type { Plain } from './values';

interface BodyState {
  readonly bytes: Uint8Array;
  text?: string;
  assigned: boolean;
  value?: unknown;
}

const states = new WeakMap<object, BodyState>();

// Bytes that are not UTF-8 decode to escapes and encode back to themselves (text/utf8.ts), so a
// plugin that appends to a binary body keeps its bytes, as Tyk's otto does.
function originalText(state: BodyState): string {
  return (state.text ??= decodeUtf8(state.bytes, 0, state.bytes.length, true));
}

function encodeBody(text: string): Uint8Array {
  return encodeUtf8(text, true);
}

/** Make `target.Body` the text of `bytes`, decoded on first read. `Body` must already exist (its key order is kept). */
export function defineBody(target: Plain, bytes: Uint8Array): void {
  const state: BodyState = { bytes, assigned: false };
  Object.defineProperty(target, 'Body', {
    enumerable: true,
    configurable: true,
    get: () => (state.assigned ? state.value : originalText(state)),
    set: (value: unknown) => {
      state.assigned = true;
      state.value = value;
    },
  });
  states.set(target, state);
}

/**
 * The bytes for `returned.Body`, where `original` is the object defineBody prepared (`returned`
 * may be it or a replacement). Null or undefined keeps the original body.
 */
export function bodyBytes(returned: Plain, original: Plain): Uint8Array {
  const state = states.get(original);
  if (!state) throw new Error('bodyBytes: the original object has no Body state');
  if (returned === original && !state.assigned) return state.bytes;
  const value = returned.Body;
  if (value === undefined || value === null) return state.bytes;
  const next = typeof value === 'string' ? value : String(value);
  // Compared with the decoded text, so a binary body read and handed back unchanged survives.
  if (state.text !== undefined) return next === state.text ? state.bytes : encodeBody(next);
  // Never read: a length mismatch proves a change without decoding the original at all.
  if (utf8Length(next, true) !== state.bytes.length) return encodeBody(next);
  return next === originalText(state) ? state.bytes : encodeBody(next);
}
