import { decodeObject } from '../../codec';
import { type CoprocessObject, DispatchError, type DispatchFailure, type Dispatcher, type DispatchOptions } from '../../dispatcher';
import { logger as rootLogger } from '../../../log/logger';
import { encodeCall, packBatch, ReportReader } from './batch-wire';
import { ABANDONED, type Call, CallQueue, type Control, QueueRejection } from './call-queue';
import { DeadlineExceeded, deadlineFor, entryTimeoutMs } from './deadline';
import { type Classified, FailureCounts, fromEngine, fromGuest } from './failures';
import { type HeapSample, IsolateSlot } from './isolate-slot';
import { type IsolateDispatcherOptions, type IsolateSource, type ResolvedOptions, resolveOptions } from './options';
import { ParkedCalls } from './parked-calls';
import { CALL_KIND, type CallKind } from '../../../protocol/isolate';
import { createCheckedSlot } from './validate';

/** How often heap statistics are refreshed (after an entry, between entries). */
const HEAP_SAMPLE_MS = 2000;
/**
 * Caps of one batch. 64 calls take most of the per-entry cost off small hooks (issue 15's
 * measurement: ≈ 60 µs per call alone, ≈ 9 µs each in batches of 32); 1 MiB bounds what one
 * entry copies in and out, so one call in flight never means one huge copy.
 */
const BATCH_LIMITS = { maxCalls: 64, maxBytes: 1024 * 1024 };
/** Budget for reading back an interrupted entry's results (a few µs of work in the guest). */
const COLLECT_TIMEOUT_MS = 100;
// A type alias (not an interface) so it satisfies Dispatcher.stats(): Record<string, unknown>.
export type IsolateStats = {
  apiId: string;
  driver: string;
  mode: string;
  /** The gateway's version number of this API (constructor option). */
  apiGeneration: number;
  /** Isolates built by this dispatcher so far; grows on every rebuild and reload. */
  isolatesBuilt: number;
  alive: boolean;
  calls: number;
  events: number;
  /** Entries into the isolate; calls + events over batches is the mean batch size. */
  batches: number;
  failures: Record<DispatchFailure, number>;
  /** Isolates thrown away after a timeout, memory exhaustion or disposal. */
  replacements: number;
  queued: number;
  /** Calls inside the isolate: those of the running entry plus parked ones. */
  inFlight: number;
  cpuTimeMs: number;
  memoryLimitMb: number;
  /** Last sampled heap of the live isolate (sampled at most every 2 s, never blocking). */
  heap?: HeapSample;
  lastFailure?: { reason: DispatchFailure; message: string; at: string };
};

/** What `reload` may change; anything left out keeps its current value. */
export interface IsolateReload {
  sources?: readonly IsolateSource[];
  hookNames?: readonly string[];
}

// `new Promise(capture)` with one shared executor: no closure per call, only V8's own
// resolving functions (this is on every hook's path). Read both right after the constructor.
let capturedResolve: (value: unknown) => void = () => {};
let capturedReject: (reason: unknown) => void = () => {};
function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

const isInterrupt = (err: unknown): boolean => !(err instanceof DeadlineExceeded) && err instanceof Error && /execution timed out/i.test(err.message);

/**
 * The `isolate` driver: one V8 isolate per API running the sandbox runtime and the API's
 * middleware. The isolate is built lazily (first call or `warm()`), and it runs one entry at a
 * time. Calls wait in a FIFO; whenever the isolate is free, every waiting call (up to
 * BATCH_LIMITS) goes in with one entry, where the runtime runs them in order (sandbox/batch.ts).
 * Every entry is bounded by ivm's timeout plus a host deadline, and so is every call parked on
 * a promise. A hook that spins or exhausts memory fails alone, at most with the calls of its
 * batch: its isolate is thrown away, calls of the batch that never started and calls still
 * waiting run on a fresh one; other APIs (other dispatchers) never notice.
 */
