import ivm from 'isolated-vm';
import { entryTag, type RecordSlot, recordSlot } from '../../../containment/entry-record';
import { middlewareFingerprint } from '../../../containment/fingerprint';
import { createIsolate, releaseIsolate } from './live-isolates';
import { writeRawLine } from '../../../log/raw-line';
import { BOOT_GLOBALS, ENTRIES_GLOBAL, type BatchReport, type BootConfig, type GuestEntries, type GuestLogLevel } from '../../../protocol/isolate';
import { startWindowMs, withDeadline } from './deadline';
import { HostCalls } from './host-calls';
import { loadGuestSources } from './guest-sources';
import { MiddlewareLoader } from './middleware-loader';
import type { ResolvedOptions } from './options';
import { outputClock } from './output-meter';
import { compileRuntime } from './runtime-script';
import { GuestTimerWake } from './guest-timer';
import { createWebHost, type WebHost } from './web';

type EntryRef<K extends keyof GuestEntries> = ivm.Reference<GuestEntries[K]>;

const LOG_LEVELS: ReadonlySet<string> = new Set<GuestLogLevel>(['debug', 'info', 'warn', 'error']);

export interface HeapSample {
  usedHeapBytes: number;
  totalHeapBytes: number;
  externalBytes: number;
  limitBytes: number;
  sampledAt: number;
}

/** Receives the guest's wake-ups; the dispatcher points it at itself while the slot is live. */
export interface WakeSink {
  wake: () => void;
}

const NO_WAKE = (): void => {};

/**
 * Where the host's callbacks for one isolate go. Fresh objects per isolate; the callbacks
 * capture only them, never the slot, and dispose() unhooks the wake sink, so a disposed isolate
 * holds nothing of the dispatcher.
 */
function hostBindings(options: ResolvedOptions, sink: WakeSink, timers: GuestTimerWake): { log: ivm.Callback; emit: ivm.Callback; wake: ivm.Callback; timer: ivm.Callback } {
  const { logger, onEvent } = options;
  const log = (level: unknown, message: unknown): void => {
    if (level === 'raw') return writeRawLine(String(message));
    const lvl = typeof level === 'string' && LOG_LEVELS.has(level) ? (level as Exclude<GuestLogLevel, 'raw'>) : 'info';
    logger[lvl]({ source: 'middleware' }, String(message));
  };
  const emit = (name: unknown, payload: unknown): void => {
    if (!onEvent) return;
    try {
      onEvent(String(name), String(payload));
    } catch (err) {
      logger.error({ err }, 'TykTriggerEvent handler failed');
    }
  };
  const wake = (): void => sink.wake();
  // `ignored`: the guest does not wait for the host (≈8 µs instead of ≈35 µs per call, notes §0).
  return {
    log: new ivm.Callback(log, { ignored: true }),
    emit: new ivm.Callback(emit, { ignored: true }),
    wake: new ivm.Callback(wake, { ignored: true }),
    timer: new ivm.Callback((delayMs: unknown) => timers.request(delayMs), { ignored: true }),
  };
}

function bootConfig(options: ResolvedOptions): BootConfig {
  const boot: BootConfig = { adapter: options.mode, startWindowMs: startWindowMs(options.hookTimeoutMs), logLinesPerS: options.logLinesPerS, eventsPerS: options.eventsPerS, hookTimeoutMs: options.hookTimeoutMs };
  // Wasm memory is not counted by ivm's memoryLimit, so the sandbox budgets it (sandbox/globals/wasm.ts).
  if (options.allowWasm) boot.wasmBudgetBytes = options.memoryLimitMb * 1024 * 1024;
  return boot;
}

function onCatastrophicError(options: ResolvedOptions, entry: RecordSlot) {
  return (message: string): void => {
    // V8 has lost control of this isolate (e.g. a single huge allocation). Nothing in this
    // process can be trusted any more; the supervisor restarts the worker (README: process model)
    // and quarantines the API named here (src/containment/entry-record.ts).
    entry.culprit(message);
    options.logger.fatal({ message }, 'isolated-vm catastrophic error: aborting the worker');
    options.logger.flush?.();
    process.abort();
  };
}

type HostEntries = { [K in 'run' | 'collect' | 'checkHooks']: EntryRef<K> };

/**
 * One live isolate of an API: the runtime plus the API's middleware in one context, and the
 * References the host calls. Created with async APIs only (never blocks the event loop for
 * long). At most one entry runs at a time: the dispatcher's drain loop guarantees it.
 */
