import { RedisSessionStore } from '../redis-store';
import type { SessionStore } from '../session-store';
import type { KvStore } from './kv-store';
import { MemoryKvStore } from './memory-kv';
import { RedisKvStore } from './redis-kv';

export * from './kv-store';
export * from './namespaces';
export { MemoryKvStore } from './memory-kv';
export { RedisKvStore } from './redis-kv';

/** The Redis session store under any wrappers (`inner`), if the gateway uses Redis. */
function redisUnder(store: SessionStore | undefined): RedisSessionStore | undefined {
  for (let s: unknown = store; s; s = (s as { inner?: unknown }).inner) {
    if (s instanceof RedisSessionStore) return s;
  }
  return undefined;
}

/**
 * Plugin data lives where the sessions live: in their Redis when the gateway uses one (shared by
 * every node, on the same connection), else in this process. A new backend (an on-disk store) is
 * a file implementing KvStore and a case here.
 */
export function kvStoreFor(sessions: SessionStore | undefined): KvStore {
  const redis = redisUnder(sessions);
  return redis ? new RedisKvStore(redis.client) : new MemoryKvStore();
}
