import { collectDefaultMetrics, Registry } from 'prom-client';
import type { AuthCacheStats } from '../auth/auth-cache';
import type { Dispatcher } from '../coprocess/dispatcher';
import type { EventBusStats } from '../events/bus';
import { ApiMetrics, HOOK_OUTCOMES, STATUS_CLASSES } from './api-metrics';
import { histogramSamples, register, type Sample } from './collected';

/** What a scrape reads besides the request-path recorders: all of it counters kept anyway. */
export interface MetricSources {
  /** The loaded APIs: only these get series, so label values never outnumber them. */
  apis(): Iterable<{ apiId: string; dispatcher?: Dispatcher; quarantined: boolean }>;
  authCache(): AuthCacheStats;
  events(): EventBusStats;
  isolates(): { live: number; created: number };
  /** The API's guest output counters (isolate drivers), undefined when no isolate ever ran. */
  output(apiId: string): { log_lines_dropped: number; events_dropped: number } | undefined;
}

interface IsolateLike {
  replacements?: unknown;
  heap?: { usedHeapBytes?: unknown; limitBytes?: unknown };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The gateway's Prometheus registry (prom-client). Request-path numbers live in one ApiMetrics
 * per loaded API id; everything else is read from the gateway's own counters when scraped, so
 * a scrape never enters an isolate and the request path pays only for the recorders.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly perApi = new Map<string, ApiMetrics>();

