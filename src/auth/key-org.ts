import type { GatewayConfig } from '../config/gateway-config';
import type { SessionState } from '../pipeline/session';
import { candidateStorageKeys } from './key-names';

// Keys belong to an org. Tyk names a custom key `<org><key>` (or a base64 token naming the org)
// and finds a presented key by trying `<api org><key>` first, then the key as given; so a plugin
// of org "evil" that stores a session under "acmeMINTED" has minted a key that org "acme"'s APIs
// find for "MINTED" — and Tyk lets a session of one org into another org's API whenever its
// access_rights allow (empty ones allow all). isogate closes both ends:
// - a plugin's keys resolve within its API's org: another org's key is invisible to it, and a
//   new key is named in its own org's name space (`resolveOwnKey`), stamped with its org;
// - every auth path refuses a session whose org_id is set and is not the API's (`orgMayUse`).

/** Auth paths: a session serves an API of `orgId` unless it names another org. Tyk has no such check. */
export function orgMayUse(session: SessionState, orgId: string): boolean {
  return !session.org_id || session.org_id === orgId;
}

/** Plugin reads and writes: the key is `orgId`'s own (a key without org_id belongs to the org-less). */
export function ownedBy(session: SessionState, orgId: string): boolean {
  return (session.org_id ?? '') === orgId;
}

/** A session a plugin created or updated belongs to its API's org, whatever the plugin claimed. */
export function stampOrg(session: SessionState, orgId: string): void {
  if (orgId) session.org_id = orgId;
  else delete session.org_id;
}

/** Every name a plugin of the org could mean is held by another org's key. */
export class ForeignKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForeignKeyError';
  }
}

export interface OwnKey {
  keyName: string;
  storedKey: string;
  /** The org's session stored there now, if any. */
  previous?: SessionState;
}

type KeyConfig = Pick<GatewayConfig, 'hash_keys' | 'hash_key_function'>;

/**
 * Where a plugin of `orgId` may store the session for `key`, looking at the names a client's
 * `key` is found under (Tyk's order: org-qualified, then as given): the first that holds a key of
 * this org is replaced; else the session is new, under the first name no other org holds (the
 * org-qualified one unless legacy names collide). Throws ForeignKeyError when every name is taken
 * by other orgs.
 */
export async function resolveOwnKey(
  key: string,
  orgId: string,
  config: KeyConfig,
  read: (storedKey: string) => Promise<SessionState | undefined>,
): Promise<OwnKey> {
  const candidates = candidateStorageKeys(key, orgId, config);
  let free: OwnKey | undefined;
  for (const candidate of candidates) {
    const previous = await read(candidate.storedKey);
    if (!previous) free ??= candidate;
    else if (ownedBy(previous, orgId)) return { ...candidate, previous };
  }
  if (free) return free;
  throw new ForeignKeyError(`every name for this key belongs to another org than "${orgId}"`);
}

/**
 * The org's own session at `key` among the names it is found under, or undefined: what a plugin
 * of `orgId` may read. Another org's key is not found, whatever name is given.
 */
export async function findOwnKey(
  key: string,
  orgId: string,
  config: KeyConfig,
  read: (storedKey: string) => Promise<SessionState | undefined>,
): Promise<SessionState | undefined> {
  for (const candidate of candidateStorageKeys(key, orgId, config)) {
    const session = await read(candidate.storedKey);
    if (session && ownedBy(session, orgId)) return session;
  }
  return undefined;
}
