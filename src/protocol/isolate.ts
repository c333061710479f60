// The private contract between the host driver and the sandbox runtime (sandbox/). Both sides
// import this file: the host through tsc, the runtime through the esbuild bundle. It must stay
// free of Node APIs.

/** Globals the host sets before the runtime script runs; the runtime captures and deletes them. */
export const BOOT_GLOBALS = {
  /** `BootConfig`, copied in. */
  config: '__isogateBootConfig',
  /** ivm Callback `(level: GuestLogLevel, message: string) => void`, ignored result. */
  log: '__isogateHostLog',
  /** ivm Callback `(name: string, payload: string) => void`, ignored result. */
  emit: '__isogateHostEmit',
  /**
   * ivm Reference `(name: string, args: unknown[]) => Promise<unknown>`, present only when the
   * isolate has host functions (options.hostFunctions). The guest calls it with
   * `applySyncPromise`, which blocks the guest, not the host; see host-calls.ts.
   */
  call: '__isogateHostCall',
  /**
   * ivm Callback `() => void`, ignored result. The guest calls it when a parked call (see
   * `BatchReport`) settles outside any entry, so the host runs an entry to collect the result.
   */
  wake: '__isogateHostWake',
  /**
   * SharedArrayBuffer of OUTPUT_METER.length float64s, shared by the host and every isolate of
   * one API: the guest's output token buckets and its sent/dropped counters. The host reads the
   * counters without entering the isolate (/tyk/stats, the drop summary line).
   */
  meter: '__isogateOutputMeter',
  /**
   * SharedArrayBuffer of one Uint32: the host's clock in milliseconds (mod 2^32), stored every
   * OUTPUT_CLOCK_MS by the host. The budgets read it instead of Date.now(), which costs ≈ 300 ns
   * in an isolate on a VM whose clock is a system call: that would be the whole price of a
   * dropped line.
   */
  clock: '__isogateClock',
  /**
   * ivm Callback `(delayMs: number) => void`, ignored result: enter this isolate again after
   * `delayMs`, when its earliest timer is due (sandbox/globals/web/timers.ts).
   */
  timer: '__isogateHostTimer',
} as const;

/** How often the host advances the output clock (BOOT_GLOBALS.clock). */
export const OUTPUT_CLOCK_MS = 5;

/** Float64 slots of the output meter (BOOT_GLOBALS.meter). */
export const OUTPUT_METER = {
  logTokens: 0,
  logRefilledAt: 1,
  eventTokens: 2,
  eventRefilledAt: 3,
  logsSent: 4,
  logsDropped: 5,
  eventsSent: 6,
  eventsDropped: 7,
  /** 1 once the buckets were filled (by the first isolate of the API). */
  initialised: 8,
  length: 9,
} as const;

/**
 * Global the runtime leaves behind: an object of entry functions. The host takes a Reference to
 * each and deletes the global before any user code runs, so middleware can neither call nor
 * replace them.
 */
export const ENTRIES_GLOBAL = '__isogateEntries';

export interface BootConfig {
  /** Name of the hook adapter that runs hooks (`coprocess` for the isolate driver). */
  adapter: string;
  /**
   * A batch starts its calls only during this many ms after the entry began; later ones go
   * back to the host untouched. With the entry's ivm timeout at hook_timeout_ms plus this
   * window, every call that starts has its whole hook_timeout_ms (isolate-slot.ts).
   */
  startWindowMs: number;
  /**
   * WebAssembly: absent means the runtime deletes the `WebAssembly` global before any user code
   * runs. A number is the byte budget all of the isolate's Wasm memories share (their maximum
   * sizes are reserved against it; see sandbox/globals/wasm.ts).
   */
  wasmBudgetBytes?: number;
  /** Log lines (`log`, `console.*`, JSVM `log`/`rawlog`) per second that reach the host; more are counted and dropped. */
  logLinesPerS: number;
  /** `TykTriggerEvent` calls per second that reach the host; more are counted and dropped. */
  eventsPerS: number;
  /** Budget of one hook call: its timers never fire later than this after it began. */
  hookTimeoutMs?: number;
}

/** `raw`: Tyk's JSVM `rawlog`, the text written as it is on a line of its own (no JSON record). */
export type GuestLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'raw';

