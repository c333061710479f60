import { logger } from '../log/logger';
import type { SessionStore } from '../storage/session-store';
import type { SessionState } from '../pipeline/session';
import {
  type Bucket,
  type LimitResult,
  type QuotaCounter,
  LIMIT_OK,
  QUOTA_EXCEEDED,
  RATE_LIMITED,
  checkAccessRights,
  checkKeyState,
  consumeQuota,
  num,
  quotaCounterFrom,
  takeToken,
} from './limit-checks';
import type { SharedCounters, TakeOutcome } from './shared-counters';

export * from './limit-checks';

/** A store that can write only if the key still exists (memory store; Redis `SET … XX`). */
type CounterStore = SessionStore & {
  setIfExists?(key: string, session: SessionState, ttlSeconds?: number): Promise<boolean>;
};

export interface LimitCheck {
  /** The name the session is stored under (after hashing): rate and quota are counted per key. */
  storedKey: string;
  /** The request's session. Its `quota_remaining`/`quota_renews` are updated in place. */
  session: SessionState;
  apiId: string;
  /** Only for versioned APIs: the version requested, which the key's access rights must list. */
  version?: string;
  /** TTL (session lifetime, seconds) the counters are written back with; 0/absent = none. */
  ttlSeconds?: number;
  /** The API's `disable_rate_limit` / `disable_quota`. */
  disableRateLimit?: boolean;
  disableQuota?: boolean;
}

export interface SessionLimiterOptions {
  /** Where sessions live; quota counters are written back into them. */
  store: SessionStore;
  /** Clock, epoch ms (tests inject one). */
  now?: () => number;
  /** Per-key state idle this long (and longer than the key's `per`) is dropped, then re-read from the session. */
  idleMs?: number;
  /**
   * Counters shared by every worker or node (embedded store, Redis). Absent: counted in this
   * process, which is exact only while this process is the only one serving the keys.
   */
  counters?: SharedCounters;
  /** Called when a counter write-back fails; default logs a warning. */
  onPersistError?: (error: unknown, storedKey: string) => void;
}

interface KeyState {
  /** `last_updated` of the session this state was seeded from; an admin update changes it. */
  stamp: string;
  bucket: Bucket;
  perMs: number;
  quota: QuotaCounter | undefined;
  seenAt: number;
  /** A write-back is queued; later requests only update the numbers it will write. */
  writeQueued: boolean;
  ttlSeconds: number | undefined;
}

/**
 * Tyk's post-auth chain for a session: key inactive/expired, access rights, rate limit, quota.
 *
 * Rate and quota counters live here, per stored key, and are updated synchronously: Node runs
 * one request's check at a time, so concurrent requests of one key can neither both take the
 * last token nor lose a quota decrement, whatever the store. The quota counter is written back
 * into the stored session (`quota_remaining`, `quota_renews`) after the check, coalesced per
 * key, onto the session as currently stored — never the request's possibly stale copy, so an
 * admin update made meanwhile is not overwritten. The rate bucket stays in memory, like Tyk's
 * default in-process limiter.
 *
 * Call `forget(storedKey)` when a key is updated or deleted through the management API so the
 * next request starts from the new session (the keys router's `onKeyChanged` is the place).
 */
export class SessionLimiter {
  private readonly store: CounterStore;
  private readonly now: () => number;
  private readonly idleMs: number;
  private readonly onPersistError: (error: unknown, storedKey: string) => void;
  private readonly states = new Map<string, KeyState>();
  private readonly counters: SharedCounters | undefined;
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(options: SessionLimiterOptions) {
    this.store = options.store as CounterStore;
    this.now = options.now ?? Date.now;
    this.idleMs = options.idleMs ?? 10 * 60_000;
    this.counters = options.counters;
    this.onPersistError =
      options.onPersistError ??
      ((error, storedKey) =>
        logger.warn({ component: 'limits', err: error, key: obfuscate(storedKey) }, 'could not write quota counters back'));
    this.timer = setInterval(() => this.sweep(), Math.max(1000, Math.min(this.idleMs, 60_000)));
    this.timer.unref();
  }

