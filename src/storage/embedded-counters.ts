import type { Database, RootDatabase } from 'lmdb';
import { type Bucket, type QuotaCounter, QUOTA_EXCEEDED, RATE_LIMITED, consumeQuota, quotaCounterFrom, takeToken } from '../auth/limit-checks';
import type { SharedCounters, TakeOutcome, TakeRequest } from '../auth/shared-counters';
import type { SessionState } from '../pipeline/session';
import { lmdbKey } from './embedded-env';

/** A key's counters as stored: the `last_updated` they were seeded from, the rate bucket, the quota. */
interface Record {
  st: string;
  b?: Bucket;
  q?: QuotaCounter;
  /** Epoch ms of the last request counted: idle records are swept. */
  at: number;
  /** The rate window in ms, so the sweep keeps a record at least that long. */
  p?: number;
}

const SWEEP_INTERVAL_MS = 60_000;
const IDLE_MS = 10 * 60_000;

/**
 * Rate buckets and quota counters in the embedded store's `counters` environment, shared by every
 * worker. Each take is one LMDB write transaction, run synchronously: the write lock is held by
 * one process at a time, so a read-modify-write can never interleave with another worker's, and
 * the request path needs no promise (about 25 µs of CPU with noSync; see bench/micro/store.mjs).
 * The token bucket and quota arithmetic are limit-checks.ts's, as for the in-process limiter.
 */
export class EmbeddedCounters implements SharedCounters {
  readonly countsRate = true;
  private readonly db: Database<string, string>;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly env: RootDatabase) {
    this.db = env.openDB<string, string>({ name: 'limits', encoding: 'string' });
    this.timer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  take(storedKey: string, session: SessionState, request: TakeRequest): TakeOutcome {
    const k = lmdbKey(storedKey).key;
    const stamp = typeof session.last_updated === 'string' ? session.last_updated : '';
    const { nowMs } = request;
    return this.env.transactionSync(() => {
      let rec = parseRecord(this.db.get(k));
      // A different last_updated: an admin reset the key, and its counters restart from the session.
      if (!rec || rec.st !== stamp) rec = { st: stamp, at: nowMs };
      rec.at = nowMs;
      let outcome: TakeOutcome = { ok: true };
      if (request.rate) {
        const { rate, per } = request.rate;
        rec.b ??= { tokens: rate < 1 ? 1 : rate, at: nowMs };
        rec.p = per * 1000;
        if (!takeToken(rec.b, rate, per, nowMs)) outcome = { ok: false, failure: RATE_LIMITED };
      }
      if (outcome.ok && request.quota) {
        const { max, renewalRate } = request.quota;
        rec.q ??= quotaCounterFrom(session, max, renewalRate, nowMs / 1000);
        outcome = consumeQuota(rec.q, max, renewalRate, nowMs / 1000) ? { ok: true, quota: { ...rec.q } } : { ok: false, failure: QUOTA_EXCEEDED };
      }
      this.db.putSync(k, JSON.stringify(rec));
      return outcome;
    });
  }

  drop(storedKey: string): void {
    this.db.removeSync(lmdbKey(storedKey).key);
  }

  /** Records idle longer than both IDLE_MS and their rate window go (their quota restarts from the session). */
  sweep(): void {
    const now = Date.now();
    const idle: string[] = [];
    for (const { key, value } of this.db.getRange()) {
      const rec = parseRecord(value);
      if (!rec || now - rec.at > Math.max(IDLE_MS, rec.p ?? 0)) idle.push(key);
    }
    if (idle.length === 0) return;
    this.env.transactionSync(() => {
      for (const k of idle) {
        const rec = parseRecord(this.db.get(k));
        if (!rec || now - rec.at > Math.max(IDLE_MS, rec.p ?? 0)) this.db.removeSync(k);
      }
    });
  }

  close(): void {
    clearInterval(this.timer);
  }
}

function parseRecord(text: string | undefined): Record | undefined {
  if (text === undefined) return undefined;
  try {
    const rec = JSON.parse(text) as Record;
    return typeof rec === 'object' && rec !== null && typeof rec.st === 'string' && typeof rec.at === 'number' ? rec : undefined;
  } catch {
    return undefined;
  }
}