export class IsolateDispatcher implements Dispatcher {
  readonly driver: string;
  private options: ResolvedOptions;
  private readonly queue: CallQueue;
  private readonly parked = new ParkedCalls(() => this.requestEntry());
  private slot: IsolateSlot | null = null;
  private buildFailure: { error: DispatchError; until: number } | null = null;
  private isolatesBuilt = 0;
  /** The drain loop owns the isolate (an entry or a control task is under way). */
  private draining = false;
  /** Calls of the entry under way. */
  private entryCalls = 0;
  /** The guest has results that settled outside an entry: run one to collect them. */
  private wakeWanted = false;
  private nextId = 1;
  private idleWaiters: (() => void)[] = [];
  /** dispose() was called: no new calls; queued ones may still run during the grace period. */
  private closed = false;
  /** The isolate is released for good: nothing may build a new one. */
  private released = false;
  private disposing: Promise<void> | null = null;
  private calls = 0;
  private events = 0;
  private batches = 0;
  private replacements = 0;
  private cpuOfRetiredMs = 0;
  private readonly failures = new FailureCounts();

  /**
   * Check an upload or reload before it goes live: compile and run the sources in a scratch
   * isolate with the API's limits, and verify every name in `hookNames` is a hook. Throws a
   * MiddlewareSourceError naming file, line and column, or the missing function.
   */
  static async validate(options: IsolateDispatcherOptions): Promise<void> {
    const base = resolveOptions(options, rootLogger);
    // Top-level code runs for real here: its log lines are useful, its events are not real ones.
    const resolved: ResolvedOptions = { ...base, onEvent: undefined, logger: base.logger.child({ phase: 'validate' }) };
    (await createCheckedSlot(resolved, 0)).dispose();
  }

  /**
   * `validate`, keeping the isolate: it becomes the dispatcher's live one, so the first request
   * does not pay a second bring-up (the gateway builds every hooked API this way).
   */
  static async create(options: IsolateDispatcherOptions): Promise<IsolateDispatcher> {
    const dispatcher = new IsolateDispatcher(options);
    dispatcher.install(await createCheckedSlot(dispatcher.options, ++dispatcher.isolatesBuilt));
    return dispatcher;
  }

  constructor(options: IsolateDispatcherOptions) {
    this.options = resolveOptions(options, rootLogger);
    this.driver = this.options.driver;
    this.queue = new CallQueue(this.options.maxQueueLength, (call) => call.reject(this.refusal(ABANDONED)));
  }

  /** Build the isolate now instead of on the first call. */
  async warm(): Promise<void> {
    await this.control(() => this.currentSlot());
  }

  dispatch(object: CoprocessObject, options?: DispatchOptions): Promise<CoprocessObject> {
    let payload: Uint8Array;
    try {
      payload = encodeCall(object);
    } catch (err) {
      return Promise.reject(new DispatchError(`api ${this.options.apiId}: cannot encode the Object: ${(err as Error).message}`, 'exception', { cause: err }));
    }
    this.calls++;
    return this.submit(CALL_KIND.dispatch, payload, options?.signal) as Promise<CoprocessObject>;
  }

  dispatchEvent(payload: string): Promise<void> {
    this.events++;
    return this.submit(CALL_KIND.event, Buffer.from(payload, 'utf8'), undefined) as Promise<void>;
  }

  /**
   * Build a fresh isolate (optionally with new sources) beside the current one, check its
   * hooks, then swap it in between two entries. Calls queued before the swap finish on the old
   * isolate. If the new one fails to build, the old one stays and the error is thrown.
   */
  async reload(update: IsolateReload = {}): Promise<void> {
    if (this.closed) throw new DispatchError(`api ${this.options.apiId}: dispatcher is disposed`, 'unavailable');
    const next: ResolvedOptions = {
      ...this.options,
      sources: update.sources ?? this.options.sources,
      hookNames: update.hookNames ?? this.options.hookNames,
    };
    const slot = await createCheckedSlot(next, ++this.isolatesBuilt);
    try {
      await this.control(async () => {
        if (this.closed) throw new QueueRejection('dispatcher disposed during reload');
        this.retire(this.slot, 'the API was reloaded');
        this.options = next;
        this.install(slot);
        this.buildFailure = null;
      });
    } catch (err) {
      slot.dispose();
      throw err;
    }
  }

