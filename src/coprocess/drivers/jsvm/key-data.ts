import { storageKey } from '../../../auth/key-hash';
import { candidateStorageKeys } from '../../../auth/key-names';
import { findOwnKey, resolveOwnKey, stampOrg } from '../../../auth/key-org';
import { applyKeyWrite } from '../../../auth/key-update';
import { positiveOrZero } from '../../../util/numbers';
import type { SessionState } from '../../../pipeline/session';
import type { GatewayConfig } from '../../../config/gateway-config';
import type { SessionStore } from '../../../storage/session-store';

/** What TykGetKeyData / TykSetKeyData need from the gateway. */
export interface KeyDataServices {
  /** The gateway's session store (the LRU-backed one, so the auth cache stays in step). */
  store: SessionStore;
  /** The org of an API, to find org-qualified custom keys as Tyk does (`jsvm_key_access: "global"`). */
  orgForApi(apiId: string): string | undefined;
  /** A key was written: rate/quota counters restart from the new session. */
  onKeyChanged?(storedKey: string): unknown;
}

/** The API whose plugin calls: with `jsvm_key_access: "org"` it sees only its org's keys. */
export interface KeyDataCaller {
  apiId: string;
  orgId: string;
}

type KeyConfig = Pick<GatewayConfig, 'hash_keys' | 'hash_key_function' | 'jsvm_key_access'>;

const NOT_FOUND = JSON.stringify({ status: 'error', message: 'Key not found' });

/**
 * TykGetKeyData(key, apiId): the stored session JSON, or Tyk's not-found error JSON. By default
 * (`jsvm_key_access: "org"`) only a key of the calling API's org is found, whatever `apiId` says;
 * `"global"` is Tyk's: any key, custom keys qualified by `apiId`'s org.
 */
export async function getKeyData(key: string, apiId: string, caller: KeyDataCaller, config: KeyConfig, services: KeyDataServices): Promise<string> {
  const read = (storedKey: string) => services.store.get(storedKey);
  if (config.jsvm_key_access !== 'global') {
    const session = await findOwnKey(key, caller.orgId, config, read);
    return session ? JSON.stringify(session) : NOT_FOUND;
  }
  const org = apiId ? (services.orgForApi(apiId) ?? '') : '';
  for (const candidate of candidateStorageKeys(key, org, config)) {
    const session = await read(candidate.storedKey);
    if (session) return JSON.stringify(session);
  }
  return NOT_FOUND;
}

/**
 * TykSetKeyData(key, sessionJson, suppressReset): create or replace a key, with the management
 * API's update rules (key-update.ts); "1" keeps an existing key's quota counters. By default the
 * key is one of the calling API's org (key-org.ts: the org's own key under that name, else a new
 * one in its name space) and the session is stamped with that org; another org's key is never
 * touched. `"global"` is Tyk's: exactly the name given, the session as given.
 */
export async function setKeyData(key: string, json: string, suppressReset: string, caller: KeyDataCaller, config: KeyConfig, services: KeyDataServices): Promise<void> {
  if (key === '') throw new Error('the key must not be empty');
  let session: SessionState;
  try {
    session = JSON.parse(json) as SessionState;
  } catch {
    throw new Error('failed to decode the session data (expected JSON)');
  }
  if (typeof session !== 'object' || session === null || Array.isArray(session)) throw new Error('the session data must be a JSON object');
  const read = (storedKey: string) => services.store.get(storedKey);
  let storedKey: string;
  let previous: SessionState | undefined;
  if (config.jsvm_key_access === 'global') {
    storedKey = storageKey(key, config);
    previous = await read(storedKey);
  } else {
    ({ storedKey, previous } = await resolveOwnKey(key, caller.orgId, config, read));
    stampOrg(session, caller.orgId);
  }
  applyKeyWrite(session, previous, { suppressReset: suppressReset === '1', nowMs: Date.now() });
  await services.store.set(storedKey, session, positiveOrZero(session.session_lifetime));
  await services.onKeyChanged?.(storedKey);
}
