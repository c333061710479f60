// The globals middleware can use: log, console.*, b64enc/b64dec (plus Tyk's raw
// variants), TykTriggerEvent. Everything Node-like is absent by construction: a fresh V8 context
// has no require/process, and nothing here adds them.
import type { GuestLogLevel } from '../../src/protocol/isolate';
import { sendEvent, sendLog } from '../host';
import { define } from './define';
import { decodeBase64, encodeBase64 } from '../text/base64';
import { decodeUtf8, encodeUtf8 } from '../text/utf8';

function bytesOf(input: unknown): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  return encodeUtf8(input === undefined || input === null ? '' : String(input));
}

function decode(text: unknown, as: unknown): string | Uint8Array | undefined {
  const bytes = decodeBase64(String(text ?? ''));
  if (bytes === undefined) return undefined;
  return as === 'bytes' ? bytes : decodeUtf8(bytes);
}

function consoleMethod(level: GuestLogLevel) {
  return (...args: unknown[]): void => sendLog(level, args);
}

export function installGlobals(): void {
  // Atomics.waitAsync with a timeout aborts the whole Node process under isolated-vm 5.0.4
  // ("terminate called without an active exception", test/isolate-batching.test.ts), and
  // nothing a hook does needs it.
  delete (Atomics as { waitAsync?: unknown }).waitAsync;
  define('log', (message: unknown) => sendLog('info', [message]));
  define('console', {
    log: consoleMethod('info'),
    info: consoleMethod('info'),
    warn: consoleMethod('warn'),
    error: consoleMethod('error'),
    debug: consoleMethod('debug'),
    trace: consoleMethod('debug'),
  });
  define('b64enc', (input: unknown) => encodeBase64(bytesOf(input)));
  define('b64dec', (text: unknown, as?: unknown) => decode(text, as));
  define('rawb64enc', (input: unknown) => encodeBase64(bytesOf(input), false));
  define('rawb64dec', (text: unknown, as?: unknown) => decode(text, as));
  define('TykTriggerEvent', (name: unknown, payload?: unknown) => sendEvent(name, payload));
}