  /**
   * Run every check, in Tyk's order. Synchronous unless the shared counters are networked
   * (Redis): in-process and embedded counters answer without a promise.
   */
  check(c: LimitCheck): LimitResult | Promise<LimitResult> {
    const nowMs = this.now();
    const nowSec = nowMs / 1000;
    const session = c.session;

    const keyFailure = checkKeyState(session, nowSec) ?? checkAccessRights(session, c.apiId, c.version);
    if (keyFailure) return keyFailure;

    const rate = num(session.rate);
    const per = num(session.per);
    const rateLimited = !c.disableRateLimit && rate > 0 && per > 0;
    const quotaMax = num(session.quota_max);
    const quotaLimited = !c.disableQuota && quotaMax > 0;
    if (!rateLimited && !quotaLimited) return LIMIT_OK;

    if (this.counters) {
      const shared = this.counters;
      if (rateLimited && !shared.countsRate) {
        const state = this.stateFor(c.storedKey, session, nowMs);
        state.perMs = per * 1000;
        if (!takeToken(state.bucket, rate, per, nowMs)) return RATE_LIMITED;
        if (!quotaLimited) return LIMIT_OK;
      }
      const outcome = shared.take(c.storedKey, session, {
        nowMs,
        rate: rateLimited && shared.countsRate ? { rate, per } : undefined,
        quota: quotaLimited ? { max: quotaMax, renewalRate: num(session.quota_renewal_rate) } : undefined,
      });
      return outcome instanceof Promise ? outcome.then((o) => this.settle(c, o, nowMs)) : this.settle(c, outcome, nowMs);
    }
    const state = this.stateFor(c.storedKey, session, nowMs);
    if (rateLimited) {
      state.perMs = per * 1000;
      if (!takeToken(state.bucket, rate, per, nowMs)) return RATE_LIMITED;
    }
    if (quotaLimited) {
      const renewalRate = num(session.quota_renewal_rate);
      state.quota ??= quotaCounterFrom(session, quotaMax, renewalRate, nowSec);
      if (!consumeQuota(state.quota, quotaMax, renewalRate, nowSec)) return QUOTA_EXCEEDED;
      session.quota_remaining = state.quota.remaining;
      session.quota_renews = state.quota.renews;
      this.queueWrite(c.storedKey, state, c.ttlSeconds);
    }
    return LIMIT_OK;
  }

  /** A shared count's outcome: the quota left goes into the request's session and, coalesced, the stored one. */
  private settle(c: LimitCheck, outcome: TakeOutcome, nowMs: number): LimitResult {
    if (!outcome.ok) return outcome.failure;
    if (outcome.quota) {
      c.session.quota_remaining = outcome.quota.remaining;
      c.session.quota_renews = outcome.quota.renews;
      const state = this.stateFor(c.storedKey, c.session, nowMs);
      state.quota = outcome.quota;
      this.queueWrite(c.storedKey, state, c.ttlSeconds);
    }
    return LIMIT_OK;
  }

  /** The key was deleted: its shared counters go (a key made later under its name starts afresh). */
  async dropShared(storedKey: string): Promise<void> {
    await this.counters?.drop(storedKey);
  }

  /** Drop the counters of a key (it was updated or deleted); the next request re-reads its session. */
  forget(storedKey: string): void {
    this.states.delete(storedKey);
  }

  /** Resolves once every queued counter write-back has finished. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Stop the housekeeping timer and drop all state (after a final flush, if wanted). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.states.clear();
  }

  /** Remove state of keys idle longer than both `idleMs` and their rate window. */
  sweep(): void {
    const now = this.now();
    for (const [key, state] of this.states) {
      if (!state.writeQueued && now - state.seenAt > Math.max(this.idleMs, state.perMs)) this.states.delete(key);
    }
  }

  private stateFor(storedKey: string, session: SessionState, nowMs: number): KeyState {
    const stamp = typeof session.last_updated === 'string' ? session.last_updated : '';
    let state = this.states.get(storedKey);
    // A different last_updated means the key was reset by an admin (Tyk starts a new rate
    // window then too); suppress_reset keeps last_updated, and with it these counters.
    if (!state || state.stamp !== stamp) {
      state = {
        stamp,
        bucket: { tokens: Number.POSITIVE_INFINITY, at: nowMs },
        perMs: 0,
        quota: undefined,
        seenAt: nowMs,
        writeQueued: false,
        ttlSeconds: undefined,
      };
      this.states.set(storedKey, state);
    }
    state.seenAt = nowMs;
    return state;
  }

  private queueWrite(storedKey: string, state: KeyState, ttlSeconds: number | undefined): void {
    state.ttlSeconds = ttlSeconds;
    if (state.writeQueued) return;
    state.writeQueued = true;
    // One write per key per turn of the event loop carries the latest numbers of all the
    // requests that counted in between.
    const write = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.write(storedKey, state))
      .catch((error: unknown) => this.onPersistError(error, storedKey))
      .finally(() => {
        state.writeQueued = false;
        this.pending.delete(write);
      });
    this.pending.add(write);
  }

  private async write(storedKey: string, state: KeyState): Promise<void> {
    if (!state.quota) return;
    const stored = await this.store.get(storedKey);
    // Deleted (nothing to update), or replaced by an admin since: the new session's own
    // counters win. The next request carrying the new session re-seeds from it (stamp differs).
    if (!stored || (typeof stored.last_updated === 'string' ? stored.last_updated : '') !== state.stamp) return;
    stored.quota_remaining = state.quota.remaining;
    stored.quota_renews = state.quota.renews;
    if (this.store.setIfExists) await this.store.setIfExists(storedKey, stored, state.ttlSeconds);
    else await this.store.set(storedKey, stored, state.ttlSeconds);
  }
}

/** Enough of a key to correlate log lines, not enough to use it (Tyk logs keys the same way). */
function obfuscate(key: string): string {
  return key.length > 4 ? `****${key.slice(-4)}` : '----';
}
