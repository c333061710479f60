import type { GatewayConfig } from '../config/gateway-config-types';
import { ConfigError } from '../config/config-error';
import { MemorySessionStore } from './memory-store';
import type { SessionStore } from './session-store';

export type { SessionStore } from './session-store';
export { MemorySessionStore, cloneJson } from './memory-store';
export type { MemorySessionStoreOptions } from './memory-store';

/**
 * The session store the gateway config asks for. Only the in-process memory store ships in
 * this build: there is no Redis client among the dependencies, so `redis` is refused at startup
 * with a message naming the key rather than half-working.
 */
export function createSessionStore(config: Pick<GatewayConfig, 'storage' | 'source'>): SessionStore {
  const storage = (config.storage ?? { type: 'memory' }) as { type?: unknown };
  const type = storage.type ?? 'memory';
  switch (type) {
    case 'memory':
      return new MemorySessionStore();
    case 'redis':
      throw new ConfigError(
        `${config.source}: storage.type "redis" is not supported in this build (no Redis client is included); ` +
          'use storage.type "memory"',
      );
    default:
      throw new ConfigError(
        `${config.source}: storage.type must be "memory" or "redis", got ${JSON.stringify(type)}`,
      );
  }
}
