import type { Redis } from 'ioredis';
import { QUOTA_EXCEEDED, RATE_LIMITED } from '../auth/limit-checks';
import type { SharedCounters, TakeOutcome, TakeRequest } from '../auth/shared-counters';
import type { SessionState } from '../pipeline/session';
import { redisCommand } from './redis-connection';

/** Tyk's key names, so isogate and Tyk nodes sharing a Redis count together. */
export const QUOTA_KEY_PREFIX = 'quota-';
export const RATE_LIMIT_KEY_PREFIX = 'rate-limit-';

/** Which of Tyk's Redis rate limiters the config enables (`tyk.conf` keys of the same names). */
export interface RedisRateLimiters {
  enable_redis_rolling_limiter: boolean;
  enable_fixed_window_rate_limiter: boolean;
}

// Each script is one atomic step in Redis: no other node's command can fall between its reads
// and writes. Redis's own clock (TIME) is used, so nodes whose clocks differ count the same window.

/** Tyk's quota counter: INCR, and the renewal period as the TTL set by the first request. */
const QUOTA_SCRIPT = `
local v = redis.call('INCR', KEYS[1])
if v == 1 and tonumber(ARGV[1]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {v, redis.call('TTL', KEYS[1])}`;

/** Sliding log (Tyk's rolling window): a sorted set of request times over the last \`per\` seconds. */
const ROLLING_SCRIPT = `
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1`;

/** Fixed window: a counter that lives \`per\` seconds from the window's first request. */
const FIXED_SCRIPT = `
local v = redis.call('INCR', KEYS[1])
if v == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if v > tonumber(ARGV[1]) then return 0 end
return 1`;

let sequence = 0;

/**
 * Quotas (always) and rate limits (with `enable_redis_rolling_limiter` or
 * `enable_fixed_window_rate_limiter`) counted in Redis, across every node. Without either rate
 * flag the rate is counted per node, in process (SessionLimiter), as before.
 */
export class RedisCounters implements SharedCounters {
  readonly countsRate: boolean;

  constructor(
    private readonly client: Redis,
    private readonly limiters: RedisRateLimiters,
  ) {
    this.countsRate = limiters.enable_redis_rolling_limiter || limiters.enable_fixed_window_rate_limiter;
  }

  async take(storedKey: string, _session: SessionState, request: TakeRequest): Promise<TakeOutcome> {
    if (request.rate && this.countsRate) {
      const { rate, per } = request.rate;
      const name = RATE_LIMIT_KEY_PREFIX + storedKey;
      const perSeconds = Math.max(1, Math.ceil(per));
      const allowed = this.limiters.enable_redis_rolling_limiter
        ? await redisCommand(() => this.client.eval(ROLLING_SCRIPT, 1, name, String(rate), String(Math.round(per * 1e6)), `${process.pid}.${++sequence}`, String(perSeconds)))
        : await redisCommand(() => this.client.eval(FIXED_SCRIPT, 1, name, String(rate), String(perSeconds)));
      if (Number(allowed) !== 1) return { ok: false, failure: RATE_LIMITED };
    }
    if (!request.quota) return { ok: true };
    const { max, renewalRate } = request.quota;
    const reply = (await redisCommand(() => this.client.eval(QUOTA_SCRIPT, 1, QUOTA_KEY_PREFIX + storedKey, String(Math.ceil(renewalRate))))) as [number, number];
    const [used, ttl] = reply;
    if (used > max) return { ok: false, failure: QUOTA_EXCEEDED };
    const nowSec = Math.floor(request.nowMs / 1000);
    return { ok: true, quota: { remaining: max - used, renews: ttl > 0 ? nowSec + ttl : 0 } };
  }

  /** A deleted key's counters go with it, as Tyk's ResetQuota does. */
  async drop(storedKey: string): Promise<void> {
    await redisCommand(() => this.client.del(QUOTA_KEY_PREFIX + storedKey, RATE_LIMIT_KEY_PREFIX + storedKey));
  }
}
