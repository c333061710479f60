import type { GatewayConfig } from '../config/gateway-config';
import { ConfigError } from '../config/config-error';
import { EmbeddedSessionStore } from './embedded-store';
import { MemorySessionStore } from './memory-store';
import { DEFAULT_REDIS_PORT, DEFAULT_REDIS_TIMEOUT_SECONDS } from './redis-connection';
import { RedisSessionStore } from './redis-store';
import type { SessionStore } from './session-store';
import type { SharedCounters } from '../auth/shared-counters';
import { RedisCounters, type RedisRateLimiters } from './redis-counters';

export type { SessionStore } from './session-store';
export { MemorySessionStore, cloneJson } from './memory-store';
export type { MemorySessionStoreOptions } from './memory-store';
export { RedisSessionStore, SESSION_KEY_PREFIX } from './redis-store';
export { EmbeddedSessionStore } from './embedded-store';
export { StoreUnavailableError } from './redis-connection';

/**
 * The session store the gateway config asks for. A Redis store is created unconnected:
 * `connectSessionStore` opens it before the gateway serves, so a constructor never does I/O.
 */
export function createSessionStore(config: Pick<GatewayConfig, 'storage' | 'source'>): SessionStore {
  const storage = (config.storage ?? { type: 'memory' }) as { type?: unknown };
  const type = storage.type ?? 'memory';
  switch (type) {
    case 'memory':
      return new MemorySessionStore();
    case 'embedded':
      // parseGatewayConfig resolves storage.path for the embedded store.
      return EmbeddedSessionStore.open(config.storage.path ?? '', config.source);
    case 'redis': {
      const redis = config.storage;
      refuseUnsupported(config.source, redis as Record<string, unknown>);
      return new RedisSessionStore({
        source: config.source,
        // parseGatewayConfig requires storage.host for redis.
        host: redis.host ?? '',
        port: redis.port ?? DEFAULT_REDIS_PORT,
        username: redis.username,
        password: redis.password,
        database: redis.database,
        timeoutSeconds: redis.timeout && redis.timeout > 0 ? redis.timeout : DEFAULT_REDIS_TIMEOUT_SECONDS,
      });
    }
    default:
      throw new ConfigError(
        `${config.source}: storage.type must be "embedded", "memory" or "redis", got ${JSON.stringify(type)}`,
      );
  }
}

/**
 * Tyk options this build cannot honour. Connecting to one node of a Redis Cluster, or in clear
 * text to a TLS port, would fail later and obscurely; say so at startup instead.
 */
function refuseUnsupported(source: string, storage: Record<string, unknown>): void {
  for (const key of ['enable_cluster', 'use_ssl']) {
    if (storage[key] === true) {
      throw new ConfigError(`${source}: storage.${key}: is not supported by isogate (a single Redis node without TLS only)`);
    }
  }
}

/** Open a networked store (no-op for memory); throws a ConfigError naming storage.* when it cannot. */
export async function connectSessionStore(store: SessionStore): Promise<void> {
  if (store instanceof RedisSessionStore) await store.connect();
}

/** Counters every worker or node shares, when the store has them (embedded, Redis); undefined for memory. */
export function sharedCountersOf(store: SessionStore, limiters: RedisRateLimiters): SharedCounters | undefined {
  if (store instanceof EmbeddedSessionStore) return store.counters;
  if (store instanceof RedisSessionStore) return new RedisCounters(store.client, limiters);
  return undefined;
}
