// The load generator: autocannon in the bench process (never in a measured process), with
// per-response latencies kept at full precision. autocannon's own histogram records whole
// milliseconds, too coarse for p50s of a few ms.
import autocannon from 'autocannon';

/** Value at quantile q (0..1) of an ascending-sorted array (nearest rank). */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function median(values) {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

function cannon(opts, onLatency) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    if (onLatency) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode < 300) onLatency(responseTime);
      });
    }
  });
}

/**
 * Warm up, then measure `url` for `durationS` with `connections` keep-alive connections.
 * `beforeMeasured` (async) runs between the two.
 * Returns req/s (2xx only), p50/p99 latency in ms and every failure count autocannon has.
 */
export async function measure({ url, connections, durationS, warmupS, headers = {}, beforeMeasured }) {
  const base = { url, connections, pipelining: 1, headers, timeout: 10 };
  if (warmupS > 0) await cannon({ ...base, duration: warmupS });
  // E.g. start CPU meters here, so that they cover exactly the measured run.
  await beforeMeasured?.();
  const latencies = [];
  const result = await cannon({ ...base, duration: durationS }, (ms) => latencies.push(ms));
  latencies.sort((a, b) => a - b);
  const ok = result['2xx'];
  return {
    reqPerSec: ok / result.duration,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    meanMs: latencies.reduce((s, v) => s + v, 0) / (latencies.length || 1),
    requests: result.requests.total,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationS: result.duration,
  };
}
