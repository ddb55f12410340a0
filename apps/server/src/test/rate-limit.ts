import type { LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { expect } from 'vitest';

/** A 429 in our shape, with a `Retry-After` within the window, and a message naming the limit. */
export function expectRateLimited(response: LightMyRequestResponse, what: RegExp): void {
  expect(response.statusCode, response.body).toBe(429);
  expect(response.json()).toMatchObject({
    statusCode: 429,
    code: 'CFM_RATE_LIMITED',
    error: 'Too Many Requests',
  });
  expect(response.json().message).toMatch(what);
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

/** The Redis the rate-limit suites share (`TEST_REDIS_URL`, default the local one). */
export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Whether Redis answers. Like PostgreSQL: required under `CI=true` (a loud failure when it does not
 * answer), else a missing Redis skips the suites that need it.
 */
export async function redisAvailable(): Promise<boolean> {
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch (error) {
    if (process.env['CI'] === 'true') {
      throw new Error(`Redis is required under CI and does not answer at ${TEST_REDIS_URL}`, {
        cause: error,
      });
    }
    console.warn(`Redis suite SKIPPED: nothing answers at ${TEST_REDIS_URL}`);
    return false;
  } finally {
    redis.disconnect();
  }
}
