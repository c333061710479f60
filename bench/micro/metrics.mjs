// Metrics recording cost (issue 22): everything one request records on the request path when
// enable_metrics is on — its status class and latency, the upstream latency, one hook call's
// latency (looked up by entry, as hook-step.ts does) and a batch size — plus the
// performance.now() calls that time them, in ns per request; also each part alone. Median of 5 runs.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../lib/paths.mjs';
import { emitResult } from './emit.mjs';

const require = createRequire(import.meta.url);
const { ApiMetrics } = require(join(ROOT, 'dist', 'src', 'metrics', 'api-metrics.js'));

const iterations = Number(process.argv[2] ?? 1_000_000);
const metrics = new ApiMetrics('bench');
const entry = { kind: 'pre', name: 'benchPre' };
const hooks = new Map([[entry, metrics.hook('pre', 'benchPre')]]);

function oneRequest(i) {
  const startedAt = performance.now();
  const hookStart = performance.now();
  hooks.get(entry).called(performance.now() - hookStart);
  metrics.batchSize.observe(1);
  const sentAt = performance.now();
  const upstreamMs = performance.now() - sentAt;
  metrics.request(i % 7 === 0 ? 404 : 200, true, performance.now() - startedAt);
  metrics.upstream.observe(upstreamMs / 1000);
}

/** The same records with durations already known: the recorders alone, without the clock. */
function recordsOnly(i) {
  hooks.get(entry).called(0.05);
  metrics.batchSize.observe(1);
  metrics.request(i % 7 === 0 ? 404 : 200, true, 0.4);
  metrics.upstream.observe(0.0003);
}

/** The six clock reads a hooked, proxied request makes for them (src/metrics/clock.ts). */
function clockOnly() {
  let t = 0;
  for (let k = 0; k < 6; k++) t += performance.now();
  return t;
}

function run(fn) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / iterations;
}

function median(fn) {
  run(fn); // warm-up (JIT)
  const runs = [run(fn), run(fn), run(fn), run(fn), run(fn)].sort((a, b) => a - b);
  return runs[2];
}

emitResult({ iterations, nsPerRequest: median(oneRequest), recordsNs: median(recordsOnly), clockNs: median(clockOnly) });
