import type { SessionState } from '../pipeline/session';

/**
 * Where sessions live, keyed by the stored key name (the raw key, or its hash with `hash_keys`).
 * Memory is the default; every method is async so a networked store fits behind the same shape.
 */
export interface SessionStore {
  get(key: string): Promise<SessionState | undefined>;
  /** ttlSeconds 0 or undefined: no expiry. */
  set(key: string, session: SessionState, ttlSeconds?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Write only if the key still exists (Redis `SET … XX`): counter write-backs must not resurrect a deleted key. */
  setIfExists?(key: string, session: SessionState, ttlSeconds?: number): Promise<boolean>;
  keys(): Promise<string[]>;
  close(): Promise<void>;
}
