import { setFlagsFromString } from 'node:v8';
import ivm from 'isolated-vm';

// Contexts created from now on get a `gc()` global. The sandbox takes it away from user code at
// once and uses it only to reclaim the Wasm-memory budget of garbage memories
// (sandbox/globals/wasm.ts): V8 sees no memory pressure from memories the budget refused, so
// without it a plugin that instantiates per call would be refused until some unrelated GC.
setFlagsFromString('--expose-gc');

/**
 * Process-wide count of isolates created and not yet released, for /tyk/stats and the leak
 * test: after any number of uploads and reloads it must return to the number of live APIs.
 */
let live = 0;
let created = 0;
const released = new WeakSet<ivm.Isolate>();

export function createIsolate(options: ivm.IsolateOptions): ivm.Isolate {
  const isolate = new ivm.Isolate(options);
  live++;
  created++;
  return isolate;
}

/** Dispose (if ivm has not already, e.g. after a memory-limit kill) and count it once. */
export function releaseIsolate(isolate: ivm.Isolate): void {
  if (!isolate.isDisposed) isolate.dispose();
  if (released.has(isolate)) return;
  released.add(isolate);
  live--;
}

export function isolateCounts(): { live: number; created: number } {
  return { live, created };
}
