import { logger } from '../../../log/logger';
import { OUTPUT_CLOCK_MS, OUTPUT_METER } from '../../../protocol/isolate';

/**
 * Guest output budgets, host side. Each API has one meter: a SharedArrayBuffer that every
 * isolate of the API gets at boot (sandbox/globals/output-budget.ts keeps its token buckets and
 * counters in it). The buckets run inside the isolate, so output over the budget never reaches
 * the host; the host only reads the counters, without entering the isolate. One meter per API
 * id for the life of the process: counts carry over reloads and isolate rebuilds.
 */
const meters = new Map<string, Float64Array>();

let clock: Uint32Array | undefined;

/**
 * The clock every isolate's budgets read (BOOT_GLOBALS.clock): one shared cell the host stores
 * the time in every OUTPUT_CLOCK_MS, from an unref'd timer started with the first isolate.
 */
export function outputClock(): SharedArrayBuffer {
  if (!clock) {
    const cell = new Uint32Array(new SharedArrayBuffer(Uint32Array.BYTES_PER_ELEMENT));
    const tick = () => Atomics.store(cell, 0, Date.now() % 2 ** 32);
    tick();
    setInterval(tick, OUTPUT_CLOCK_MS).unref();
    clock = cell;
  }
  return clock.buffer as SharedArrayBuffer;
}

/** The shared buffer of `apiId`'s meter, created on first use. */
export function outputMeter(apiId: string): SharedArrayBuffer {
  let meter = meters.get(apiId);
  if (!meter) {
    meter = new Float64Array(new SharedArrayBuffer(OUTPUT_METER.length * Float64Array.BYTES_PER_ELEMENT));
    meters.set(apiId, meter);
  }
  return meter.buffer as SharedArrayBuffer;
}

export interface OutputCounts {
  log_lines: number;
  log_lines_dropped: number;
  events: number;
  events_dropped: number;
}

function read(meter: Float64Array): OutputCounts {
  return {
    log_lines: meter[OUTPUT_METER.logsSent]!,
    log_lines_dropped: meter[OUTPUT_METER.logsDropped]!,
    events: meter[OUTPUT_METER.eventsSent]!,
    events_dropped: meter[OUTPUT_METER.eventsDropped]!,
  };
}

/** What `apiId`'s middleware sent and had dropped so far (undefined: no isolate ever ran). */
export function outputCounts(apiId: string): OutputCounts | undefined {
  const meter = meters.get(apiId);
  return meter && read(meter);
}

/** Totals over every API, and the APIs that had output dropped (for /tyk/stats). */
export function outputSummary(): OutputCounts & { dropping_apis: Record<string, OutputCounts> } {
  const total: OutputCounts = { log_lines: 0, log_lines_dropped: 0, events: 0, events_dropped: 0 };
  const dropping: Record<string, OutputCounts> = {};
  for (const [apiId, meter] of meters) {
    const c = read(meter);
    total.log_lines += c.log_lines;
    total.log_lines_dropped += c.log_lines_dropped;
    total.events += c.events;
    total.events_dropped += c.events_dropped;
    if (c.log_lines_dropped > 0 || c.events_dropped > 0) dropping[apiId] = c;
  }
  return { ...total, dropping_apis: dropping };
}

let reports: { intervalMs: number; timer: NodeJS.Timeout } | undefined;

/**
 * One warning per interval per API whose middleware had output dropped in that interval (the
 * isolate drivers call this when they build an isolate). The timer reads counters only; it
 * never enters an isolate, and it does not keep the process alive.
 */
export function ensureOutputDropReports(intervalMs: number): void {
  if (reports?.intervalMs === intervalMs) return;
  if (reports) clearInterval(reports.timer);
  const log = logger.child({ component: 'isolate' });
  const seen = new Map<string, { logs: number; events: number }>();
  const timer = setInterval(() => {
    for (const [apiId, meter] of meters) {
      const logs = meter[OUTPUT_METER.logsDropped]!;
      const events = meter[OUTPUT_METER.eventsDropped]!;
      const before = seen.get(apiId) ?? { logs: 0, events: 0 };
      if (logs === before.logs && events === before.events) continue;
      seen.set(apiId, { logs, events });
      const newLogs = logs - before.logs;
      const newEvents = events - before.events;
      log.warn(
        { api_id: apiId, log_lines_dropped: newLogs, events_dropped: newEvents, total_log_lines_dropped: logs, total_events_dropped: events, interval_s: intervalMs / 1000 },
        `api ${apiId}: middleware output over its budget: dropped ${newLogs} log lines and ${newEvents} events in the last ${intervalMs / 1000} s`,
      );
    }
  }, intervalMs);
  timer.unref();
  reports = { intervalMs, timer };
}
