import { positiveOrZero } from '../../util/numbers';
import type { Redis } from 'ioredis';
import { redisCommand } from '../redis-connection';
import { KvNotANumberError, type KvNamespace, KvQuotaError, type KvSetOptions, type KvStore, type KvUsage } from './kv-store';

// A quota namespace keeps, next to its values (plain string keys `prefix + key`, native TTLs,
// readable by anything that reads Redis), an index under `meta`: a sorted set of its keys scored
// by expiry time (`+inf` for none), a hash of each key's size, and the byte total. Scripts update
// values and index together, atomically, and first drop what has expired by Redis' own clock
// (TIME, the clock PX expiry uses), so counts stay exact across nodes and restarts.
// KEYS: 1 index, 2 sizes, 3 bytes. ARGV[1] the value prefix; the rest per script.
const PURGE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #gone > 0 then
  local freed = 0
  for _, m in ipairs(gone) do
    freed = freed + (tonumber(redis.call('HGET', KEYS[2], m)) or 0)
    redis.call('HDEL', KEYS[2], m)
    redis.call('ZREM', KEYS[1], m)
    redis.call('DEL', ARGV[1] .. m)
  end
  redis.call('DECRBY', KEYS[3], freed)
end
`;

// ARGV: 2 key, 3 value, 4 ttl ms (0 none), 5 max keys, 6 max bytes, 7 "1" = only if absent.
// Returns 1 written, 0 present (only-if-absent), -1 over the key quota, -2 over the byte quota.
const SET = `${PURGE}
local key, value, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4])
local old = tonumber(redis.call('HGET', KEYS[2], key))
if old and ARGV[7] == '1' then return 0 end
if not old and redis.call('ZCARD', KEYS[1]) + 1 > tonumber(ARGV[5]) then return -1 end
local size = #key + #value
local bytes = tonumber(redis.call('GET', KEYS[3]) or '0')
if bytes - (old or 0) + size > tonumber(ARGV[6]) then return -2 end
if ttl > 0 then
  redis.call('SET', ARGV[1] .. key, value, 'PX', ttl)
  redis.call('ZADD', KEYS[1], now + ttl, key)
else
  redis.call('SET', ARGV[1] .. key, value)
  redis.call('ZADD', KEYS[1], '+inf', key)
end
redis.call('HSET', KEYS[2], key, size)
redis.call('INCRBY', KEYS[3], size - (old or 0))
return 1
`;

// ARGV: 2 key, 3 ttl ms for a new key, 4 max keys, 5 max bytes. Returns {status, value}.
const INCR = `${PURGE}
local key, ttl = ARGV[2], tonumber(ARGV[3])
local old = tonumber(redis.call('HGET', KEYS[2], key))
local current = redis.call('GET', ARGV[1] .. key)
if current and not string.match(current, '^%-?%d+$') then return {-3, 0} end
if not old and redis.call('ZCARD', KEYS[1]) + 1 > tonumber(ARGV[4]) then return {-1, 0} end
local nextValue = tostring((tonumber(current) or 0) + 1)
local size = #key + #nextValue
local bytes = tonumber(redis.call('GET', KEYS[3]) or '0')
if bytes - (old or 0) + size > tonumber(ARGV[5]) then return {-2, 0} end
if old then
  redis.call('SET', ARGV[1] .. key, nextValue, 'KEEPTTL')
elseif ttl > 0 then
  redis.call('SET', ARGV[1] .. key, nextValue, 'PX', ttl)
  redis.call('ZADD', KEYS[1], now + ttl, key)
else
  redis.call('SET', ARGV[1] .. key, nextValue)
  redis.call('ZADD', KEYS[1], '+inf', key)
end
redis.call('HSET', KEYS[2], key, size)
redis.call('INCRBY', KEYS[3], size - (old or 0))
return {1, nextValue}
`;

// ARGV: 2 key. Returns 1 when it existed.
const DELETE = `${PURGE}
local key = ARGV[2]
local old = tonumber(redis.call('HGET', KEYS[2], key))
local existed = redis.call('DEL', ARGV[1] .. key)
if old then
  redis.call('HDEL', KEYS[2], key)
  redis.call('ZREM', KEYS[1], key)
  redis.call('DECRBY', KEYS[3], old)