/** Why a call failed inside the guest (the guest's share of DispatchFailure). */
export type GuestFailureReason = 'exception' | 'bad_result' | 'memory';

/**
 * What an entry returns instead of throwing: user errors are data, so anything the host sees
 * thrown is an engine condition (timeout, disposal, transfer failure).
 */
export interface GuestFailure {
  failure: GuestFailureReason;
  message: string;
  stack?: string;
}

/** What a batch item is: the first byte of its header. */
export const CALL_KIND = {
  /** A coprocess `Object` (protobuf bytes) for the hook it names; answers with `Object` bytes. */
  dispatch: 1,
  /** Tyk's DispatchEvent payload JSON (UTF-8); answers with nothing. */
  event: 2,
} as const;
export type CallKind = (typeof CALL_KIND)[keyof typeof CALL_KIND];

/**
 * A batch, host to guest: one ArrayBuffer, little-endian: `u32 count`, then per call
 * `u8 kind, u32 length`, then the payloads back to back. Call ids are implicit: call i of a
 * batch entered with `firstId` has id `firstId + i`.
 */
export const BATCH_COUNT_BYTES = 4;
export const BATCH_ITEM_HEADER_BYTES = 5;

/**
 * What an entry answers: one Uint8Array (a single copy out of the isolate), little-endian:
 * - f64 `started`: how many calls of this batch began; the rest never ran and go back to the host.
 * - f64 `current`: the id of the call the runtime was running or awaiting (-1 for none); after
 *   an interrupted entry, the call that was interrupted.
 * - f64 `n`, then n × (f64 id, f64 code), one pair per call finished since the previous report,
 *   in finishing order, and after them the payloads back to back: `code >= 0` is a result of
 *   that many bytes (an `Object`; 0 bytes for an event); `code < 0` a failure, -code bytes of
 *   GuestFailure JSON.
 * A call that began and has not finished is *parked*: it awaits a promise nothing in this entry
 * settled. Later calls run meanwhile; its result comes with a later report.
 */
export type BatchReport = Uint8Array;
export const REPORT_STARTED = 0;
export const REPORT_CURRENT = 8;
export const REPORT_COUNT = 16;
export const REPORT_PAIRS = 24;
export const REPORT_PAIR_BYTES = 16;

/** A middleware file handed to a runtime that compiles middleware itself (Lua). */
export interface GuestSource {
  filename: string;
  code: string;
}

/** Why a middleware file compiled by the guest did not load (the first problem found). */
export interface GuestSourceFailure {
  filename: string;
  phase: 'compile' | 'run';
  /** The language's own message, without the file and line prefix. */
  message: string;
  line?: number;
  /** The language's traceback, for problems while running top-level code. */
  traceback?: string;
}

export interface GuestEntries {
  /**
   * Run a batch (see BATCH_COUNT_BYTES) in order. When a call is still pending as the entry
   * returns, the answer is an object whose `report` is a getter: ivm copies the result only after
   * the call's microtasks have run, so the report includes every call this entry could finish,
   * async hooks that settled meanwhile included. Otherwise the report itself.
   */
  run(batch: ArrayBuffer, firstId: number): BatchReport | { readonly report: BatchReport };
  /** The report of an entry that was interrupted (ivm timeout) before it could answer. */
  collect(): BatchReport;
  /** Record an ES-module namespace so its exports can be hooks. */
  registerModule(namespace: object): void;
  /** For each name, why it cannot serve as a hook, or '' when it can. */
  checkHooks(names: string[]): string[];
  /**
   * Only in runtimes that compile middleware themselves (Lua): compile every file, then run them
   * in order. The JS runtime has none: V8 compiles JS files on the host's behalf
   * (src/coprocess/drivers/isolate/middleware-loader.ts).
   */
  loadSources?(sources: GuestSource[]): GuestSourceFailure | undefined;
  /**
   * Only in runtimes whose V8 code cache is made by running them once on the host
   * (src/coprocess/drivers/isolate/runtime-script.ts): runs the runtime's own paths on built-in
   * sample input, so that the functions they use are compiled into the cache.
   */
  warmUp?(): void;
}

