import type { GatewayConfig } from '../config/gateway-config';
import { decodeTokenJson, normaliseHashFunction, storageKey } from './key-hash';
import { generateToken } from './token';

type NamingConfig = Pick<GatewayConfig, 'hash_keys' | 'hash_key_function'>;

/** generateToken with the gateway's `hash_key_function`, normalised the way Tyk does. */
export function newKeyName(orgId: string, id: string, cfg: Pick<GatewayConfig, 'hash_key_function'>): string {
  return generateToken(orgId, id, normaliseHashFunction(cfg.hash_key_function) || undefined);
}

const MONGO_ID_LENGTH = 24;
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Tyk's TokenOrg: the org a key belongs to, as far as the key itself tells — the `org` of a
 * base64-JSON token, else a leading 24-hex-digit Mongo id (legacy `<org><id>` keys), else "".
 */
export function tokenOrg(key: string): string {
  const json = decodeTokenJson(key);
  if (json && typeof json.org === 'string') return json.org;
  if (key.length > MONGO_ID_LENGTH) {
    const prefix = key.slice(0, MONGO_ID_LENGTH);
    if (HEX.test(prefix)) return prefix;
  }
  return '';
}

/**
 * The key names to try, in order, when a client or admin presents `key` in the context of
 * `orgId`. Tyk stores custom keys under `generateToken(org, key)`, yet clients present the bare
 * custom key, so unless the key already names this org the org-qualified form is tried first
 * and the key as given second.
 */
export function candidateKeyNames(key: string, orgId: string, cfg: Pick<GatewayConfig, 'hash_key_function'>): string[] {
  if (tokenOrg(key) === orgId) return [key];
  const qualified = newKeyName(orgId, key, cfg);
  return qualified === key ? [key] : [qualified, key];
}

/** The same candidates as stored names (hashed with `hash_keys`), paired with the key names. */
export function candidateStorageKeys(key: string, orgId: string, cfg: NamingConfig): { keyName: string; storedKey: string }[] {
  return candidateKeyNames(key, orgId, cfg).map((keyName) => ({ keyName, storedKey: storageKey(keyName, cfg) }));
}