export class IsolateSlot {
  private disposedByUs = false;
  private cpuAtDispose = 0n;
  heap: HeapSample | undefined;

  private constructor(
    private readonly isolate: ivm.Isolate,
    private readonly context: ivm.Context,
    private readonly entries: HostEntries,
    /** Which isolate of its API this is (1 = the first built). */
    readonly serial: number,
    private readonly hostCalls: HostCalls | undefined,
    private readonly wakeSink: WakeSink,
    /** This isolate's slot in the worker's entry record: written before every entry. */
    private readonly entry: RecordSlot,
    private readonly timers: GuestTimerWake,
    /** The host half of the web globals (CryptoKeys), for isolates of the `coprocess` runtime. */
    private readonly web: WebHost | undefined,
  ) {}

  static async create(options: ResolvedOptions, serial: number): Promise<IsolateSlot> {
    const entry = recordSlot(entryTag(options.apiId, middlewareFingerprint(options.sources)));
    const isolate = createIsolate({ memoryLimit: options.memoryLimitMb, onCatastrophicError: onCatastrophicError(options, entry) });
    entry.enter('start');
    const refs: ivm.Reference[] = [];
    let context: ivm.Context | undefined;
    // The web platform (URL, crypto, timers) is the isolate driver's; JSVM plugins get what Tyk's
    // engines have (README), so their isolates carry none of its host state.
    const web = options.mode === 'coprocess' ? createWebHost() : undefined;
    const functions = { ...web?.functions, ...options.hostFunctions };
    const hostCalls = Object.keys(functions).length > 0 ? new HostCalls(functions) : undefined;
    const wakeSink: WakeSink = { wake: NO_WAKE };
    const timers = new GuestTimerWake(() => wakeSink.wake());
    try {
      context = await isolate.createContext();
      const global = context.global;
      const bindings = hostBindings(options, wakeSink, timers);
      await global.set(BOOT_GLOBALS.config, bootConfig(options), { copy: true });
      // A SharedArrayBuffer copied into an isolate shares its memory with the host's.
      await global.set(BOOT_GLOBALS.meter, new ivm.ExternalCopy(options.outputMeter).copyInto({ release: true }));
      await global.set(BOOT_GLOBALS.clock, new ivm.ExternalCopy(outputClock()).copyInto({ release: true }));
      await global.set(BOOT_GLOBALS.log, bindings.log);
      await global.set(BOOT_GLOBALS.emit, bindings.emit);
      await global.set(BOOT_GLOBALS.wake, bindings.wake);
      await global.set(BOOT_GLOBALS.timer, bindings.timer);
      if (hostCalls) await global.set(BOOT_GLOBALS.call, hostCalls.reference);

      const runtime = await compileRuntime(isolate, options.runtime);
      try {
        await withDeadline(runtime.run(context, { timeout: options.startupTimeoutMs }), options.startupTimeoutMs, 'runtime start');
      } finally {
        runtime.release();
      }

      const entriesRef: ivm.Reference<GuestEntries> = await global.get(ENTRIES_GLOBAL, { reference: true });
      refs.push(entriesRef);
      const take = async <K extends keyof GuestEntries>(name: K): Promise<EntryRef<K>> => {
        const ref = (await entriesRef.get(name, { reference: true })) as EntryRef<K>;
        refs.push(ref);
        return ref;
      };
      const entries: HostEntries = { run: await take('run'), collect: await take('collect'), checkHooks: await take('checkHooks') };
      const registerModule = await take('registerModule');
      // Only a runtime for another language (Lua) compiles the middleware itself.
      const loadSources = await take('loadSources');
      await global.delete(ENTRIES_GLOBAL);
      // Until the dispatcher installs the slot, a wake-up (a timer set by top-level code, which
      // top-level code may await) enters the isolate with an empty batch: its due timers run at
      // the start of that entry (sandbox/globals/web/timers.ts), under the startup budget.
      wakeSink.wake = () => {
        const empty = new ivm.ExternalCopy(new ArrayBuffer(4)).copyInto({ release: true });
        entries.run.apply(undefined, [empty, 0], { timeout: options.startupTimeoutMs }).catch(() => undefined);
      };

      // Top-level middleware code may call the host too, within the startup budget.
      hostCalls?.begin(options.startupTimeoutMs);
      if (loadSources.typeof === 'function') await loadGuestSources(loadSources, options.sources, options.startupTimeoutMs, options.onTopLevel);
      else await new MiddlewareLoader(isolate, context, options.sources, registerModule, options.startupTimeoutMs, options.onTopLevel).loadAll();
      loadSources.release();
      registerModule.release();
      entriesRef.release();
      const slot = new IsolateSlot(isolate, context, entries, serial, hostCalls, wakeSink, entry, timers, web);
      await slot.sampleHeap();
      entry.leave();
      return slot;
    } catch (err) {
      entry.leave();
      entry.free();
      for (const ref of refs) ref.release();
      context?.release();
      hostCalls?.release();
      timers.dispose();
      web?.release();
      releaseIsolate(isolate);
      throw err;
    }
  }

