import type { SessionState } from '../pipeline/session';
import { positiveOrZero } from '../util/numbers';

// Tyk's rules for writing a key, in one place for every writer outside the request path: the
// management API (POST/PUT /tyk/keys) and a JSVM plugin's TykSetKeyData.

export interface KeyWrite {
  /** Tyk's `suppress_reset=1` (TykSetKeyData's "1"): an existing key keeps its counters. */
  suppressReset: boolean;
  /** Epoch ms. */
  nowMs: number;
}

/**
 * Stamp `next` (the session about to be stored) from `prev` (what the key holds now, undefined
 * for a new key), in place:
 * - a new key gets its creation date, and a full quota unless the body says how much is left;
 * - an update keeps the creation date; with suppressReset it keeps `last_updated` and the quota
 *   counters, else it starts a new quota period;
 * - an `expires` already past keeps the previous expiry;
 * - a body without basic-auth credentials keeps the previous ones.
 */
export function applyKeyWrite(next: SessionState, prev: SessionState | undefined, write: KeyWrite): void {
  const nowSec = Math.floor(write.nowMs / 1000);
  if (!prev) {
    next.date_created = new Date(write.nowMs).toISOString();
    next.last_updated = String(nowSec);
    if (next.quota_remaining === undefined) next.quota_remaining = next.quota_max ?? 0;
    next.quota_renews = nowSec + positiveOrZero(next.quota_renewal_rate);
    return;
  }
  if (prev.date_created !== undefined) next.date_created = prev.date_created;
  if (write.suppressReset) {
    copyField(next, prev, 'last_updated');
    copyField(next, prev, 'quota_renews');
    copyField(next, prev, 'quota_remaining');
  } else {
    next.last_updated = String(nowSec);
    next.quota_remaining = next.quota_max ?? 0;
    next.quota_renews = nowSec + positiveOrZero(next.quota_renewal_rate);
  }
  if (typeof next.expires === 'number' && next.expires > 1 && next.expires < nowSec) next.expires = prev.expires ?? 0;
  if (!next.basic_auth_data?.password && prev.basic_auth_data?.password) next.basic_auth_data = prev.basic_auth_data;
}

function copyField(next: SessionState, prev: SessionState, field: keyof SessionState & string): void {
  if (prev[field] === undefined) delete next[field];
  else next[field] = prev[field];
}