  /** Let queued, running and parked calls finish (up to disposeGraceMs), then release the isolate. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      this.closed = true;
      if (!(await this.idle(this.options.disposeGraceMs))) {
        this.queue.rejectWaiting(new QueueRejection('dispatcher disposed before the call could run'));
      }
      this.released = true;
      this.retire(this.slot, 'the dispatcher was disposed');
      this.slot = null;
      this.parked.stopPolling();
    })();
    return this.disposing;
  }

  stats(): IsolateStats {
    const slot = this.liveSlot();
    return {
      apiId: this.options.apiId,
      driver: this.driver,
      mode: this.options.mode,
      apiGeneration: this.options.generation,
      isolatesBuilt: this.isolatesBuilt,
      alive: slot !== null,
      calls: this.calls,
      events: this.events,
      batches: this.batches,
      failures: { ...this.failures.byReason },
      replacements: this.replacements,
      queued: this.queue.length,
      inFlight: this.entryCalls + this.parked.size,
      cpuTimeMs: this.cpuOfRetiredMs + (slot?.cpuTimeMs ?? 0),
      memoryLimitMb: this.options.memoryLimitMb,
      heap: slot?.heap,
      lastFailure: this.failures.last,
    };
  }

  // ---- queueing -------------------------------------------------------------------------------

  private submit(kind: CallKind, payload: Uint8Array, signal: AbortSignal | undefined): Promise<unknown> {
    if (this.closed) return Promise.reject(this.count(new DispatchError(`api ${this.options.apiId}: dispatcher is disposed`, 'unavailable')));
    if (signal?.aborted) return Promise.reject(this.refusal(ABANDONED));
    if (this.queue.full) return Promise.reject(this.refusal(`call queue is full (${this.options.maxQueueLength} waiting)`));
    const promise = new Promise(capture);
    this.queue.push({ kind, payload, signal, resolve: capturedResolve, reject: capturedReject });
    if (!this.draining) void this.drain();
    return promise;
  }

  /** Run `run` with the isolate to itself, in queue order. */
  private control<T>(run: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new DispatchError(`api ${this.options.apiId}: dispatcher is disposed`, 'unavailable'));
    const promise = new Promise(capture) as Promise<T>;
    this.queue.push({ kind: 0, run, resolve: capturedResolve, reject: capturedReject });
    if (!this.draining) void this.drain();
    return promise;
  }

  /** The one loop that talks to the isolate: one entry (or control task) at a time. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (;;) {
        const work = this.queue.take(BATCH_LIMITS);
        if (work === undefined && !this.wakeWanted) break;
        if (work !== undefined && !Array.isArray(work)) {
          await runControl(work);
          continue;
        }
        this.wakeWanted = false;
        await this.runBatch(work ?? []);
      }
    } finally {
      this.draining = false;
      this.notifyIdle();
    }
  }

  /** Resolves true once nothing is queued, running or parked, false if `ms` passes first. */
  private idle(ms: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private isIdle(): boolean {
    return !this.draining && this.queue.length === 0 && this.parked.size === 0;
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  // ---- entries --------------------------------------------------------------------------------

  /** One entry for `calls` (none: collect results that settled outside an entry). */
  private async runBatch(calls: Call[]): Promise<void> {
    let slot = this.liveSlot();
    if (!slot) {
      if (calls.length === 0) return; // the isolate that woke us is gone, and its parked calls with it
      try {
        slot = await this.currentSlot();
      } catch (err) {
        for (const call of calls) call.reject(err);
        return;
      }
    }
    const firstId = this.nextId;
    this.nextId += calls.length;
    const timeoutMs = entryTimeoutMs(this.options.hookTimeoutMs, calls.length);
    const startedAt = Date.now();
    this.batches++;
    if (calls.length > 0) this.options.onBatch?.(calls.length);
    this.entryCalls = calls.length;
    let answer: unknown;
    try {
      answer = await slot.enter(packBatch(calls), firstId, timeoutMs);
    } catch (err) {
      await this.entryFailed(slot, calls, firstId, err);
      return;
    } finally {
      this.entryCalls = 0;
    }
    const report = this.read(answer, calls.length);
    if (typeof report === 'string') {
      this.failAll(slot, calls, new DispatchError(`api ${this.options.apiId}: the isolate's runtime sent a report it cannot have written (${report})`, 'bad_result'));
      return;
    }
    const parkMs = startedAt + deadlineFor(timeoutMs) - Date.now();
    this.settle(slot, calls, firstId, report, (call, id) => this.park(call, id, slot, parkMs));
    this.parked.poll();
    await this.maybeSampleHeap(slot);
  }

  /** The checked report of an entry's answer (src/protocol/isolate.ts GuestEntries.run), or what is wrong. */
  private read(answer: unknown, batchSize: number): ReportReader | string {
    const report = answer instanceof Uint8Array ? answer : (answer as { report?: unknown } | null)?.report;
    try {
      return new ReportReader(report, batchSize);
    } catch (err) {
      return (err as Error).message;
    }
  }

  /**
   * Apply a report: resolve or fail every finished call (of this entry or parked earlier), hand
   * calls that began and did not finish to `unfinished`, and put calls that never began back at
   * the head of the queue.
   */
  private settle(slot: IsolateSlot, calls: (Call | undefined)[], firstId: number, report: ReportReader, unfinished: (call: Call, id: number) => void): void {
    const { ids, starts, ends, failures } = report;
    let replace: Classified | undefined;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const index = id - firstId;
      let call: Call | undefined;
      if (index >= 0 && index < calls.length) {
        call = calls[index];
        calls[index] = undefined;
      } else {
        call = this.parked.take(id); // undefined: it expired meanwhile, its late result is dropped
      }
      const failure = failures[i];
      if (failure) {
        const classified = fromGuest(this.options.apiId, failure);
        if (classified.replaceIsolate) replace = classified;
        call?.reject(this.count(classified.error));
      } else if (call) {
        this.resolveCall(call, report.report as Uint8Array, starts[i], ends[i]);
      }
    }
    const started = report.started;
    for (let i = 0; i < started; i++) {
      const call = calls[i];
      if (call) unfinished(call, firstId + i);
    }
    if (started < calls.length) this.queue.putBack(calls.slice(started) as Call[]);
    if (replace) this.replace(slot, replace.error);
  }

  private resolveCall(call: Call, report: Uint8Array, start: number, end: number): void {
    if (call.kind === CALL_KIND.event) {
      call.resolve(undefined);
      return;
    }
    let object: CoprocessObject;
    try {
      object = decodeObject(report.subarray(start, end));
    } catch (err) {
      call.reject(this.count(new DispatchError(`api ${this.options.apiId}: the isolate returned undecodable bytes: ${(err as Error).message}`, 'bad_result', { cause: err })));
      return;
    }
    call.resolve(object);
  }

  /** A call awaits a promise its entry did not settle: its result comes with a later report. */
  private park(call: Call, id: number, slot: IsolateSlot, ms: number): void {
    this.parked.add(id, call, slot, ms, (expired) => {
      // The isolate stays: the guest is idle, not stuck, and a late result is simply dropped.
      const what = expired.kind === CALL_KIND.event ? 'event handler' : 'hook';
      const message = `api ${this.options.apiId}: the ${what} awaited a promise that nothing settled within ${deadlineFor(this.options.hookTimeoutMs)} ms`;
      expired.reject(this.count(new DispatchError(message, 'timeout')));
      this.notifyIdle();
    });
  }

  /**
   * The entry threw: the engine speaking (timeout, disposal, memory). After ivm's own timeout
   * the isolate is still usable, so the report of what finished is read back and only the calls
   * that began and did not finish fail; the rest of the batch runs again on a new isolate.
   * Otherwise nothing is known, and every call of the entry fails.
   */
  private async entryFailed(slot: IsolateSlot, calls: Call[], firstId: number, err: unknown): Promise<void> {
    const { error, replaceIsolate } = fromEngine(this.options.apiId, err, slot.disposed);
    const answer = isInterrupt(err) && !slot.disposed ? await slot.collect(COLLECT_TIMEOUT_MS).catch(() => undefined) : undefined;
    const report = answer === undefined ? undefined : this.read(answer, calls.length);
    if (report instanceof ReportReader) {
      this.settle(slot, calls, firstId, report, (call) => call.reject(this.count(error)));
      if (replaceIsolate) this.replace(slot, error);
    } else if (replaceIsolate) {
      this.failAll(slot, calls, error);
    } else {
      for (const call of calls) call.reject(this.count(error));
    }
  }

  /** Nothing is known about the calls of an entry: all fail, and the isolate goes. */
  private failAll(slot: IsolateSlot, calls: readonly Call[], error: DispatchError): void {
    for (const call of calls) call.reject(this.count(error));
    this.replace(slot, error);
  }

  // ---- isolates -------------------------------------------------------------------------------

  private liveSlot(): IsolateSlot | null {
    return this.slot && !this.slot.disposed ? this.slot : null;
  }

  private install(slot: IsolateSlot): void {
    slot.onWake = () => {
      if (this.slot === slot) this.requestEntry();
    };
    this.slot = slot;
  }

  /** Results may wait in the guest (a wake-up, or parked calls to poll): enter, even with no calls. */
  private requestEntry(): void {
    this.wakeWanted = true;
    if (!this.draining) void this.drain();
  }

  /** The live isolate, built if there is none. Only ever called from the drain loop. */
  private async currentSlot(): Promise<IsolateSlot> {
    const live = this.liveSlot();
    if (live) return live;
    if (this.slot) {
      // ivm disposed it under us (memory limit) between entries.
      this.retire(this.slot, 'the isolate was disposed');
      this.slot = null;
      this.replacements++;
    }
    if (this.released) throw new DispatchError(`api ${this.options.apiId}: dispatcher is disposed`, 'unavailable');
    if (this.buildFailure && Date.now() < this.buildFailure.until) throw this.buildFailure.error;
    const serial = ++this.isolatesBuilt;
    let slot: IsolateSlot;
    try {
      slot = await IsolateSlot.create(this.options, serial);
    } catch (err) {
      const error = new DispatchError(`api ${this.options.apiId}: cannot start the isolate: ${(err as Error).message}`, 'unavailable', { cause: err });
      this.buildFailure = { error, until: Date.now() + this.options.rebuildBackoffMs };
      this.options.logger.error({ err, isolate: serial }, 'isolate bring-up failed');
      throw error;
    }
    if (this.released) {
      // dispose() gave up waiting while this call was building: do not leak the new isolate.
      slot.dispose();
      throw new DispatchError(`api ${this.options.apiId}: dispatcher is disposed`, 'unavailable');
    }
    this.install(slot);
    this.buildFailure = null;
    if (serial > 1) this.options.logger.info({ isolate: serial }, 'isolate rebuilt');
    return slot;
  }

  /** Throw away an isolate that is gone or cannot be trusted; the next entry builds a new one. */
  private replace(slot: IsolateSlot, error: DispatchError): void {
    if (slot.disposed && this.slot !== slot) return; // already replaced
    this.options.logger.warn({ reason: error.reason, isolate: slot.serial }, `isolate discarded after ${error.reason}; the next call builds a new one`);
    this.replacements++;
    if (this.slot === slot) this.slot = null;
    this.retire(slot, `its isolate was discarded after ${error.reason} in another call`);
  }

  /** Dispose `slot`; calls parked in it can never settle now and fail as `unavailable`. */
  private retire(slot: IsolateSlot | null, why: string): void {
    if (!slot) return;
    const orphans = this.parked.takeAll(slot);
    if (orphans.length > 0) {
      const error = new DispatchError(`api ${this.options.apiId}: the call awaited a promise when ${why}`, 'unavailable');
      for (const call of orphans) call.reject(this.count(error));
    }
    if (!slot.disposed) this.cpuOfRetiredMs += slot.cpuTimeMs;
    slot.dispose();
  }

  // ---- bookkeeping ----------------------------------------------------------------------------

  private count(error: DispatchError): DispatchError {
    return this.failures.note(error);
  }

  private refusal(message: string): DispatchError {
    return this.count(fromEngine(this.options.apiId, new QueueRejection(message), false).error);
  }

  private async maybeSampleHeap(slot: IsolateSlot): Promise<void> {
    if (!slot.disposed && (!slot.heap || Date.now() - slot.heap.sampledAt >= HEAP_SAMPLE_MS)) await slot.sampleHeap();
  }
}

async function runControl(control: Control): Promise<void> {
  try {
    control.resolve(await control.run());
  } catch (err) {
    control.reject(err);
  }
}
