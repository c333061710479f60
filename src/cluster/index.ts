import type { AuthCache } from '../auth/auth-cache';
import type { SessionLimiter } from '../auth/limits';
import type { GatewayConfig } from '../config/gateway-config';
import { logger } from '../log/logger';
import { createRedisClient } from '../storage/redis-connection';
import { RedisSessionStore } from '../storage/redis-store';
import type { SessionStore } from '../storage/session-store';
import { ClusterBus, type ClusterHandlers } from './cluster-bus';

export { ClusterBus, applyNotification } from './cluster-bus';
export { WorkerLink } from './worker-link';
export * from './notification';

/** What a notification acts on: the gateway's reload and its node-local session state. */
export interface ClusterNode {
  reload(): Promise<unknown>;
  readonly authCache: AuthCache;
  readonly limiter: SessionLimiter;
}

const log = logger.child({ component: 'cluster' });

/** What a notification does to this gateway, whether it came from another node or another worker. */
export function nodeHandlers(node: ClusterNode): ClusterHandlers {
  // Gateway.reload coalesces: a burst of notifications costs one running and one queued reload.
  const reload = () =>
    node.reload().catch((err: Error) => log.error({ err: err.message }, 'reload after a cluster notification failed'));
  return {
    reload,
    keysChanged: (keys) => {
      for (const key of keys) {
        node.authCache.delete(key);
        node.limiter.forget(key);
      }
    },
    resync: () => {
      // Keys changed and reloads requested during the gap were not heard: start over from the store and app_path.
      node.authCache.clear();
      void reload();
    },
  };
}

/**
 * Join the cluster when sessions live in Redis (other nodes can only share state through it);
 * undefined for the memory store, where the node is alone. The store must be connected already.
 */
export async function startClusterBus(
  config: Pick<GatewayConfig, 'node_secret' | 'allow_insecure_configs'>,
  store: SessionStore,
  node: ClusterNode,
): Promise<ClusterBus | undefined> {
  if (!(store instanceof RedisSessionStore)) return undefined;
  if (!config.node_secret && !config.allow_insecure_configs) {
    log.warn('node_secret is not set: cluster notifications are signed with an empty secret, so anyone who can publish to this Redis can make nodes reload or drop cached keys');
  }
  const bus = new ClusterBus({
    publisher: store.client,
    subscriber: createRedisClient(store.target, 'subscriber'),
    nodeSecret: config.node_secret ?? '',
    allowInsecure: config.allow_insecure_configs,
    handlers: nodeHandlers(node),
  });
  try {
    await bus.start(store.target);
  } catch (err) {
    await bus.close();
    throw err;
  }
  return bus;
}
