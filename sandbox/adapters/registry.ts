import type { HookAdapter } from './types';

const adapters = new Map<string, HookAdapter>();

/**
 * Make an adapter selectable by name. Adapter modules call this at import time; the runtime
 * bundle imports them from sandbox/index.ts.
 */
export function registerHookAdapter(name: string, adapter: HookAdapter): void {
  if (adapters.has(name)) throw new Error(`hook adapter "${name}" is already registered`);
  adapters.set(name, adapter);
}

export function getHookAdapter(name: string): HookAdapter {
  const adapter = adapters.get(name);
  if (!adapter) throw new Error(`unknown hook adapter "${name}" (registered: ${[...adapters.keys()].join(', ')})`);
  return adapter;
}
