import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ivm from 'isolated-vm';

// dist/src/coprocess/drivers/isolate → dist/sandbox/runtime.js (scripts/build.mjs writes it).
export const RUNTIME_PATH = join(__dirname, '..', '..', '..', '..', 'sandbox', 'runtime.js');
const RUNTIME_FILENAME = 'isogate:runtime.js';

let source: Promise<string> | undefined;
/** V8 code cache for the runtime, produced by the first isolate and reused by every other one. */
let cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;

function runtimeSource(): Promise<string> {
  source ??= readFile(RUNTIME_PATH, 'utf8').catch((err: unknown) => {
    source = undefined;
    throw new Error(`cannot read the sandbox runtime ${RUNTIME_PATH} (run the build): ${(err as Error).message}`);
  });
  return source;
}

/**
 * Compile the runtime bundle in `isolate`. Scripts are bound to their isolate, but the code
 * cache is portable: the first isolate produces it, every later one consumes it.
 */
export async function compileRuntime(isolate: ivm.Isolate): Promise<ivm.Script> {
  const code = await runtimeSource();
  const used = cachedData;
  const script = (await isolate.compileScript(
    code,
    used ? { filename: RUNTIME_FILENAME, cachedData: used } : { filename: RUNTIME_FILENAME, produceCachedData: true },
  )) as ivm.Script & ivm.CachedDataResult & { cachedDataRejected?: boolean };
  if (!used && script.cachedData) cachedData ??= script.cachedData;
  // Rejected data (V8 flags changed) is dropped so that the next isolate produces fresh data.
  if (used && script.cachedDataRejected && cachedData === used) cachedData = undefined;
  return script;
}

/**
 * Pay a process's first-isolate costs ahead of time (a standby worker does this while it waits,
 * src/cli/worker.ts): isolated-vm's start-up, reading the runtime, producing its code cache.
 * The scratch isolate is not counted among the live ones.
 */
export async function warmIsolateEngine(): Promise<void> {
  const isolate = new ivm.Isolate({ memoryLimit: 16 });
  try {
    const context = await isolate.createContext();
    (await compileRuntime(isolate)).release();
    context.release();
  } finally {
    isolate.dispose();
  }
}
