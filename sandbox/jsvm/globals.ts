// The native globals of Tyk's JSVM. Tyk's functions coerce their arguments with String() (so
// `b64enc(undefined)` encodes "undefined") and answer `undefined` when something fails, logging
// why; these do the same. Network and key-store access are host functions (host-calls.ts): the
// script waits for the answer, the gateway does not.
import { JSVM_HOST_FUNCTIONS } from '../../src/protocol/jsvm';
import { callHost, sendLog } from '../host';
import { decodeBase64, encodeBase64 } from '../text/base64';
import { decodeUtf8, encodeUtf8 } from '../text/utf8';
import { createTykJS } from './core';

function define(name: string, value: unknown): void {
  // Writable and configurable like any script global: a plugin may shadow them deliberately.
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

function decode(name: string, input: unknown): string | undefined {
  const bytes = decodeBase64(String(input));
  if (bytes === undefined) {
    sendLog('error', [`${name}: failed to base64 decode`]);
    return undefined;
  }
  return decodeUtf8(bytes);
}

/** A JSON argument: Tyk takes text; an object is accepted too and encoded here. */
function jsonArgument(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
}

/** A host call whose failure is logged and answered with undefined, as Tyk's natives do. */
function hostOrUndefined(name: string, args: unknown[]): unknown {
  try {
    return callHost(name, args);
  } catch (error) {
    sendLog('error', [`${name}: ${error instanceof Error ? error.message : String(error)}`]);
    return undefined;
  }
}

export function installJsvmGlobals(): void {
  define('TykJS', createTykJS());
  define('log', (message: unknown) => sendLog('info', [message]));
  // Tyk writes rawlog's text unformatted: the host puts it on a line of its own (src/log/raw-line.ts).
  define('rawlog', (message: unknown) => sendLog('raw', [message]));
  define('b64enc', (input: unknown) => encodeBase64(encodeUtf8(String(input))));
  define('b64dec', (input: unknown) => decode('b64dec', input));
  define('rawb64enc', (input: unknown) => encodeBase64(encodeUtf8(String(input)), false));
  define('rawb64dec', (input: unknown) => decode('rawb64dec', input));
  define('TykMakeHttpRequest', (request: unknown) => {
    if (request === undefined) return undefined;
    return hostOrUndefined(JSVM_HOST_FUNCTIONS.httpRequest, [jsonArgument(request)]);
  });
  define('TykGetKeyData', (key: unknown, apiId: unknown) =>
    hostOrUndefined(JSVM_HOST_FUNCTIONS.getKeyData, [String(key), apiId === undefined || apiId === null ? '' : String(apiId)]),
  );
  define('TykSetKeyData', (key: unknown, session: unknown, suppressReset: unknown) => {
    hostOrUndefined(JSVM_HOST_FUNCTIONS.setKeyData, [String(key), jsonArgument(session), String(suppressReset)]);
    return undefined;
  });
  // Tyk's helper for virtual endpoints, kept so shared plugin files load unchanged.
  define('TykJsResponse', (response: unknown, sessionMeta: unknown) => JSON.stringify({ Response: response, SessionMeta: sessionMeta }));
}
