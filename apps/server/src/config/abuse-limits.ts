import type { Env } from './env-schema.js';

/** Requests allowed per window and key; `0` turns that limit off. */
export interface RateLimitConfig {
  enabled: boolean;
  windowMs: number;
  /** `/api/oauth/*` (authorize, callbacks, revoke), per user and per client address. */
  oauthPerUser: number;
  oauthPerIp: number;
  /** POST/PUT/PATCH/DELETE elsewhere under `/api`, per user (or service key) and per client address. */
  writesPerUser: number;
  writesPerIp: number;
  /** 401 answers to requests that carried credentials, per client address; past it every request is a 429. */
  authFailuresPerIp: number;
  /** `REDIS_URL`: counts shared by every process; absent, each process counts in memory. */
  redisUrl?: string;
  /** Prefix of every Redis key (tests use their own). */
  redisPrefix: string;
}

/**
 * Defaults generous enough for a busy front-end and for the test suites (which send hundreds of requests
 * from 127.0.0.1), tight enough to stop a script: 2,000 authorize calls in 6 s from one user is 60 a minute.
 */
export const RATE_LIMIT_DEFAULTS = {
  windowSeconds: 60,
  oauthPerUser: 60,
  oauthPerIp: 600,
  writesPerUser: 300,
  writesPerIp: 1200,
  authFailuresPerIp: 100,
  redisPrefix: 'cfm:rate-limit:',
} as const;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `86400`, `90s`, `15m`, `24h`, `7d` → seconds (the schema has checked the shape). */
export function durationSeconds(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text)!;
  return Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
}

export function rateLimitConfig(env: Env): RateLimitConfig {
  const count = (value: string | undefined, fallback: number) =>
    value === undefined ? fallback : Number(value);
  const config: RateLimitConfig = {
    enabled: !/^(?:false|0|no|off)$/.test(env.RATE_LIMIT_ENABLED ?? 'true'),
    windowMs: count(env.RATE_LIMIT_WINDOW_SECONDS, RATE_LIMIT_DEFAULTS.windowSeconds) * 1000,
    oauthPerUser: count(env.RATE_LIMIT_OAUTH_PER_USER, RATE_LIMIT_DEFAULTS.oauthPerUser),
    oauthPerIp: count(env.RATE_LIMIT_OAUTH_PER_IP, RATE_LIMIT_DEFAULTS.oauthPerIp),
    writesPerUser: count(env.RATE_LIMIT_WRITES_PER_USER, RATE_LIMIT_DEFAULTS.writesPerUser),
    writesPerIp: count(env.RATE_LIMIT_WRITES_PER_IP, RATE_LIMIT_DEFAULTS.writesPerIp),
    authFailuresPerIp: count(env.RATE_LIMIT_AUTH_FAILURES_PER_IP, RATE_LIMIT_DEFAULTS.authFailuresPerIp),
    redisPrefix: env.RATE_LIMIT_REDIS_PREFIX ?? RATE_LIMIT_DEFAULTS.redisPrefix,
  };
  if (env.REDIS_URL !== undefined) config.redisUrl = env.REDIS_URL;
  return config;
}
