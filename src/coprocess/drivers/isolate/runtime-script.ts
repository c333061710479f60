import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import vm from 'node:vm';
import ivm from 'isolated-vm';
import { logger } from '../../../log/logger';
import { BOOT_GLOBALS, type BootConfig, ENTRIES_GLOBAL, type GuestEntries } from '../../../protocol/isolate';

/** A sandbox runtime bundle (scripts/build.mjs writes each into dist/sandbox/). */
export interface SandboxRuntime {
  /** File name in dist/sandbox. */
  readonly file: string;
  /**
   * Make the V8 code cache by running the bundle once on the host, in a bare node:vm context
   * booted with this adapter, and calling its `warmUp` entry. A cache made at compile time holds
   * only the top-level code; a runtime that is mostly lazily compiled functions (the Lua VM)
   * would compile them again in every isolate. Only isogate's own bundle runs there, never
   * middleware.
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
  /** The host-side warm-up ran (or failed): from now on the first isolate produces the cache. */
  warmed?: boolean;
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

/**
 * Run the bundle in a throwaway node:vm context and take V8's cache of everything it compiled.
 * Synchronous (tens of ms), once per process and runtime. V8 checks the cache against the
 * source when an isolate consumes it, and a rejected cache is dropped (compileRuntime).
 */
function warmCodeCache(runtime: SandboxRuntime, code: string, adapter: string): ivm.ExternalCopy<ArrayBuffer> | undefined {
  try {
    const script = new vm.Script(code, { filename: filenameOf(runtime) });
    const boot: BootConfig = { adapter };
    const sandbox: Record<string, unknown> = { [BOOT_GLOBALS.config]: boot };
    const context = vm.createContext(sandbox);
    script.runInContext(context, { timeout: 10_000 });
    const entries = sandbox[ENTRIES_GLOBAL] as GuestEntries | undefined;
    entries?.warmUp?.();
    const data = script.createCachedData();
    return new ivm.ExternalCopy(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
  } catch (err) {
    logger.warn({ err, runtime: runtime.file }, 'could not warm the sandbox runtime code cache; isolates compile it themselves');
    return undefined;
  }
}

/**
 * Compile a runtime bundle in `isolate`. Scripts are bound to their isolate, but the code cache
 * is portable: it is produced once (by the first isolate, or by the host-side warm-up) and every
 * later isolate consumes it.
 */
export async function compileRuntime(isolate: ivm.Isolate, runtime: SandboxRuntime = JS_RUNTIME): Promise<ivm.Script> {
  const code = await runtimeSource(runtime);
  const entry = state(runtime);
  if (runtime.warmCache && !entry.warmed) {
    entry.warmed = true;
    entry.cachedData ??= warmCodeCache(runtime, code, runtime.warmCache.adapter);
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
