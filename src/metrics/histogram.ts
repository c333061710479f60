/**
 * A Prometheus histogram kept as plain numbers: `observe` is a short loop over the bucket bounds
 * and two additions, with no label lookup and no allocation, because it runs on the request path
 * (recording must stay far below 1 µs per request; see bench/README.md). prom-client reads it
 * only when /metrics is scraped (src/metrics/registry.ts).
 */
export class Histogram {
  /** counts[i]: observations ≤ bounds[i] and > bounds[i-1]; the last cell is +Inf. Cumulated at scrape. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per `le` bound, as the text format wants them, +Inf last. */
  cumulative(): { le: string; count: number }[] {
    const out: { le: string; count: number }[] = [];
    let running = 0;
    for (let i = 0; i < this.counts.length; i++) {
      running += this.counts[i]!;
      out.push({ le: i < this.bounds.length ? String(this.bounds[i]) : '+Inf', count: running });
    }
    return out;
  }
}

/** Seconds, from a cached-hit hook (≈ 0.1 ms) to a slow upstream. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Calls per isolate entry; the dispatcher takes at most 64 (isolate-dispatcher.ts BATCH_LIMITS). */
export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64];