end
return existed
`;

// ARGV: 2 prefix of keys, 3 limit. Returns the matching live keys, sorted bytewise.
const LIST = `${PURGE}
local prefix, out = ARGV[2], {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(m, 1, #prefix) == prefix then out[#out + 1] = m end
end
table.sort(out)
local limit = tonumber(ARGV[3])
if #out > limit then
  local cut = {}
  for i = 1, limit do cut[i] = out[i] end
  return cut
end
return out
`;

const USAGE = `${PURGE}
return {redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[3]) or '0')}
`;

type Scripted = Redis & {
  isogateKvSet(...args: (string | number)[]): Promise<number>;
  isogateKvIncr(...args: (string | number)[]): Promise<[number, string | number]>;
  isogateKvDelete(...args: (string | number)[]): Promise<number>;
  isogateKvList(...args: (string | number)[]): Promise<string[]>;
  isogateKvUsage(...args: (string | number)[]): Promise<[number, number]>;
};

const SCAN_BATCH = 1000;

function indexKeys(ns: KvNamespace): [string, string, string] {
  return [`${ns.meta}:keys`, `${ns.meta}:sizes`, `${ns.meta}:bytes`];
}

/** Redis glob characters in a literal prefix (SCAN MATCH). */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** KV in the gateway's Redis (storage.type "redis"), shared by every node. */
export class RedisKvStore implements KvStore {
  private readonly client: Scripted;

  /** `client` is the session store's connection: its outage handling applies (redis-connection.ts). */
  constructor(client: Redis) {
    const scripted = client as Scripted;
    // defineCommand sends EVALSHA and falls back to EVAL once; harmless when defined twice.
    if (typeof scripted.isogateKvSet !== 'function') {
      client.defineCommand('isogateKvSet', { numberOfKeys: 3, lua: SET });
      client.defineCommand('isogateKvIncr', { numberOfKeys: 3, lua: INCR });
      client.defineCommand('isogateKvDelete', { numberOfKeys: 3, lua: DELETE });
      client.defineCommand('isogateKvList', { numberOfKeys: 3, lua: LIST });
      client.defineCommand('isogateKvUsage', { numberOfKeys: 3, lua: USAGE });
    }
    this.client = scripted;
  }

  async get(ns: KvNamespace, key: string): Promise<string | undefined> {
    return (await redisCommand(() => this.client.get(ns.prefix + key))) ?? undefined;
  }

  async set(ns: KvNamespace, key: string, value: string, options: KvSetOptions = {}): Promise<boolean> {
    const ttl = Math.ceil(positiveOrZero(options.ttlMs));
    if (!ns.quota) {
      const name = ns.prefix + key;
      const reply = await redisCommand(() => {
        if (ttl > 0) return options.ifAbsent ? this.client.set(name, value, 'PX', ttl, 'NX') : this.client.set(name, value, 'PX', ttl);
        return options.ifAbsent ? this.client.set(name, value, 'NX') : this.client.set(name, value);
      });
      return reply === 'OK';
    }
    const q = ns.quota;
    const status = await redisCommand(() => this.client.isogateKvSet(...indexKeys(ns), ns.prefix, key, value, ttl, q.maxKeys, q.maxBytes, options.ifAbsent ? '1' : '0'));
    if (status === -1) throw new KvQuotaError('keys', ns);
    if (status === -2) throw new KvQuotaError('bytes', ns);
    return status === 1;
  }

  async delete(ns: KvNamespace, key: string): Promise<boolean> {
    if (!ns.quota) return (await redisCommand(() => this.client.del(ns.prefix + key))) > 0;
    return (await redisCommand(() => this.client.isogateKvDelete(...indexKeys(ns), ns.prefix, key))) > 0;
  }

  async list(ns: KvNamespace, prefix: string, limit: number): Promise<string[]> {
    if (ns.quota) return redisCommand(() => this.client.isogateKvList(...indexKeys(ns), ns.prefix, prefix, Math.max(0, limit)));
    // SCAN rather than KEYS: a shared Redis may hold millions of keys.
    const found = new Set<string>();
    let cursor = '0';
    const match = `${globEscape(ns.prefix + prefix)}*`;
    do {
      const [next, batch] = await redisCommand(() => this.client.scan(cursor, 'MATCH', match, 'COUNT', SCAN_BATCH));
      for (const name of batch) found.add(name.slice(ns.prefix.length));
      cursor = next;
    } while (cursor !== '0');
    return [...found].sort().slice(0, Math.max(0, limit));
  }

  async ttlMs(ns: KvNamespace, key: string): Promise<number> {
    return redisCommand(() => this.client.pttl(ns.prefix + key));
  }

  async incr(ns: KvNamespace, key: string, ttlMs?: number): Promise<number> {
    const ttl = Math.ceil(positiveOrZero(ttlMs));
    if (!ns.quota) {
      const name = ns.prefix + key;
      let value: number;
      try {
        value = await redisCommand(() => this.client.incr(name));
      } catch (err) {
        if (/not an integer/i.test((err as Error).message)) throw new KvNotANumberError();
        throw err;
      }
      if (value === 1 && ttl > 0) await redisCommand(() => this.client.pexpire(name, ttl));
      return value;
    }
    const q = ns.quota;
    const [status, value] = await redisCommand(() => this.client.isogateKvIncr(...indexKeys(ns), ns.prefix, key, ttl, q.maxKeys, q.maxBytes));
    if (status === -1) throw new KvQuotaError('keys', ns);
    if (status === -2) throw new KvQuotaError('bytes', ns);
    if (status === -3) throw new KvNotANumberError();
    return Number(value);
  }

  async usage(ns: KvNamespace): Promise<KvUsage> {
    if (!ns.quota) throw new Error(`usage is counted only for namespaces with a quota (${ns.label})`);
    const [keys, bytes] = await redisCommand(() => this.client.isogateKvUsage(...indexKeys(ns), ns.prefix));
    return { keys: Number(keys), bytes: Number(bytes) };
  }

  /** The connection belongs to the session store, which closes it. */
  async close(): Promise<void> {}
}
