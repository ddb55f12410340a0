import { setTimeout as delay } from 'node:timers/promises';
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { RateLimitConfig } from '../config/abuse-limits.js';
import { AppError, toErrorBody } from '../errors.js';
import { redisCounterStore } from './rate-limit-store.js';

export interface RateLimitPluginOptions {
  limits: RateLimitConfig;
}

type Category = 'oauth' | 'writes';
type Limiter = (
  request: FastifyRequest,
) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttl?: number }>;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LABELS: Record<Category | 'auth', string> = {
  oauth: 'OAuth requests',
  writes: 'write requests',
  auth: 'failed authentications',
};
/** Client addresses currently refused for failed authentications, per process; the oldest goes first. */
const MAX_BLOCKED_ADDRESSES = 10_000;
/** A store that does not answer is reported at most this often (it may fail on every request). */
const WARNING_INTERVAL_MS = 60_000;
/** Redis must answer a count within this, else the request goes on uncounted. */
const REDIS_COMMAND_TIMEOUT_MS = 500;
const REDIS_CONNECT_WAIT_MS = 2000;

/**
 * Using a connection (the proxy and actions) is the back-end services' hot path, rate limited by the
 * provider itself (its 429 is passed back): it spends no write budget.
 */
const CONNECTION_USE = /^\/api\/connections\/:[^/]+\/(?:proxy|actions)\//;

/** Which budget a route spends: `/api/oauth/*`, or a write elsewhere under `/api`; reads spend none. */
function categoryOf(url: string, methods: readonly string[]): Category | undefined {
  if (url.startsWith('/api/oauth/')) return 'oauth';
  if (!url.startsWith('/api/') || CONNECTION_USE.test(url)) return undefined;
  return methods.some((method) => WRITE_METHODS.has(method)) ? 'writes' : undefined;
}

const addressOf = (request: FastifyRequest) => normalizeIP(request.ip);

function principalKey(request: FastifyRequest): string | undefined {
  const principal = request.principal;
  if (principal?.type === 'user') return `user:${principal.user.id}`;
  if (principal?.type === 'service') return `service:${principal.serviceKey.id}`;
  return undefined;
}

function rateLimited(kind: Category | 'auth', by: string, ttlMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return new AppError('CFM_RATE_LIMITED', `Too many ${LABELS[kind]} from this ${by}: retry in ${seconds} s`, {
    headers: { 'retry-after': String(seconds) },
  });
}

function appendHook(route: RouteOptions, name: 'onRequest' | 'preHandler', hook: unknown, first = false) {
  const existing = route[name];
  const list = existing === undefined ? [] : Array.isArray(existing) ? [...existing] : [existing];
  route[name] = (first ? [hook, ...list] : [...list, hook]) as RouteOptions['onRequest'];
}

/**
 * Abuse limits on `@fastify/rate-limit`'s counters, in Redis when `REDIS_URL` is set (every process shares
 * them), in memory otherwise:
 * - `/api/oauth/*` and writes under `/api`: per client address before authentication, per user (or service
 *   key) after it. Reads spend nothing: the hot list routes get no hook at all.
 * - failed authentication: 401 answers to requests that carried credentials are counted per address; the
 *   one past the limit becomes a 429, and this process then refuses every request of that address until
 *   the window ends (a map lookup per request, and only while some address is refused).
 * 429 `CFM_RATE_LIMITED` with `Retry-After`. A store that fails (Redis down) lets requests through and
 * logs a warning: abuse limits never take the API down with them.
 */
