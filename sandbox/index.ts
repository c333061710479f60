// The runtime every API isolate loads before the API's middleware (bundled by scripts/build.mjs
// into dist/sandbox/runtime.js). Order matters: text codecs exist before protobufjs loads, host
// bindings are taken off the global object before anything else can see them.
import './text/text-codec';
import './host';
import { ENTRIES_GLOBAL } from '../src/protocol/isolate';
import './adapters/coprocess';
import './jsvm';
import { getHookAdapter } from './adapters/registry';
import type { HookAdapterContext } from './adapters/types';
import { createEntries } from './entries';
import { installGlobals } from './globals/install';
import { installWasmPolicy } from './globals/wasm';
import { boot } from './host';
import { lookup, registerModule, resolveFunction } from './hooks/lookup';

// Adapters (coprocess, Tyk JSVM) are imported above so they share this bundle and its V8 code
// cache; each registers itself with registerHookAdapter().

installGlobals();
installWasmPolicy(boot.wasmBudgetBytes);

const context: HookAdapterContext = { lookup, resolveFunction };
const adapter = getHookAdapter(boot.adapter);
adapter.install?.(context);

Object.defineProperty(globalThis, ENTRIES_GLOBAL, {
  value: createEntries(adapter, context, registerModule, boot.startWindowMs),
  configurable: true,
  enumerable: false,
  writable: false,
});
