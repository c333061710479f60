import type { Logger } from '../../../log/logger';
import type { HostFunctions } from './host-calls';
import { outputMeter } from './output-meter';
import { JS_RUNTIME, type SandboxRuntime } from './runtime-script';
import { numericOption } from '../../../util/numbers';

/** One middleware file of an API, loaded into the API's isolate in list order. */
export interface IsolateSource {
  /** Shown in stack traces and error messages; `.mjs` (or import/export syntax) makes it an ES module. */
  filename: string;
  code: string;
}

export interface IsolateDispatcherOptions {
  apiId: string;
  orgId?: string;
  /** Every middleware file of the API, in load order; all share one isolate and one context. */
  sources: readonly IsolateSource[];
  /** Names the API's custom_middleware refers to; `validate` checks each resolves to a hook. */
  hookNames?: readonly string[];
  /** V8 heap limit of the API's isolate (ivm minimum 8), also its WebAssembly memory budget. Default 128. */
  memoryLimitMb?: number;
  /** WebAssembly inside the isolate (`allow_wasm`). Default false: no `WebAssembly` global. */
  allowWasm?: boolean;
  /** Log lines per second that leave the isolate; beyond it they are counted and dropped. Default 1000. */
  logLinesPerS?: number;
  /** `TykTriggerEvent` calls per second that leave the isolate; beyond it counted and dropped. Default 10000. */
  eventsPerS?: number;
  /** Budget of one hook or event call. Default 1000. */
  hookTimeoutMs?: number;
  /** Budget for running the runtime and the middleware's top-level code. Default max(2000, hookTimeoutMs). */
  startupTimeoutMs?: number;
  /**
   * Calling convention inside the isolate: a hook adapter registered in sandbox/adapters
   * (`coprocess` for the isolate driver; the Tyk JSVM layer registers `jsvm`). Default `coprocess`.
   */
  mode?: string;
  /** The Dispatcher's `driver` name. Default `isolate` for mode `coprocess`, else the mode. */
  driver?: string;
  /**
   * The sandbox runtime bundle the isolate loads: the JS one by default; the Lua driver's own
   * (drivers/lua/plugin.ts), so that APIs without Lua never load the Lua VM.
   */
  runtime?: SandboxRuntime;
  /** The gateway's version number of this API, reported in stats(). */
  generation?: number;
  /** `TykTriggerEvent(name, payload)` from middleware. Must not throw (errors are logged). */
  onEvent?: (name: string, payload: string) => void;
  /** Told the size of every entry's batch (metrics). Must not throw. */
  onBatch?: (calls: number) => void;
  /**
   * Functions the guest may call synchronously by name (sandbox/host.ts `callHost`), e.g. the
   * Tyk JSVM globals that reach the network or the session store. None by default: an isolate
   * without them has no path to the host beyond logging and events.
   */
  hostFunctions?: HostFunctions;
  /** Called before each middleware file's top-level code runs (the validation child reports progress with it). */
  onTopLevel?: (filename: string) => void;
  /** Logger for console/log output and engine events; the process logger tagged with api_id if absent. */
  logger?: Logger;
  /** Calls waiting beyond this many are refused (`unavailable`). Default 10000. */
  maxQueueLength?: number;
  /** How long dispose() lets queued and in-flight calls finish. Default 5000. */
  disposeGraceMs?: number;
  /** After a failed isolate bring-up, calls fail fast for this long before a retry. Default 1000. */
  rebuildBackoffMs?: number;
}

export interface ResolvedOptions {
  apiId: string;
  orgId: string;
  sources: readonly IsolateSource[];
  hookNames: readonly string[];
  memoryLimitMb: number;
  allowWasm: boolean;
  logLinesPerS: number;
  eventsPerS: number;
  /** The API's output meter (output-meter.ts), shared by all its isolates. */
  outputMeter: SharedArrayBuffer;
  hookTimeoutMs: number;
  startupTimeoutMs: number;
  mode: string;
  driver: string;
  runtime: SandboxRuntime;
  generation: number;
  onEvent?: (name: string, payload: string) => void;
  onBatch?: (calls: number) => void;
  hostFunctions?: HostFunctions;
  onTopLevel?: (filename: string) => void;
  logger: Logger;
  maxQueueLength: number;
  disposeGraceMs: number;
  rebuildBackoffMs: number;
}

export const MIN_MEMORY_LIMIT_MB = 8;
/** ivm can fail to interrupt within very short budgets and then declares the isolate lost (ivm #301). */
export const MIN_HOOK_TIMEOUT_MS = 10;

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  return numericOption('isolate option', name, value, fallback, { min: 0 });
}

function positive(name: string, value: number | undefined, fallback: number): number {
  return numericOption('isolate option', name, value, fallback, { min: 0, exclusive: true });
}

export function resolveOptions(options: IsolateDispatcherOptions, rootLogger: Logger): ResolvedOptions {
  if (!options.apiId) throw new TypeError('isolate option apiId is required');
  if (!Array.isArray(options.sources)) throw new TypeError('isolate option sources must be an array of {filename, code}');
  const memoryLimitMb = positive('memoryLimitMb', options.memoryLimitMb, 128);
  if (memoryLimitMb < MIN_MEMORY_LIMIT_MB) {
    throw new RangeError(`isolate option memoryLimitMb must be at least ${MIN_MEMORY_LIMIT_MB}, got ${memoryLimitMb}`);
  }
  const hookTimeoutMs = positive('hookTimeoutMs', options.hookTimeoutMs, 1000);
  if (hookTimeoutMs < MIN_HOOK_TIMEOUT_MS) {
    throw new RangeError(`isolate option hookTimeoutMs must be at least ${MIN_HOOK_TIMEOUT_MS}, got ${hookTimeoutMs}`);
  }
  const mode = options.mode ?? 'coprocess';
  return {
    apiId: options.apiId,
    orgId: options.orgId ?? '',
    sources: options.sources,
    hookNames: options.hookNames ?? [],
    memoryLimitMb,
    allowWasm: options.allowWasm === true,
    logLinesPerS: nonNegative('logLinesPerS', options.logLinesPerS, 1000),
    eventsPerS: nonNegative('eventsPerS', options.eventsPerS, 10_000),
    outputMeter: outputMeter(options.apiId),
    hookTimeoutMs,
    startupTimeoutMs: positive('startupTimeoutMs', options.startupTimeoutMs, Math.max(2000, hookTimeoutMs)),
    mode,
    driver: options.driver ?? (mode === 'coprocess' ? 'isolate' : mode),
    runtime: options.runtime ?? JS_RUNTIME,
    generation: options.generation ?? 0,
    onEvent: options.onEvent,
    onBatch: options.onBatch,
    hostFunctions: options.hostFunctions,
    onTopLevel: options.onTopLevel,
    logger: options.logger ?? rootLogger.child({ api_id: options.apiId, component: 'isolate' }),
    maxQueueLength: positive('maxQueueLength', options.maxQueueLength, 10_000),
    disposeGraceMs: positive('disposeGraceMs', options.disposeGraceMs, 5000),
    rebuildBackoffMs: options.rebuildBackoffMs === 0 ? 0 : positive('rebuildBackoffMs', options.rebuildBackoffMs, 1000),
  };
}
