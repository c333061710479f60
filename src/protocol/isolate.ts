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
   * WebAssembly: absent means the runtime deletes the `WebAssembly` global before any user code
   * runs. A number is the byte budget all of the isolate's Wasm memories share (their maximum
   * sizes are reserved against it; see sandbox/globals/wasm.ts).
   */
  wasmBudgetBytes?: number;
  /** Log lines (`log`, `console.*`, JSVM `log`/`rawlog`) per second that reach the host; more are counted and dropped. */
  logLinesPerS: number;
  /** `TykTriggerEvent` calls per second that reach the host; more are counted and dropped. */
  eventsPerS: number;
}

export type GuestLogLevel = 'debug' | 'info' | 'warn' | 'error';

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

export interface GuestEntries {
  /** Coprocess `Object` bytes in (Uint8Array, or an ArrayBuffer when transferred), bytes out. */
  dispatch(bytes: Uint8Array | ArrayBuffer): Uint8Array | GuestFailure | Promise<Uint8Array | GuestFailure>;
  /** Tyk's DispatchEvent payload JSON. */
  event(payload: string): undefined | GuestFailure | Promise<undefined | GuestFailure>;
  /** Record an ES-module namespace so its exports can be hooks. */
  registerModule(namespace: object): void;
  /** For each name, why it cannot serve as a hook, or '' when it can. */
  checkHooks(names: string[]): string[];
}

