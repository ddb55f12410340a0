import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { testConfig } from '../test/helpers.js';

describe('JWT lifetime and rate limit settings', () => {
  it('defaults: tokens live at most 24 h with 30 s of skew; limits on, in memory', () => {
    const config = testConfig();
    expect(config.jwt).toMatchObject({ maxAgeSeconds: 86_400, clockSkewSeconds: 30 });
    expect(config.rateLimit).toEqual({
      enabled: true,
      windowMs: 60_000,
      oauthPerUser: 60,
      oauthPerIp: 600,
      writesPerUser: 300,
      writesPerIp: 1200,
      authFailuresPerIp: 100,
      redisPrefix: 'cfm:rate-limit:',
    });
  });

  it('reads every variable', () => {
    const config = testConfig({
      JWT_MAX_AGE: '7d',
      JWT_CLOCK_SKEW_SECONDS: '0',
      RATE_LIMIT_ENABLED: 'off',
      RATE_LIMIT_WINDOW_SECONDS: '10',
      RATE_LIMIT_OAUTH_PER_USER: '5',
      RATE_LIMIT_OAUTH_PER_IP: '0',
      RATE_LIMIT_WRITES_PER_USER: '7',
      RATE_LIMIT_WRITES_PER_IP: '9',
      RATE_LIMIT_AUTH_FAILURES_PER_IP: '11',
      RATE_LIMIT_REDIS_PREFIX: 'tenant-a:',
      REDIS_URL: 'redis://:secret@127.0.0.1:6379/2',
    });
    expect(config.jwt).toMatchObject({ maxAgeSeconds: 604_800, clockSkewSeconds: 0 });
    expect(config.rateLimit).toEqual({
      enabled: false,
      windowMs: 10_000,
      oauthPerUser: 5,
      oauthPerIp: 0,
      writesPerUser: 7,
      writesPerIp: 9,
      authFailuresPerIp: 11,
      redisPrefix: 'tenant-a:',
      redisUrl: 'redis://:secret@127.0.0.1:6379/2',
    });
    expect(testConfig({ JWT_MAX_AGE: '3600' }).jwt.maxAgeSeconds).toBe(3600);
    expect(testConfig({ JWT_MAX_AGE: '90m' }).jwt.maxAgeSeconds).toBe(5400);
  });

  it.each([
    ['JWT_MAX_AGE', '0', 'JWT_MAX_AGE must be a positive duration'],
    ['JWT_MAX_AGE', '1y', 'JWT_MAX_AGE must be a positive duration'],
    [
      'JWT_CLOCK_SKEW_SECONDS',
      '3601',
      'JWT_CLOCK_SKEW_SECONDS must be a whole number of seconds from 0 to 3600',
    ],
    ['RATE_LIMIT_OAUTH_PER_USER', '-1', 'RATE_LIMIT_OAUTH_PER_USER must be a whole number of requests'],
    [
      'RATE_LIMIT_WINDOW_SECONDS',
      '0',
      'RATE_LIMIT_WINDOW_SECONDS must be a positive whole number of seconds',
    ],
    ['RATE_LIMIT_ENABLED', 'maybe', 'RATE_LIMIT_ENABLED must be true or false'],
    ['REDIS_URL', 'http://:hunter2@redis.internal:6379', 'REDIS_URL must be a redis:// or rediss:// URL'],
  ])('refuses %s=%s with one line naming it and never the value', (name, value, message) => {
    let error: unknown;
    try {
      testConfig({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('hunter2');
  });
});
