import { EmbeddedSessionStore } from '../embedded-store';
import { RedisSessionStore } from '../redis-store';
import type { SessionStore } from '../session-store';
import type { KvStore } from './kv-store';
import { EmbeddedKvStore } from './embedded-kv';
import { MemoryKvStore } from './memory-kv';
import { RedisKvStore } from './redis-kv';

export * from './kv-store';
export * from './namespaces';
export { EmbeddedKvStore } from './embedded-kv';
export { MemoryKvStore } from './memory-kv';
export { RedisKvStore } from './redis-kv';

/** The session store of class `kind` under any wrappers (`inner`), if the gateway uses one. */
function storeUnder<T>(store: SessionStore | undefined, kind: abstract new (...args: never[]) => T): T | undefined {
  for (let s: unknown = store; s; s = (s as { inner?: unknown }).inner) {
    if (s instanceof kind) return s;
  }
  return undefined;
}

/**
 * Plugin data lives where the sessions live: in their Redis when the gateway uses one (shared by
 * every node, on the same connection), in the embedded store beside them (shared by every worker,
 * kept across restarts), else in this process. A new backend is a file implementing KvStore and a
 * case here.
 */
export function kvStoreFor(sessions: SessionStore | undefined): KvStore {
  const redis = storeUnder(sessions, RedisSessionStore);
  if (redis) return new RedisKvStore(redis.client);
  const embedded = storeUnder(sessions, EmbeddedSessionStore);
  return embedded ? new EmbeddedKvStore(embedded.envs.sessions) : new MemoryKvStore();
}
