import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import ivm from 'isolated-vm';
import { logger } from '../../../log/logger';
import { BOOT_GLOBALS, type BootConfig, ENTRIES_GLOBAL } from '../../../protocol/isolate';

/** A sandbox runtime bundle (scripts/build.mjs writes each into dist/sandbox/). */
export interface SandboxRuntime {
  /** File name in dist/sandbox. */
  readonly file: string;
  /**
   * Make the V8 code cache by running the bundle once on the host, in a bare node:vm context
   * (in a worker thread) booted with this adapter, and calling its `warmUp` entry. A cache made
   * at compile time holds only the top-level code; a runtime that is mostly lazily compiled
   * functions (the Lua VM) would compile them again in every isolate: measured 160–380 ms against
   * 60–70 ms per Lua isolate on a loaded 2-core machine. Only isogate's own bundle runs there,
   * never middleware.
   */
  readonly warmCache?: { readonly adapter: string };
}

/** The JS runtime (sandbox/index.ts): the isolate and JSVM drivers' adapters. */
export const JS_RUNTIME: SandboxRuntime = { file: 'runtime.js' };

// dist/src/coprocess/drivers/isolate → dist/sandbox/ (scripts/build.mjs writes it).
const RUNTIME_DIR = join(__dirname, '..', '..', '..', '..', 'sandbox');

interface Loaded {
  source?: Promise<string>;
  /** V8 code cache, produced once and reused by every isolate of this runtime. */
  cachedData?: ivm.ExternalCopy<ArrayBuffer>;
  /** The host-side warm-up (runtimes with warmCache); after it, as without: the first isolate produces the cache. */
  warming?: Promise<void>;
}

const loaded = new Map<string, Loaded>();

function state(runtime: SandboxRuntime): Loaded {
  let entry = loaded.get(runtime.file);
  if (!entry) loaded.set(runtime.file, (entry = {}));
  return entry;
}

function filenameOf(runtime: SandboxRuntime): string {
  return `isogate:${runtime.file}`;
}

function runtimeSource(runtime: SandboxRuntime): Promise<string> {
  const entry = state(runtime);
  const path = join(RUNTIME_DIR, runtime.file);
  entry.source ??= readFile(path, 'utf8').catch((err: unknown) => {
    entry.source = undefined;
    throw new Error(`cannot read the sandbox runtime ${path} (run the build): ${(err as Error).message}`);
  });
  return entry.source;
}

// Runs in a worker thread: the bundle in a bare node:vm context, its warm-up entry, then V8's
// cache of everything that was compiled, sent back as a transferred ArrayBuffer.
const WARM_WORKER = `
const vm = require('node:vm');
const { parentPort, workerData } = require('node:worker_threads');
const { code, filename, bootName, boot, entriesName } = workerData;
const script = new vm.Script(code, { filename });
const sandbox = { [bootName]: boot };
script.runInContext(vm.createContext(sandbox), { timeout: 30000 });
const entries = sandbox[entriesName];
if (entries && typeof entries.warmUp === 'function') entries.warmUp();
const data = script.createCachedData();
const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
parentPort.postMessage(buffer, [buffer]);
`;

const WARM_TIMEOUT_MS = 60_000;

/**
 * Make the runtime's code cache in a worker thread (tens of ms of compiling and running that must
 * not block the event loop), once per process and runtime. V8 checks the cache against the
 * source when an isolate consumes it; a rejected cache is dropped (compileRuntime).
 */
function warmCodeCache(runtime: SandboxRuntime, code: string, adapter: string): Promise<ivm.ExternalCopy<ArrayBuffer> | undefined> {
  // The gateway's defaults: nothing here reaches a host logger anyway.
  const boot: BootConfig = { adapter, startWindowMs: 10, logLinesPerS: 1000, eventsPerS: 10000 };
  const workerData = { code, filename: filenameOf(runtime), bootName: BOOT_GLOBALS.config, boot, entriesName: ENTRIES_GLOBAL };
  return new Promise<ArrayBuffer>((resolve, reject) => {
    const worker = new Worker(WARM_WORKER, { eval: true, workerData, resourceLimits: { maxOldGenerationSizeMb: 256 } });
    const timer = setTimeout(() => {
      reject(new Error(`no result within ${WARM_TIMEOUT_MS} ms`));
      void worker.terminate();
    }, WARM_TIMEOUT_MS);
    worker.once('message', (buffer: ArrayBuffer) => {
      clearTimeout(timer);
      resolve(buffer);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited with code ${code}`));
    });
  }).then(
    (buffer) => new ivm.ExternalCopy(buffer),
    (err: unknown) => {
      logger.warn({ err, runtime: runtime.file }, 'could not warm the sandbox runtime code cache; isolates compile it themselves');
      return undefined;
    },
  );
}

/**
 * Compile a runtime bundle in `isolate`. Scripts are bound to their isolate, but the code cache
 * is portable: it is produced once (by the first isolate, or by the host-side warm-up) and every
 * later isolate consumes it.
 */
export async function compileRuntime(isolate: ivm.Isolate, runtime: SandboxRuntime = JS_RUNTIME): Promise<ivm.Script> {
  const code = await runtimeSource(runtime);
  const entry = state(runtime);
  if (runtime.warmCache) {
    entry.warming ??= warmCodeCache(runtime, code, runtime.warmCache.adapter).then((data) => {
      if (data) entry.cachedData ??= data;
    });
    await entry.warming;
  }
  const used = entry.cachedData;
  const filename = filenameOf(runtime);
  const script = (await isolate.compileScript(
    code,
    used ? { filename, cachedData: used } : { filename, produceCachedData: true },
  )) as ivm.Script & ivm.CachedDataResult & { cachedDataRejected?: boolean };
  if (!used && script.cachedData) entry.cachedData ??= script.cachedData;
  // Rejected data (V8 flags changed) is dropped so that the next isolate produces fresh data.
  if (used && script.cachedDataRejected && entry.cachedData === used) entry.cachedData = undefined;
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
