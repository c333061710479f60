import type { Redis } from 'ioredis';
import type { SessionState } from '../pipeline/session';
import { logger } from '../log/logger';
import {
  type RedisTarget,
  closeRedis,
  connectAtStartup,
  createRedisClient,
  describeTarget,
  redisCommand,
} from './redis-connection';
import type { SessionStore } from './session-store';

/** Tyk keeps sessions under `apikey-<key or key hash>`, so Tyk nodes and isogate share them. */
export const SESSION_KEY_PREFIX = 'apikey-';

const SCAN_BATCH = 1000;

/**
 * Sessions in Redis, as Tyk stores them: the session JSON as a string value, the session
 * lifetime as the key's TTL. Every node of a cluster reads and writes the same keys; the auth LRU
 * in front of this store (CachedSessionStore) is what cluster notifications evict.
 */
export class RedisSessionStore implements SessionStore {
  readonly client: Redis;

  constructor(
    readonly target: RedisTarget,
    client?: Redis,
  ) {
    this.client = client ?? createRedisClient(target, 'store');
  }

  /** Open the connection before the gateway serves; throws a ConfigError naming storage.* if it cannot. */
  connect(): Promise<void> {
    return connectAtStartup(this.client, this.target);
  }

  async get(key: string): Promise<SessionState | undefined> {
    const text = await this.run(() => this.client.get(SESSION_KEY_PREFIX + key));
    if (text === null) return undefined;
    const session = parseSession(text);
    // Another writer (a newer Tyk, a script) may have put something else there: not a session.
    if (!session) logger.warn({ component: 'redis', key: obfuscate(key) }, 'ignoring a stored session that is not a JSON object');
    return session;
  }

  async set(key: string, session: SessionState, ttlSeconds?: number): Promise<void> {
    const name = SESSION_KEY_PREFIX + key;
    const json = JSON.stringify(session);
    const ttl = wholeSeconds(ttlSeconds);
    // A plain SET drops an older TTL, which is what "0 = no expiry" means for an update too.
    await this.run(() => (ttl > 0 ? this.client.set(name, json, 'EX', ttl) : this.client.set(name, json)));
  }

  async setIfExists(key: string, session: SessionState, ttlSeconds?: number): Promise<boolean> {
    const name = SESSION_KEY_PREFIX + key;
    const json = JSON.stringify(session);
    const ttl = wholeSeconds(ttlSeconds);
    const reply = await this.run(() =>
      ttl > 0 ? this.client.set(name, json, 'EX', ttl, 'XX') : this.client.set(name, json, 'XX'),
    );
    return reply === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    return (await this.run(() => this.client.del(SESSION_KEY_PREFIX + key))) > 0;
  }

  /** SCAN rather than KEYS: a shared Redis may hold millions of keys and KEYS blocks it meanwhile. */
  async keys(): Promise<string[]> {
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.run(() =>
        this.client.scan(cursor, 'MATCH', `${SESSION_KEY_PREFIX}*`, 'COUNT', SCAN_BATCH),
      );
      // SCAN may return a key more than once while the keyspace is being rehashed.
      for (const name of batch) found.add(name.slice(SESSION_KEY_PREFIX.length));
      cursor = next;
    } while (cursor !== '0');
    return [...found];
  }

  close(): Promise<void> {
    return closeRedis(this.client);
  }

  toString(): string {
    return `Redis ${describeTarget(this.target)}`;
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    return redisCommand(op);
  }
}

function parseSession(text: string): SessionState | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as SessionState) : undefined;
  } catch {
    return undefined;
  }
}

/** Redis TTLs are whole seconds; a fraction rounds up so a key never expires early. */
function wholeSeconds(ttlSeconds: number | undefined): number {
  return ttlSeconds !== undefined && Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? Math.ceil(ttlSeconds) : 0;
}

function obfuscate(key: string): string {
  return key.length > 4 ? `****${key.slice(-4)}` : '----';
}
