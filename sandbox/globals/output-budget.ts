// Token buckets for what a guest sends to the host (log lines, events). They run here, inside
// the isolate, so that output over the budget never crosses the isolate boundary: a hook that
// logs a million lines costs its own isolate a million counter increments, not the host a
// million log writes (issue 13 measured 132k lines per request slowing every other API to 2.4 s).
// State lives in the host-shared meter (OUTPUT_METER), so the bucket and the counts carry over
// when the API's isolate is rebuilt, and the host reads the counts without a call.
import { OUTPUT_METER } from '../../src/protocol/isolate';

const U32 = 2 ** 32;

/**
 * Milliseconds, mod 2^32. The host's clock when it shares one (an atomic read of shared memory),
 * else Date.now, captured before any user code exists: middleware may replace Date.now, the
 * bucket's clock must not move with it.
 */
function clockOf(shared: SharedArrayBuffer | undefined): () => number {
  if (shared) {
    const cell = new Uint32Array(shared);
    const load = Atomics.load;
    return () => load(cell, 0);
  }
  const now = Date.now;
  return () => now() % U32;
}

interface Slots {
  tokens: number;
  refilledAt: number;
  sent: number;
  dropped: number;
}

const LOG_SLOTS: Slots = { tokens: OUTPUT_METER.logTokens, refilledAt: OUTPUT_METER.logRefilledAt, sent: OUTPUT_METER.logsSent, dropped: OUTPUT_METER.logsDropped };
const EVENT_SLOTS: Slots = { tokens: OUTPUT_METER.eventTokens, refilledAt: OUTPUT_METER.eventRefilledAt, sent: OUTPUT_METER.eventsSent, dropped: OUTPUT_METER.eventsDropped };

/**
 * A bucket of `perSecond` tokens (the burst is one second's worth), refilled continuously.
 * Returns whether one item may be sent; either way the item is counted.
 */
function bucket(meter: Float64Array, slots: Slots, perSecond: number, now: () => number): () => boolean {
  const capacity = perSecond;
  return () => {
    const t = now();
    // Modulo 2^32: the clock wraps every 49 days; a gap that long refills the bucket anyway.
    const elapsed = (t - meter[slots.refilledAt] + U32) % U32;
    if (elapsed > 0) {
      meter[slots.tokens] = Math.min(capacity, meter[slots.tokens] + (elapsed * perSecond) / 1000);
      meter[slots.refilledAt] = t;
    }
    if (meter[slots.tokens] >= 1) {
      meter[slots.tokens] -= 1;
      meter[slots.sent] += 1;
      return true;
    }
    meter[slots.dropped] += 1;
    return false;
  };
}

export interface OutputBudget {
  log(): boolean;
  event(): boolean;
}

/** The budget of this isolate; without a host meter (never the case in the gateway) a private one. */
export function createOutputBudget(shared: SharedArrayBuffer | undefined, clock: SharedArrayBuffer | undefined, logLinesPerS: number, eventsPerS: number): OutputBudget {
  const meter = new Float64Array(shared ?? new ArrayBuffer(OUTPUT_METER.length * 8));
  const now = clockOf(clock);
  if (meter[OUTPUT_METER.initialised] !== 1) {
    const t = now();
    meter[OUTPUT_METER.logTokens] = logLinesPerS;
    meter[OUTPUT_METER.eventTokens] = eventsPerS;
    meter[OUTPUT_METER.logRefilledAt] = t;
    meter[OUTPUT_METER.eventRefilledAt] = t;
    meter[OUTPUT_METER.initialised] = 1;
  }
  return { log: bucket(meter, LOG_SLOTS, logLinesPerS, now), event: bucket(meter, EVENT_SLOTS, eventsPerS, now) };
}
