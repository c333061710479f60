import type { Metric, Registry } from 'prom-client';
import type { Histogram } from './histogram';

/** One sample line: `metricName` (with the `_bucket`/`_sum`/`_count` suffix for histograms) and labels. */
export interface Sample {
  metricName?: string;
  labels: Record<string, string>;
  value: number;
}

export type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * A metric whose samples are produced at scrape time from counters the gateway already keeps
 * (plain numbers, metrics/histogram.ts). prom-client's Registry formats it like its own metrics:
 * it asks each registered metric for `get()` → `{ name, help, type, values }` when scraped.
 */
export function register(registry: Registry, name: string, help: string, type: MetricType, samples: () => Sample[]): void {
  const metric = {
    name,
    help,
    type,
    get: () => ({ name, help, type, values: samples(), aggregator: 'sum' }),
  };
  registry.registerMetric(metric as unknown as Metric);
}

/** The samples of one histogram with `labels`, in the text format's order. */
export function histogramSamples(name: string, labels: Record<string, string>, h: Histogram): Sample[] {
  const out: Sample[] = h.cumulative().map(({ le, count }) => ({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: count }));
  out.push({ metricName: `${name}_sum`, labels, value: h.sum });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
  return out;
}
