/**
 * The request path's clock for metrics and the access log. On some VMs a clock read is a system
 * call (≈ 0.3 µs measured on the bench machine, bench/micro/metrics.mjs), so with
 * enable_metrics off and no access log nothing reads it: `now()` is then 0.
 */
let enabled = true;

export function setRequestTiming(on: boolean): void {
  enabled = on;
}

export function now(): number {
  return enabled ? performance.now() : 0;
}