  get disposed(): boolean {
    return this.disposedByUs || this.isolate.isDisposed;
  }

  /** Cumulative CPU time of this isolate in ms (cheap: an atomic read). */
  get cpuTimeMs(): number {
    const ns = this.disposed ? this.cpuAtDispose : this.isolate.cpuTime;
    return Number(ns / 1000n) / 1000;
  }

  /** Called when the guest has results that settled outside an entry (sandbox/batch.ts). */
  set onWake(wake: () => void) {
    if (!this.disposedByUs) this.wakeSink.wake = wake;
  }

  /**
   * Enter the isolate with one batch (src/protocol/isolate.ts GuestEntries.run): the one path by
   * which hook and event calls reach the guest, one entry at a time (the dispatcher's drain
   * loop). `batch` comes from packBatch and is owned by nobody else: it is transferred in, not
   * copied, and is detached afterwards (transfer measured 10–40 % faster than
   * `{arguments: {copy: true}}`; a pooled Node Buffer is never transferred: detaching it would
   * detach every other Buffer sharing its pool).
   */
  enter(batch: ArrayBuffer, firstId: number, timeoutMs: number): Promise<BatchReport | { report: BatchReport }> {
    this.hostCalls?.begin(timeoutMs);
    const input = new ivm.ExternalCopy(batch, { transferOut: true }).copyInto({ release: true, transferIn: true });
    const call = this.entry.around(() => this.entries.run.apply(undefined, [input, firstId], { result: { copy: true }, timeout: timeoutMs })) as Promise<BatchReport | { report: BatchReport }>;
    return withDeadline(call, timeoutMs, 'hook batch');
  }

  /** After an entry was interrupted by its timeout: what it had finished (the isolate stays usable). */
  collect(timeoutMs: number): Promise<BatchReport> {
    this.hostCalls?.begin(timeoutMs);
    const call = this.entry.around(() => this.entries.collect.apply(undefined, [], { result: { copy: true }, timeout: timeoutMs })) as Promise<BatchReport>;
    return withDeadline(call, timeoutMs, 'batch collection');
  }

  checkHooks(names: readonly string[], timeoutMs: number): Promise<string[]> {
    this.hostCalls?.begin(timeoutMs);
    return withDeadline(
      this.entry.around(() => this.entries.checkHooks.apply(undefined, [[...names]], { arguments: { copy: true }, result: { copy: true }, timeout: timeoutMs })),
      timeoutMs,
      'hook check',
    );
  }

  /** Refresh `heap` (async: a sync read would wait for a running call and block the event loop). */
  async sampleHeap(): Promise<void> {
    if (this.disposed) return;
    try {
      const h = await this.isolate.getHeapStatistics();
      this.heap = {
        usedHeapBytes: h.used_heap_size,
        totalHeapBytes: h.total_heap_size,
        externalBytes: h.externally_allocated_size,
        limitBytes: h.heap_size_limit,
        sampledAt: Date.now(),
      };
    } catch {
      // disposed meanwhile: nothing to sample
    }
  }

  /** Release every handle and the isolate. Calls still running fail with "disposed". Idempotent. */
  dispose(): void {
    if (this.disposedByUs) return;
    if (!this.isolate.isDisposed) {
      try {
        this.cpuAtDispose = this.isolate.cpuTime;
      } catch {
        // already gone
      }
    }
    this.disposedByUs = true;
    this.wakeSink.wake = NO_WAKE;
    for (const handle of [this.entries.run, this.entries.collect, this.entries.checkHooks, this.context]) {
      try {
        handle.release();
      } catch {
        // handles of an isolate that ivm already disposed (memory limit) are dead already
      }
    }
    this.hostCalls?.release();
    this.timers.dispose();
    this.web?.release();
    releaseIsolate(this.isolate);
    this.entry.free();
  }
}
