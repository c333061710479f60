import Redis, { type RedisOptions, ReplyError } from 'ioredis';
import { ConfigError } from '../config/config-error';
import { logger } from '../log/logger';

/** Where Redis is, from the gateway config's `storage` section. */
export interface RedisTarget {
  /** The config file, named in startup errors. */
  source: string;
  host: string;
  port: number;
  username?: string;
  password?: string;
  database?: number;
  /** Tyk's `storage.timeout`, seconds: bounds a connect, a command, and the wait at startup. */
  timeoutSeconds: number;
}

export const DEFAULT_REDIS_PORT = 6379;
export const DEFAULT_REDIS_TIMEOUT_SECONDS = 5;

/**
 * A store command failed because Redis cannot be reached. The request handler answers it with 503
 * and no log line per request: the connection itself logs the outage once (see `watchConnection`).
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the session store is unreachable');
    this.name = 'StoreUnavailableError';
    this.cause = cause;
  }
}

/**
 * Run one Redis command. A reply error is Redis answering (a bug or foreign data) and is thrown
 * as is; anything else means Redis is out of reach: StoreUnavailableError.
 */
export async function redisCommand<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof ReplyError) throw err;
    throw new StoreUnavailableError(err);
  }
}

export function describeTarget(target: Pick<RedisTarget, 'host' | 'port' | 'database'>): string {
  return `${target.host}:${target.port}${target.database ? ` (database ${target.database})` : ''}`;
}

/**
 * A client that never queues commands while disconnected and never resends them: a request must
 * fail within `timeout` and not wait for an outage to end. Reconnection itself goes on forever
 * with a capped back-off, so service resumes by itself once Redis is back.
 */
export function createRedisClient(target: RedisTarget, role: string): Redis {
  const timeoutMs = Math.max(1, Math.round(target.timeoutSeconds * 1000));
  const options: RedisOptions = {
    host: target.host,
    port: target.port,
    username: target.username || undefined,
    password: target.password || undefined,
    db: target.database ?? 0,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    // RESP2 works with every Redis (and Redis-compatible server) Tyk supports, without HELLO.
    protocol: 2,
    connectionName: `isogate-${role}`,
  };
  const client = new Redis(options);
  watchConnection(client, target, role);
  return client;
}

/** Log an outage once when it starts and once when it ends, not on every reconnect attempt. */
function watchConnection(client: Redis, target: RedisTarget, role: string): void {
  const log = logger.child({ component: 'redis', role, redis: describeTarget(target) });
  let wasReady = false;
  let down = false;
  client.on('ready', () => {
    if (down) log.info('Redis connection restored');
    wasReady = true;
    down = false;
  });
  // Without an 'error' listener ioredis prints every failed attempt to the console.
  client.on('error', (err: Error) => {
    if (wasReady && !down) {
      down = true;
      log.warn({ err: err.message }, 'Redis connection lost; reconnecting');
    } else {
      log.debug({ err: err.message }, 'Redis connection error');
    }
  });
  client.on('close', () => {
    if (wasReady && !down && client.status !== 'end') {
      down = true;
      log.warn('Redis connection closed; reconnecting');
    }
  });
}

/**
 * Connect at startup, waiting up to the storage timeout (Redis may be starting next to us). A
 * failure is a ConfigError naming the config keys to check, so the gateway exits before it
 * serves anything rather than half-starting.
 */
export async function connectAtStartup(client: Redis, target: RedisTarget): Promise<void> {
  const budgetMs = Math.max(1, Math.round(target.timeoutSeconds * 1000));
  let lastError: Error | undefined;
  const onError = (err: Error) => {
    lastError = err;
  };
  client.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('ready', onReady);
        reject(lastError ?? new Error(`no answer within ${target.timeoutSeconds} s`));
      }, budgetMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      client.once('ready', onReady);
      // A failed first attempt is retried by the client's retryStrategy until the timer fires.
      client.connect().catch((err: Error) => {
        lastError ??= err;
      });
    });
  } catch (err) {
    client.disconnect();
    throw startupError(target, err as Error);
  } finally {
    client.off('error', onError);
  }
}

function startupError(target: RedisTarget, err: Error): ConfigError {
  const where = describeTarget(target);
  const message = err.message;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(message)) {
    return new ConfigError(`${target.source}: storage.password: Redis at ${where} refused the credentials: ${message}`);
  }
  if (/DB index/i.test(message)) {
    return new ConfigError(`${target.source}: storage.database: Redis at ${where} refused it: ${message}`);
  }
  return new ConfigError(
    `${target.source}: storage.host/storage.port: cannot connect to Redis at ${where} ` +
      `within ${target.timeoutSeconds} s (storage.timeout): ${message}`,
  );
}

/** End a connection: QUIT lets pending replies arrive; a dead link is just dropped. Resolves once closed. */
export async function closeRedis(client: Redis, timeoutMs = 1000): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  if (client.status === 'ready') {
    await Promise.race([client.quit().then(() => undefined, () => undefined), timedOut]);
  }
  // Also stops a pending reconnect timer; a link that is already down may never emit 'end'.
  client.disconnect();
  await Promise.race([ended, timedOut]);
  clearTimeout(timer);
}
