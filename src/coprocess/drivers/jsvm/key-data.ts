import { storageKey } from '../../../auth/key-hash';
import { candidateStorageKeys } from '../../../auth/key-names';
import type { SessionState } from '../../../pipeline/session';
import type { GatewayConfig } from '../../../config/gateway-config';
import type { SessionStore } from '../../../storage/session-store';

/** What TykGetKeyData / TykSetKeyData need from the gateway. */
export interface KeyDataServices {
  /** The gateway's session store (the LRU-backed one, so the auth cache stays in step). */
  store: SessionStore;
  /** The org of an API, to find org-qualified custom keys as Tyk does. */
  orgForApi(apiId: string): string | undefined;
  /** A key was written: rate/quota counters restart from the new session. */
  onKeyChanged?(storedKey: string): void;
}

type KeyConfig = Pick<GatewayConfig, 'hash_keys' | 'hash_key_function'>;

const NOT_FOUND = JSON.stringify({ status: 'error', message: 'Key not found' });

/** TykGetKeyData(key, apiId): the stored session JSON, or Tyk's not-found error JSON. */
export async function getKeyData(key: string, apiId: string, config: KeyConfig, services: KeyDataServices): Promise<string> {
  const org = apiId ? (services.orgForApi(apiId) ?? '') : '';
  for (const candidate of candidateStorageKeys(key, org, config)) {
    const session = await services.store.get(candidate.storedKey);
    if (session) return JSON.stringify(session);
  }
  return NOT_FOUND;
}

function positive(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * TykSetKeyData(key, sessionJson, suppressReset): create or replace the key named exactly `key`.
 * Unless suppressReset is "1" the quota starts afresh (Tyk resets it); with "1" an existing key
 * keeps its quota counters and its `last_updated`, so rate and quota counting carry on.
 */
export async function setKeyData(key: string, json: string, suppressReset: string, config: KeyConfig, services: KeyDataServices): Promise<void> {
  if (key === '') throw new Error('the key must not be empty');
  let session: SessionState;
  try {
    session = JSON.parse(json) as SessionState;
  } catch {
    throw new Error('failed to decode the session data (expected JSON)');
  }
  if (typeof session !== 'object' || session === null || Array.isArray(session)) throw new Error('the session data must be a JSON object');
  const storedKey = storageKey(key, config);
  const previous = await services.store.get(storedKey);
  const now = Math.floor(Date.now() / 1000);
  if (suppressReset === '1' && previous) {
    for (const field of ['last_updated', 'quota_renews', 'quota_remaining'] as const) {
      if (previous[field] === undefined) delete session[field];
      else session[field] = previous[field] as never;
    }
  } else {
    session.last_updated = String(now);
    session.quota_remaining = session.quota_max ?? 0;
    session.quota_renews = now + positive(session.quota_renewal_rate);
  }
  await services.store.set(storedKey, session, positive(session.session_lifetime));
  services.onKeyChanged?.(storedKey);
}