export const rateLimitPlugin = fp<RateLimitPluginOptions>(
  async (app, { limits }) => {
    if (!limits.enabled) return;
    const log = app.log.child({ component: 'rate-limit' });
    let lastWarning = 0;
    const warn = (message: string, error: unknown) => {
      const now = Date.now();
      if (now - lastWarning < WARNING_INTERVAL_MS) return;
      lastWarning = now;
      // The message only (a host and port at most): never the URL, which may hold a password.
      log.warn(error instanceof Error ? { error: error.message } : {}, message);
    };

    let redis: Redis | undefined;
    if (limits.redisUrl !== undefined) {
      // Imported only with REDIS_URL: a single process counts in memory and never loads the client.
      const { Redis } = await import('ioredis');
      redis = new Redis(limits.redisUrl, {
        lazyConnect: true,
        // Fail at once while disconnected (and count nothing) rather than queue requests behind Redis.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
        connectTimeout: 2000,
        retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
      });
      redis.on('error', (error) =>
        warn('Redis for rate limits is unavailable: limits are not enforced', error),
      );
      // Start-up waits a moment for Redis, never longer: a Redis that accepts and never answers must not
      // keep the API from starting (it reconnects in the background; until then limits fail open).
      const connected = redis.connect().then(
        () => true,
        () => false,
      );
      if (!(await Promise.race([connected, delay(REDIS_CONNECT_WAIT_MS, false, { ref: false })]))) {
        warn('Redis for rate limits is unavailable: limits are not enforced until it answers', undefined);
      }
      const client = redis;
      app.addHook('onClose', async () => client.disconnect());
    }

    await app.register(fastifyRateLimit, {
      global: false,
      timeWindow: limits.windowMs,
      cache: 10_000,
      ...(redis !== undefined && { store: redisCounterStore(redis, limits.redisPrefix) }),
    });

    const limiter = (
      max: number,
      key: (request: FastifyRequest) => string | undefined,
    ): Limiter | undefined => {
      if (max <= 0) return undefined;
      const count = app.createRateLimit({ max, timeWindow: limits.windowMs, keyGenerator: (r) => key(r)! });
      return async (request) => {
        try {
          return await count(request);
        } catch (error) {
          warn('rate limit store failed: the request was let through', error);
          return { isAllowed: true };
        }
      };
    };

    async function enforce(limit: Limiter, request: FastifyRequest, kind: Category | 'auth', by: string) {
      const verdict = await limit(request);
      if (!verdict.isAllowed && verdict.isExceeded)
        throw rateLimited(kind, by, verdict.ttl ?? limits.windowMs);
    }

    const perAddress = {
      oauth: limiter(limits.oauthPerIp, (request) => `oauth:ip:${addressOf(request)}`),
      writes: limiter(limits.writesPerIp, (request) => `writes:ip:${addressOf(request)}`),
    };
    const perPrincipal = {
      oauth: limiter(limits.oauthPerUser, (request) => `oauth:${principalKey(request)}`),
      writes: limiter(limits.writesPerUser, (request) => `writes:${principalKey(request)}`),
    };

    app.addHook('onRoute', (route) => {
      const category = categoryOf(route.url, [route.method].flat());
      if (category === undefined) return;
      const byAddress = perAddress[category];
      const byPrincipal = perPrincipal[category];
      // Before the route's own authentication: a flood costs no token check and no database read.
      if (byAddress !== undefined) {
        appendHook(
          route,
          'onRequest',
          (request: FastifyRequest) => enforce(byAddress, request, category, 'address'),
          true,
        );
      }
      // After it (routes authenticate in onRequest or preHandler): anonymous requests have no user budget.
      if (byPrincipal !== undefined) {
        appendHook(route, 'preHandler', async (request: FastifyRequest) => {
          if (principalKey(request) !== undefined) await enforce(byPrincipal, request, category, 'account');
        });
      }
    });

    const failuresOrOff = limiter(
      limits.authFailuresPerIp,
      (request) => `auth-failures:ip:${addressOf(request)}`,
    );
    if (failuresOrOff === undefined) return;
    const failures: Limiter = failuresOrOff;
    /** Address → end of its refusal (ms). Per process: another process learns on its own next failure. */
    const refused = new Map<string, number>();

    // Both hooks run on every request, the hot reads included: callback style, so the usual case (no
    // address refused, not a 401) allocates no promise.
    app.addHook(
      'onRequest',
      (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
        if (refused.size === 0) return done();
        const address = addressOf(request);
        const until = refused.get(address);
        if (until === undefined) return done();
        const left = until - Date.now();
        if (left > 0) return done(rateLimited('auth', 'address', left));
        refused.delete(address);
        done();
      },
    );

    /** A 401 to a request with credentials: counted; the one past the limit is answered 429 instead. */
    async function countFailure(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
      const verdict = await failures(request);
      if (verdict.isAllowed || !verdict.isExceeded) return payload;
      const ttl = verdict.ttl ?? limits.windowMs;
      if (refused.size >= MAX_BLOCKED_ADDRESSES) refused.delete(refused.keys().next().value!);
      refused.set(addressOf(request), Date.now() + ttl);
      const error = rateLimited('auth', 'address', ttl);
      reply.code(error.statusCode).headers(error.headers).removeHeader('www-authenticate');
      return JSON.stringify(toErrorBody(error));
    }

    app.addHook(
      'onSend',
      (
        request: FastifyRequest,
        reply: FastifyReply,
        payload: unknown,
        done: (error: Error | null, payload?: unknown) => void,
      ) => {
        if (reply.statusCode !== 401 || request.headers.authorization === undefined)
          return done(null, payload);
        countFailure(request, reply, payload).then(
          (answer) => done(null, answer),
          (error: Error) => done(error),
        );
      },
    );
  },
  { name: 'cfm-rate-limit', fastify: '5.x', dependencies: ['cfm-auth'] },
);
