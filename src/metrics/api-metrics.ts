import type { DispatchFailure } from '../coprocess/dispatcher';
import { BATCH_BUCKETS, Histogram, LATENCY_BUCKETS } from './histogram';

/**
 * How a hook call ended, as a metric label: `ok` or a DispatchError reason (dispatcher.ts), and
 * `aborted` when the client went away first (not the plugin's failure).
 */
export type HookOutcome = 'ok' | DispatchFailure | 'aborted';
export const HOOK_OUTCOMES: readonly HookOutcome[] = ['ok', 'exception', 'timeout', 'memory', 'bad_result', 'unavailable', 'too_large', 'aborted'];
type Failure = Exclude<HookOutcome, 'ok'>;

/** One hook of one API: `kind` and `name` come from the definition, so the set is bounded by it. */
export class HookMetrics {
  /** Calls that reached the dispatcher; `ok` at scrape is calls minus failures. */
  calls = 0;
  readonly failures: Record<Failure, number> = { exception: 0, timeout: 0, memory: 0, bad_result: 0, unavailable: 0, too_large: 0, aborted: 0 };
  readonly latency = new Histogram(LATENCY_BUCKETS);

  constructor(readonly kind: string, readonly name: string) {}

  /** A finished dispatch, successful or not; `ms` is what the request waited for it. */
  called(ms: number): void {
    this.calls++;
    this.latency.observe(ms / 1000);
  }

  failed(outcome: Failure): void {
    this.failures[outcome]++;
  }

  outcomes(): Record<HookOutcome, number> {
    let failed = 0;
    for (const k in this.failures) failed += this.failures[k as Failure];
    return { ok: Math.max(0, this.calls - failed), ...this.failures };
  }
}

/** Index of `status` in ApiMetrics.requests: 1–5 for 1xx–5xx, 0 when no answer was sent. */
export const STATUS_CLASSES = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/**
 * Everything recorded on the request path for one API id. One object per API id for as long as
 * the API is loaded: a reload keeps counting into it (counters never go back), an API that is
 * removed takes its series with it (metrics/registry.ts), so labels never outnumber loaded APIs.
 */
export class ApiMetrics {
  readonly requests = new Float64Array(STATUS_CLASSES.length);
  readonly latency = new Histogram(LATENCY_BUCKETS);
  readonly upstream = new Histogram(LATENCY_BUCKETS);
  readonly batchSize = new Histogram(BATCH_BUCKETS);
  private readonly hooks = new Map<string, HookMetrics>();

  constructor(readonly apiId: string) {}

  /** A request answered (or abandoned: `sent` false); `totalMs` from routing to the end of the answer. */
  request(status: number, sent: boolean, totalMs: number): void {
    const cls = sent ? Math.floor(status / 100) : 0;
    this.requests[cls >= 1 && cls <= 5 ? cls : 0]!++;
    this.latency.observe(totalMs / 1000);
  }

  /** The hook `kind:name`, created on first use (at build time: build-runtime.ts asks for each). */
  hook(kind: string, name: string): HookMetrics {
    const key = `${kind}:${name}`;
    let hook = this.hooks.get(key);
    if (!hook) {
      hook = new HookMetrics(kind, name);
      this.hooks.set(key, hook);
    }
    return hook;
  }

  /** Keep only these hooks (the API's current definition), so a renamed hook's series go. */
  retainHooks(keys: ReadonlySet<string>): void {
    for (const key of this.hooks.keys()) if (!keys.has(key)) this.hooks.delete(key);
  }

  hookList(): IterableIterator<HookMetrics> {
    return this.hooks.values();
  }
}
