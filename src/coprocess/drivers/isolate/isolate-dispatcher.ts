import { decodeObject, encodeObject } from '../../codec';
import { type CoprocessObject, DispatchError, type DispatchFailure, type Dispatcher, type DispatchOptions } from '../../dispatcher';
import { logger as rootLogger } from '../../../log/logger';
import { CallQueue, QueueRejection } from './call-queue';
import { type Classified, fromEngine, fromGuest } from './failures';
import { type HeapSample, IsolateSlot } from './isolate-slot';
import { type IsolateDispatcherOptions, type IsolateSource, type ResolvedOptions, resolveOptions } from './options';
import { MiddlewareSourceError } from './source-error';
import { checkHookNames } from './validate';

/** How often heap statistics are refreshed (after a call, inside the queue). */
const HEAP_SAMPLE_MS = 2000;

// A type alias (not an interface) so it satisfies Dispatcher.stats(): Record<string, unknown>.
export type IsolateStats = {
  apiId: string;
  driver: string;
  mode: string;
  /** The gateway's version number of this API (constructor option). */
  apiGeneration: number;
  /** Isolates built by this dispatcher so far; grows on every rebuild and reload. */
  generation: number;
  alive: boolean;
  calls: number;
  events: number;
  failures: Record<DispatchFailure, number>;
  /** Isolates thrown away after a timeout, memory exhaustion or disposal. */
  replacements: number;
  queued: number;
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

/**
 * The `isolate` driver: one V8 isolate per API running the sandbox runtime and the API's
 * middleware. The isolate is built lazily (first call or `warm()`), calls go through a FIFO
 * with one call in flight, and every call is bounded by ivm's timeout plus a host deadline.
 * A hook that times out or exhausts memory fails alone: its isolate is thrown away and the next
 * call builds a fresh one; other APIs (other dispatchers) never notice.
 */
export class IsolateDispatcher implements Dispatcher {
  readonly driver: string;
  private options: ResolvedOptions;
  private readonly queue: CallQueue;
  private slot: IsolateSlot | null = null;
  private buildFailure: { error: DispatchError; until: number } | null = null;
  private isolatesBuilt = 0;
  /** dispose() was called: no new calls; queued ones may still run during the grace period. */
  private closed = false;
  /** The isolate is released for good: nothing may build a new one. */
  private released = false;
  private disposing: Promise<void> | null = null;
  private calls = 0;
  private events = 0;
  private replacements = 0;
  private cpuOfRetiredMs = 0;
  private readonly failures: Record<DispatchFailure, number> = {
    exception: 0,
    timeout: 0,
    memory: 0,
    bad_result: 0,
    unavailable: 0,
    too_large: 0,
  };
  private lastFailure: IsolateStats['lastFailure'];

  /**
   * Check an upload or reload before it goes live: compile and run the sources in a scratch
   * isolate with the API's limits, and verify every name in `hookNames` is a hook. Throws a
   * MiddlewareSourceError naming file, line and column, or the missing function.
   */
  static async validate(options: IsolateDispatcherOptions): Promise<void> {
    const base = resolveOptions(options, rootLogger);
    // Top-level code runs for real here: its log lines are useful, its events are not real ones.
    const resolved: ResolvedOptions = { ...base, onEvent: undefined, logger: base.logger.child({ phase: 'validate' }) };
    const slot = await IsolateSlot.create(resolved, 0).catch((err: unknown) => {
      throw asSourceError(err);
    });
    try {
      await checkHookNames(slot, resolved);
    } finally {
      slot.dispose();
    }
  }

  /**
   * `validate`, keeping the isolate: it becomes the dispatcher's live one, so the first request
   * does not pay a second bring-up (the gateway builds every hooked API this way).
   */
  static async create(options: IsolateDispatcherOptions): Promise<IsolateDispatcher> {
    const dispatcher = new IsolateDispatcher(options);
    const slot = await IsolateSlot.create(dispatcher.options, ++dispatcher.isolatesBuilt).catch((err: unknown) => {
      throw asSourceError(err);
    });
    try {
      await checkHookNames(slot, dispatcher.options);
    } catch (err) {
      slot.dispose();
      throw err;
    }
    dispatcher.slot = slot;
    return dispatcher;
  }

  constructor(options: IsolateDispatcherOptions) {
    this.options = resolveOptions(options, rootLogger);
    this.driver = this.options.driver;
    this.queue = new CallQueue(this.options.maxQueueLength);
  }

  /** Build the isolate now instead of on the first call. */
  async warm(): Promise<void> {
    await this.enqueue(() => this.currentSlot());
  }

  dispatch(object: CoprocessObject, options?: DispatchOptions): Promise<CoprocessObject> {
    let bytes: Uint8Array;
    try {
      bytes = encodeObject(object);
    } catch (err) {
      return Promise.reject(new DispatchError(`api ${this.options.apiId}: cannot encode the Object: ${(err as Error).message}`, 'exception', { cause: err }));
    }
    this.calls++;
    return this.enqueue(() => this.runDispatch(bytes), options?.signal);
  }

  dispatchEvent(payload: string): Promise<void> {
    this.events++;
    return this.enqueue(() => this.runEvent(payload));
  }

  /**
   * Build a fresh isolate (optionally with new sources) beside the current one, check its
   * hooks, then swap it in between two calls. Calls queued before the swap finish on the old
   * isolate. If the new one fails to build, the old one stays and the error is thrown.
   */
  async reload(update: IsolateReload = {}): Promise<void> {
    if (this.closed) throw new DispatchError(`api ${this.options.apiId}: dispatcher is disposed`, 'unavailable');
    const next: ResolvedOptions = {
      ...this.options,
      sources: update.sources ?? this.options.sources,
      hookNames: update.hookNames ?? this.options.hookNames,
    };
    const slot = await IsolateSlot.create(next, ++this.isolatesBuilt).catch((err: unknown) => {
      throw asSourceError(err);
    });
    try {
      await checkHookNames(slot, next);
      await this.enqueue(async () => {
        if (this.closed) throw new QueueRejection('dispatcher disposed during reload');
        this.retire(this.slot);
        this.options = next;
        this.slot = slot;
        this.buildFailure = null;
      });
    } catch (err) {
      slot.dispose();
      throw err;
    }
  }

  /** Let queued and running calls finish (up to disposeGraceMs), then release the isolate. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      this.closed = true;
      if (!(await this.queue.idle(this.options.disposeGraceMs))) {
        this.queue.rejectWaiting(new QueueRejection('dispatcher disposed before the call could run'));
      }
      this.released = true;
      this.retire(this.slot);
      this.slot = null;
    })();
    return this.disposing;
  }

  stats(): IsolateStats {
    const slot = this.slot && !this.slot.disposed ? this.slot : null;
    return {
      apiId: this.options.apiId,
      driver: this.driver,
      mode: this.options.mode,
      apiGeneration: this.options.generation,
      generation: this.isolatesBuilt,
      alive: slot !== null,
      calls: this.calls,
      events: this.events,
      failures: { ...this.failures },
      replacements: this.replacements,
      queued: this.queue.length,
      inFlight: this.queue.busy ? 1 : 0,
      cpuTimeMs: this.cpuOfRetiredMs + (slot?.cpuTimeMs ?? 0),
      memoryLimitMb: this.options.memoryLimitMb,
      heap: slot?.heap,
      lastFailure: this.lastFailure,
    };
  }

  private enqueue<T>(run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.closed) {
      return Promise.reject(this.record({ error: new DispatchError(`api ${this.options.apiId}: dispatcher is disposed`, 'unavailable'), replaceIsolate: false }, null));
    }
    return this.queue.push(run, signal).catch((err: unknown) => {
      if (err instanceof QueueRejection) throw this.record(fromEngine(this.options.apiId, err, false), null);
      throw err;
    });
  }

  private async runDispatch(bytes: Uint8Array): Promise<CoprocessObject> {
    const slot = this.liveSlot() ?? (await this.currentSlot());
    let result;
    try {
      result = await slot.dispatch(bytes, this.options.hookTimeoutMs);
    } catch (err) {
      throw this.record(fromEngine(this.options.apiId, err, slot.disposed), slot);
    }
    await this.maybeSampleHeap(slot);
    if (!(result instanceof Uint8Array)) throw this.record(fromGuest(this.options.apiId, result), slot);
    try {
      return decodeObject(result);
    } catch (err) {
      const error = new DispatchError(`api ${this.options.apiId}: the isolate returned undecodable bytes: ${(err as Error).message}`, 'bad_result', { cause: err });
      throw this.record({ error, replaceIsolate: false }, slot);
    }
  }

  private async runEvent(payload: string): Promise<void> {
    const slot = this.liveSlot() ?? (await this.currentSlot());
    let result;
    try {
      result = await slot.event(payload, this.options.hookTimeoutMs);
    } catch (err) {
      throw this.record(fromEngine(this.options.apiId, err, slot.disposed), slot);
    }
    if (result) throw this.record(fromGuest(this.options.apiId, result), slot);
  }

  private liveSlot(): IsolateSlot | null {
    return this.slot && !this.slot.disposed ? this.slot : null;
  }

  /** The live isolate, built if there is none. Only ever called from inside the queue. */
  private async currentSlot(): Promise<IsolateSlot> {
    if (this.slot && !this.slot.disposed) return this.slot;
    if (this.slot) {
      // ivm disposed it under us (memory limit) between calls.
      this.retire(this.slot);
      this.slot = null;
      this.replacements++;
    }
    if (this.released) throw new DispatchError(`api ${this.options.apiId}: dispatcher is disposed`, 'unavailable');
    if (this.buildFailure && Date.now() < this.buildFailure.until) throw this.buildFailure.error;
    const generation = ++this.isolatesBuilt;
    let slot: IsolateSlot;
    try {
      slot = await IsolateSlot.create(this.options, generation);
    } catch (err) {
      const error = new DispatchError(`api ${this.options.apiId}: cannot start the isolate: ${(err as Error).message}`, 'unavailable', { cause: err });
      this.buildFailure = { error, until: Date.now() + this.options.rebuildBackoffMs };
      this.options.logger.error({ err, generation }, 'isolate bring-up failed');
      throw error;
    }
    if (this.released) {
      // dispose() gave up waiting while this call was building: do not leak the new isolate.
      slot.dispose();
      throw new DispatchError(`api ${this.options.apiId}: dispatcher is disposed`, 'unavailable');
    }
    this.slot = slot;
    this.buildFailure = null;
    if (generation > 1) this.options.logger.info({ generation }, 'isolate rebuilt');
    return slot;
  }

  /** Count a failure; replace the isolate when it is gone or cannot be trusted. */
  private record(classified: Classified, slot: IsolateSlot | null): DispatchError {
    const { error, replaceIsolate } = classified;
    this.failures[error.reason]++;
    this.lastFailure = { reason: error.reason, message: error.message, at: new Date().toISOString() };
    if (replaceIsolate && slot) {
      this.options.logger.warn({ reason: error.reason, generation: slot.generation }, `isolate discarded after ${error.reason}; the next call builds a new one`);
      this.replacements++;
      if (this.slot === slot) this.slot = null;
      this.retire(slot);
    }
    return error;
  }

  private retire(slot: IsolateSlot | null): void {
    if (!slot) return;
    this.cpuOfRetiredMs += slot.cpuTimeMs;
    slot.dispose();
  }

  private async maybeSampleHeap(slot: IsolateSlot): Promise<void> {
    if (!slot.heap || Date.now() - slot.heap.sampledAt >= HEAP_SAMPLE_MS) await slot.sampleHeap();
  }
}

function asSourceError(err: unknown): Error {
  if (err instanceof MiddlewareSourceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MiddlewareSourceError(`the isolate failed to start: ${message}`, undefined, undefined, undefined, { cause: err });
}
