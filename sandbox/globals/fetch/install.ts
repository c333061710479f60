// `fetch`, `Headers`, `Request`, `Response` and `PermissionDenied` for the isolate driver's
// isolates (installed by its adapter, sandbox/adapters/coprocess.ts: Tyk JSVM plugins have
// Tyk's natives instead).
import { isogateFetch, PermissionDenied } from './fetch';
import { IsogateHeaders } from './headers';
import { IsogateRequest } from './request';
import { IsogateResponse } from './response';

function define(name: string, value: unknown): void {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

const named = (cls: { prototype: object }, name: string) => Object.defineProperty(cls, 'name', { value: name });

export function installFetch(): void {
  define('Headers', named(IsogateHeaders, 'Headers'));
  define('Request', named(IsogateRequest, 'Request'));
  define('Response', named(IsogateResponse, 'Response'));
  define('PermissionDenied', PermissionDenied);
  define('fetch', (input: string | IsogateRequest, init?: object) => isogateFetch(input, init));
}
