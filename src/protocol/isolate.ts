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

