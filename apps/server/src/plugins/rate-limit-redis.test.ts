import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { testDialects } from '@cfm/db/testing';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { createOAuthTestApp, type OAuthTestApp } from '../routes/oauth/test/oauth-test-app.js';
import { captureLogs, createTestApp, tokenFor } from '../test/helpers.js';
import { expectRateLimited, redisAvailable, TEST_REDIS_URL } from '../test/rate-limit.js';

const DIALECTS = await testDialects();
const REDIS = await redisAvailable();

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A "Redis" that accepts connections and never answers (a hung server, a black hole behind a proxy). */
async function startSilentRedis(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const LIMITS = { RATE_LIMIT_OAUTH_PER_USER: '3', RATE_LIMIT_AUTH_FAILURES_PER_IP: '3' };

for (const dialect of DIALECTS) {
  describe.runIf(REDIS)(`abuse limits shared through Redis by two processes (${dialect})`, () => {
    const prefix = `cfm-test:${randomUUID()}:`;
    let first: OAuthTestApp;
    let second: FastifyInstance;
    let redis: Redis;

    beforeAll(async () => {
      first = await createOAuthTestApp(dialect, {
        env: { ...LIMITS, REDIS_URL: TEST_REDIS_URL, RATE_LIMIT_REDIS_PREFIX: prefix },
      });
      // A second server process on the same database and the same Redis.
      second = await buildApp(first.config, { logStream: false, database: first.handle });
      await second.ready();
      redis = new Redis(TEST_REDIS_URL);
    });
    afterAll(async () => {
      await second?.close();
      await first?.close();
      if (redis !== undefined) {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
    });

    const authorize = (app: FastifyInstance, token: string, remoteAddress = '203.0.113.1') =>
      app.inject({
        method: 'GET',
        url: '/api/oauth/acme/authorize',
        remoteAddress,
        headers: { authorization: `Bearer ${token}` },
      });

    it('one user spreading authorize calls over both processes hits one shared limit', async () => {
      const mallory = await tokenFor({ email: 'mallory@example.com' });
      expect((await authorize(first.app, mallory)).statusCode).toBe(200);
      expect((await authorize(second, mallory)).statusCode).toBe(200);
      expect((await authorize(first.app, mallory)).statusCode).toBe(200);
      expectRateLimited(await authorize(second, mallory), /OAuth requests from this account/);
      expectRateLimited(await authorize(first.app, mallory), /OAuth requests from this account/);
      const keys = await redis.keys(`${prefix}*`);
      expect(keys.some((key) => key.startsWith(`${prefix}oauth:user:`))).toBe(true);
      expect(keys.some((key) => key.startsWith(`${prefix}oauth:ip:203.0.113.1`))).toBe(true);
    });

    it('failed authentications counted by one process count in the other', async () => {
      const forged = await tokenFor(
        { email: 'x@example.com' },
        { secret: 'not-the-secret-not-the-secret-0123' },
      );
      const me = (app: FastifyInstance) =>
        app.inject({
          method: 'GET',
          url: '/api/me',
          remoteAddress: '203.0.113.50',
          headers: { authorization: `Bearer ${forged}` },
        });
      expect((await me(first.app)).statusCode).toBe(401);
      expect((await me(second)).statusCode).toBe(401);
      expect((await me(first.app)).statusCode).toBe(401);
      expectRateLimited(await me(second), /failed authentications/);
      expectRateLimited(await me(first.app), /failed authentications/);
    });
  });

  describe(`Redis unavailable: the limits fail open, never a 500 (${dialect})`, () => {
    it('Redis refusing connections: the server starts, answers as usual, and warns without the URL', async () => {
      const logs = captureLogs();
      const url = `redis://:redis-password-never-logged@127.0.0.1:${await closedPort()}`;
      const test = await createTestApp(dialect, {
        env: { ...LIMITS, REDIS_URL: url, LOG_LEVEL: 'warn' },
        build: { logStream: logs.stream },
      });
      try {
        const token = await tokenFor({ email: 'ada@example.com' });
        for (let index = 0; index < 6; index += 1) {
          const response = await test.app.inject({
            method: 'GET',
            url: '/api/oauth/acme/authorize',
            headers: { authorization: `Bearer ${token}` },
          });
          expect(response.statusCode).toBe(404); // no such connector here: counted nowhere, refused by the route
        }
        expect(logs.text()).toMatch(/Redis for rate limits is unavailable/);
        expect(logs.text()).not.toContain('redis-password-never-logged');
      } finally {
        await test.close();
      }
    });

    it('Redis accepting and never answering: start-up and requests stay bounded in time', async () => {
      const silent = await startSilentRedis();
      const logs = captureLogs();
      const started = Date.now();
      const test = await createTestApp(dialect, {
        env: { ...LIMITS, REDIS_URL: silent.url, LOG_LEVEL: 'warn' },
        build: { logStream: logs.stream },
      });
      try {
        expect(Date.now() - started).toBeLessThan(15_000);
        const forged = await tokenFor(
          { email: 'x@example.com' },
          { secret: 'not-the-secret-not-the-secret-0123' },
        );
        for (let index = 0; index < 5; index += 1) {
          const before = Date.now();
          const response = await test.app.inject({
            method: 'DELETE',
            url: `/api/connections/${randomUUID()}`,
            headers: { authorization: `Bearer ${forged}` },
          });
          expect(response.statusCode).toBe(401);
          expect(Date.now() - before).toBeLessThan(3000);
        }
        expect(logs.text()).toMatch(/rate limit/i);
      } finally {
        await test.close();
        await silent.close();
      }
    });
  });
}
