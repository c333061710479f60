// The web platform in an API's isolate (driver `isolate`): URL, URLSearchParams, atob/btoa,
// structuredClone, queueMicrotask, performance, crypto, DOMException and timers. TextEncoder and
// TextDecoder come earlier (sandbox/text/text-codec.ts: protobufjs needs them while loading).
// Tyk JSVM plugins (otto/goja) and Lua get none of this: their engines have none of it.
import { define } from '../define';
import { atob, btoa } from './base64';
import { IsogateDOMException } from './dom-exception';
import { getRandomValues, randomUUID } from './random';
import { performance, queueMicrotask } from './scheduling';
import { structuredClone } from './structured-clone';
import { IsogateCryptoKey, IsogateSubtleCrypto, subtle } from './subtle';
import { clearInterval, clearTimeout, setInterval, setTimeout } from './timers';
import { IsogateURL, IsogateURLSearchParams } from './url';

export function installWebGlobals(): void {
  define('URL', IsogateURL);
  define('URLSearchParams', IsogateURLSearchParams);
  define('atob', atob);
  define('btoa', btoa);
  define('structuredClone', structuredClone);
  define('queueMicrotask', queueMicrotask);
  define('performance', performance);
  define('DOMException', IsogateDOMException);
  define('CryptoKey', IsogateCryptoKey);
  define('SubtleCrypto', IsogateSubtleCrypto);
  define('crypto', Object.freeze({ subtle, getRandomValues, randomUUID }));
  define('setTimeout', setTimeout);
  define('clearTimeout', clearTimeout);
  define('setInterval', setInterval);
  define('clearInterval', clearInterval);
}
