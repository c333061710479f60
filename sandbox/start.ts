// Bring-up shared by every sandbox runtime bundle (the JS one, sandbox/index.ts, and the Lua one,
// sandbox/lua/index.ts): install the globals and the Wasm policy, pick the adapter the host asked
// for and leave the entry functions for the host to take. Each bundle imports its adapters before
// calling this.
import { ENTRIES_GLOBAL } from '../src/protocol/isolate';
import { getHookAdapter } from './adapters/registry';
import type { HookAdapterContext } from './adapters/types';
import { createEntries } from './entries';
import { installGlobals } from './globals/install';
import { installWasmPolicy } from './globals/wasm';
import { boot } from './host';
import { lookup, registerModule, resolveFunction } from './hooks/lookup';

export function startRuntime(): void {
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
}