  constructor(private readonly sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry });
    this.defineRequestMetrics();
    this.defineIsolateMetrics();
    this.defineServiceMetrics();
  }

  /** The recorders of `apiId`, created on first use; the same object across reloads. */
  forApi(apiId: string): ApiMetrics {
    let m = this.perApi.get(apiId);
    if (!m) {
      m = new ApiMetrics(apiId);
      this.perApi.set(apiId, m);
    }
    return m;
  }

  /**
   * After a swap: drop every API id that is not loaded, and hooks an API no longer has
   * (`hooks`: per loaded API id, its `kind:name` keys).
   */
  retain(hooks: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const [apiId, m] of this.perApi) {
      const keep = hooks.get(apiId);
      if (!keep) this.perApi.delete(apiId);
      else m.retainHooks(keep);
    }
  }

  /** The text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Loaded APIs that have recorders. */
  private *loaded(): Generator<{ apiId: string; dispatcher?: Dispatcher; quarantined: boolean; metrics?: ApiMetrics }> {
    for (const api of this.sources.apis()) yield { ...api, metrics: this.perApi.get(api.apiId) };
  }

  private defineRequestMetrics(): void {
    const r = this.registry;
    register(r, 'isogate_requests_total', 'Requests per API by status class (none: the client left before an answer).', 'counter', () => {
      const out: Sample[] = [];
      for (const { apiId, metrics } of this.loaded()) {
        if (!metrics) continue;
        STATUS_CLASSES.forEach((code, i) => out.push({ labels: { api_id: apiId, code }, value: metrics.requests[i]! }));
      }
      return out;
    });
    register(r, 'isogate_request_duration_seconds', 'Time from routing to the end of the answer, per API.', 'histogram', () =>
      [...this.loaded()].flatMap(({ apiId, metrics }) => (metrics ? histogramSamples('isogate_request_duration_seconds', { api_id: apiId }, metrics.latency) : [])));
    register(r, 'isogate_upstream_duration_seconds', 'Time from sending the request upstream to its response headers, per API.', 'histogram', () =>
      [...this.loaded()].flatMap(({ apiId, metrics }) => (metrics ? histogramSamples('isogate_upstream_duration_seconds', { api_id: apiId }, metrics.upstream) : [])));
    register(r, 'isogate_hook_calls_total', 'Hook calls per API and hook, by outcome.', 'counter', () => {
      const out: Sample[] = [];
      for (const { apiId, metrics } of this.loaded()) {
        if (!metrics) continue;
        for (const h of metrics.hookList()) {
          const counts = h.outcomes();
          for (const outcome of HOOK_OUTCOMES) out.push({ labels: { api_id: apiId, hook_type: h.kind, hook: h.name, outcome }, value: counts[outcome] });
        }
      }
      return out;
    });
    register(r, 'isogate_hook_duration_seconds', 'Time a request waited for each hook call (queueing in the isolate included).', 'histogram', () => {
      const out: Sample[] = [];
      for (const { apiId, metrics } of this.loaded()) {
        if (!metrics) continue;
        for (const h of metrics.hookList()) out.push(...histogramSamples('isogate_hook_duration_seconds', { api_id: apiId, hook_type: h.kind, hook: h.name }, h.latency));
      }
      return out;
    });
    register(r, 'isogate_isolate_batch_size', 'Calls per isolate entry (the isolate driver batches waiting calls).', 'histogram', () =>
      [...this.loaded()].flatMap(({ apiId, metrics }) => (metrics && metrics.batchSize.count > 0 ? histogramSamples('isogate_isolate_batch_size', { api_id: apiId }, metrics.batchSize) : [])));
  }

  private defineIsolateMetrics(): void {
    const r = this.registry;
    register(r, 'isogate_isolates_live', 'V8 isolates alive in this process.', 'gauge', () => [{ labels: {}, value: this.sources.isolates().live }]);
    register(r, 'isogate_isolates_created_total', 'V8 isolates created since the process started (builds, reloads, rebuilds).', 'counter', () => [{ labels: {}, value: this.sources.isolates().created }]);
    const isolateStat = (pick: (s: IsolateLike) => number | undefined) => (): Sample[] => {
      const out: Sample[] = [];
      for (const { apiId, dispatcher } of this.loaded()) {
        const value = pick((dispatcher?.stats?.() ?? {}) as IsolateLike);
        if (value !== undefined) out.push({ labels: { api_id: apiId }, value });
      }
      return out;
    };
    register(r, 'isogate_isolate_heap_used_bytes', 'Heap used by the API\'s isolate, last sample (taken between entries, at most every 2 s).', 'gauge', isolateStat((s) => num(s.heap?.usedHeapBytes)));
    register(r, 'isogate_isolate_heap_limit_bytes', 'Heap limit of the API\'s isolate (memory_limit_mb).', 'gauge', isolateStat((s) => num(s.heap?.limitBytes)));
    register(r, 'isogate_isolate_rebuilds_total', 'Isolates thrown away after a timeout, memory exhaustion or disposal, for the API version loaded now (a reload starts again at 0).', 'counter', isolateStat((s) => num(s.replacements)));
    register(r, 'isogate_api_quarantined', '1 when the API is quarantined (its middleware aborted a worker; it answers 503).', 'gauge', () =>
      [...this.loaded()].map(({ apiId, quarantined }) => ({ labels: { api_id: apiId }, value: quarantined ? 1 : 0 })));
    register(r, 'isogate_guest_log_lines_dropped_total', 'Middleware log lines dropped over the API\'s log_lines_per_s budget.', 'counter', () => this.output('log_lines_dropped'));
    register(r, 'isogate_guest_events_dropped_total', 'TykTriggerEvent calls dropped over the API\'s events_per_s budget.', 'counter', () => this.output('events_dropped'));
  }

  private output(field: 'log_lines_dropped' | 'events_dropped'): Sample[] {
    const out: Sample[] = [];
    for (const { apiId } of this.loaded()) {
      const counts = this.sources.output(apiId);
      if (counts) out.push({ labels: { api_id: apiId }, value: counts[field] });
    }
    return out;
  }

  private defineServiceMetrics(): void {
    const r = this.registry;
    register(r, 'isogate_apis_loaded', 'API definitions serving.', 'gauge', () => [{ labels: {}, value: [...this.sources.apis()].length }]);
    const cache = (field: 'hits' | 'misses' | 'evictions') => () => [{ labels: {}, value: this.sources.authCache()[field] }];
    register(r, 'isogate_auth_cache_hits_total', 'Auth LRU lookups served from memory.', 'counter', cache('hits'));
    register(r, 'isogate_auth_cache_misses_total', 'Auth LRU lookups that went to the session store.', 'counter', cache('misses'));
    register(r, 'isogate_auth_cache_evictions_total', 'Auth LRU entries pushed out by its entry or byte bound.', 'counter', cache('evictions'));
    register(r, 'isogate_auth_cache_entries', 'Sessions held in the auth LRU.', 'gauge', () => [{ labels: {}, value: this.sources.authCache().entries }]);
    register(r, 'isogate_event_deliveries_total', 'Event deliveries per handler kind, by result.', 'counter', () => {
      const out: Sample[] = [];
      for (const [handler, s] of Object.entries(this.sources.events().handlers)) {
        for (const result of ['delivered', 'failed', 'dropped', 'deduplicated'] as const) out.push({ labels: { handler, result }, value: s[result] });
      }
      return out;
    });
    register(r, 'isogate_events_fired_total', 'Events fired (whether or not a handler wanted them).', 'counter', () => [{ labels: {}, value: this.sources.events().fired }]);
  }
}
