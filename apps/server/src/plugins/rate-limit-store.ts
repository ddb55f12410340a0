import type { Redis } from 'ioredis';

/**
 * One counter per key and window: INCR, with the window's expiry set on the first hit (and on a key that
 * somehow lost it), answering the count and the milliseconds left. One round trip, atomic across processes.
 */
const COUNT_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

interface CountingRedis extends Redis {
  cfmRateLimitCount(key: string, windowMs: number): Promise<[number, number]>;
}

/**
 * The store `@fastify/rate-limit` counts in when `REDIS_URL` is set, shaped as its stores are
 * (`incr(key, callback, timeWindow)`, `child()`). Unlike the plugin's own Redis store it keeps one key
 * space for every limiter (`<prefix><category>:<user or address>`) instead of suffixing route details
 * that `createRateLimit` leaves undefined.
 */
export function redisCounterStore(redis: Redis, prefix: string) {
  const counting = redis as CountingRedis;
  if (typeof counting.cfmRateLimitCount !== 'function') {
    redis.defineCommand('cfmRateLimitCount', { numberOfKeys: 1, lua: COUNT_SCRIPT });
  }
  class RedisCounterStore {
    incr(key: string, callback: Callback, timeWindow: number): void {
      counting.cfmRateLimitCount(`${prefix}${key}`, timeWindow).then(
        ([current, ttl]) => callback(null, { current, ttl }),
        (error: Error) => callback(error),
      );
    }

    child(): RedisCounterStore {
      return this;
    }
  }
  return RedisCounterStore;
}
