import type { SessionState } from '../pipeline/session';
import type { LimitFailure, QuotaCounter } from './limit-checks';

/** What one request asks of a key's counters; absent parts are not counted. */
export interface TakeRequest {
  /** Tokens per `per` seconds (the session's `rate` / `per`). */
  rate?: { rate: number; per: number };
  /** The session's `quota_max` / `quota_renewal_rate`. */
  quota?: { max: number; renewalRate: number };
  /** Epoch ms. */
  nowMs: number;
}

/** Passed (with the quota counter after this request, if a quota was counted) or refused. */
export type TakeOutcome = { ok: true; quota?: QuotaCounter } | { ok: false; failure: LimitFailure };

/**
 * Rate and quota counters kept where every worker (embedded store) or every node (Redis) counts
 * the same numbers, so a key's limits hold for the gateway as a whole. Each `take` is one atomic
 * step in the shared store: concurrent requests on any worker or node can neither both take the
 * last token nor lose a quota decrement. The session seeds a counter the first time a key is
 * counted (and again after an admin reset changed its `last_updated`).
 */
export interface SharedCounters {
  /** false: only the quota is shared; the rate is counted in this process (Redis without a Redis rate limiter). */
  readonly countsRate: boolean;
  take(storedKey: string, session: SessionState, request: TakeRequest): TakeOutcome | Promise<TakeOutcome>;
  /** The key was deleted: its counters go too (a key created later under the name starts afresh). */
  drop(storedKey: string): void | Promise<void>;
}
