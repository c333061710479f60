import type { SessionState } from '../pipeline/session';
import { Messages } from '../pipeline/errors';

/**
 * Tyk's post-auth checks that need no state besides the session: key inactive/expired
 * (KeyExpired middleware), access rights (AccessRightsCheck), and the arithmetic of the
 * token bucket and the quota counter that `SessionLimiter` keeps per key.
 */

/** Events the gateway fires for a failed check (exact Tyk names). */
export type LimitEvent = 'KeyExpired' | 'QuotaExceeded' | 'RatelimitExceeded' | 'AuthFailure';

export interface LimitPass {
  ok: true;
}

export interface LimitFailure {
  ok: false;
  /** HTTP status for the error reply. */
  status: number;
  /** Client-facing message, the `error` of Tyk's error body. */
  message: string;
  /** Event to fire, if Tyk fires one for this failure (it fires none for access rights). */
  event?: LimitEvent;
  /** `Meta.Message` of that event, as Tyk words it. */
  eventMessage?: string;
}

export type LimitResult = LimitPass | LimitFailure;

// Shared frozen results: the request path allocates nothing to say yes or no.
export const LIMIT_OK: LimitPass = Object.freeze({ ok: true });
export const KEY_INACTIVE: LimitFailure = Object.freeze({
  ok: false,
  status: 403,
  message: Messages.keyInactive,
  event: 'KeyExpired',
  eventMessage: 'Attempted access from inactive key.',
});
export const KEY_EXPIRED: LimitFailure = Object.freeze({
  ok: false,
  status: 401,
  message: Messages.keyExpired,
  event: 'KeyExpired',
  eventMessage: 'Attempted access from expired key.',
});
export const ACCESS_DISALLOWED: LimitFailure = Object.freeze({
  ok: false,
  status: 403,
  message: Messages.accessDisallowed,
});
export const RATE_LIMITED: LimitFailure = Object.freeze({
  ok: false,
  status: 429,
  message: Messages.rateLimited,
  event: 'RatelimitExceeded',
  eventMessage: 'Key Rate Limit Exceeded',
});
export const QUOTA_EXCEEDED: LimitFailure = Object.freeze({
  ok: false,
  status: 403,
  message: Messages.quotaExceeded,
  event: 'QuotaExceeded',
  eventMessage: 'Key Quota Limit Exceeded',
});

/** Inactive first, then expired (`expires` > 0 and in the past, unix seconds), as Tyk orders them. */
export function checkKeyState(session: SessionState, nowSec: number): LimitFailure | undefined {
  if (session.is_inactive === true) return KEY_INACTIVE;
  const expires = session.expires;
  if (typeof expires === 'number' && expires > 0 && nowSec > expires) return KEY_EXPIRED;
  return undefined;
}

/**
 * Empty `access_rights` opens every API. Otherwise this API must be listed, and for a versioned
 * API (pass `version`) the entry's `versions` must include the version requested.
 */
export function checkAccessRights(session: SessionState, apiId: string, version?: string): LimitFailure | undefined {
  const rights = session.access_rights;
  if (!rights) return undefined;
  // for…in stops at the first key: no array allocated just to learn the map is non-empty.
  let empty = true;
  for (const _ in rights) {
    empty = false;
    break;
  }
  if (empty) return undefined;
  if (!Object.prototype.hasOwnProperty.call(rights, apiId)) return ACCESS_DISALLOWED;
  if (version !== undefined) {
    const versions = rights[apiId]?.versions;
    if (!Array.isArray(versions) || !versions.includes(version)) return ACCESS_DISALLOWED;
  }
  return undefined;
}

/** A token bucket: `tokens` available as of `at` (epoch ms). */
export interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Take one request from a bucket that holds up to `rate` requests and refills at `rate` per
 * `per` seconds, continuously. A full burst of `rate` is allowed; once drained, the bucket is
 * full again `per` seconds later. Rejected requests take nothing.
 */
export function takeToken(bucket: Bucket, rate: number, per: number, nowMs: number): boolean {
  // A rate below one per window would otherwise never admit anything.
  const capacity = rate < 1 ? 1 : rate;
  const elapsed = nowMs - bucket.at;
  if (elapsed > 0) {
    bucket.tokens = Math.min(capacity, bucket.tokens + (elapsed / 1000) * (rate / per));
    bucket.at = nowMs;
  } else if (bucket.tokens > capacity) {
    bucket.tokens = capacity;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** The quota counter: requests left in the period, and when the period ends (unix seconds). */
export interface QuotaCounter {
  remaining: number;
  renews: number;
}

/**
 * Count one request against a quota of `max` per `renewalRate` seconds. A passed renewal date
 * starts a new period (only when `renewalRate` > 0: a quota that never renews stays spent).
 * Returns false, changing nothing, when nothing is left.
 */
export function consumeQuota(counter: QuotaCounter, max: number, renewalRate: number, nowSec: number): boolean {
  if (renewalRate > 0 && nowSec > counter.renews) {
    counter.remaining = max;
    counter.renews = Math.floor(nowSec) + renewalRate;
  }
  if (counter.remaining > max) counter.remaining = max;
  if (counter.remaining <= 0) return false;
  counter.remaining -= 1;
  return true;
}

/**
 * The counter a session's stored fields describe. `quota_renews` of 0 means no period has
 * started (a fresh key, or a session returned by an auth plugin), so the full quota is
 * available — as with Tyk, whose counter starts at zero.
 */
export function quotaCounterFrom(session: SessionState, max: number, renewalRate: number, nowSec: number): QuotaCounter {
  const renews = num(session.quota_renews);
  if (renews <= 0) return { remaining: max, renews: Math.floor(nowSec) + (renewalRate > 0 ? renewalRate : 0) };
  const remaining = session.quota_remaining;
  return { remaining: typeof remaining === 'number' ? remaining : max, renews };
}

/** A numeric session field, 0 when absent or not a number. */
export function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
