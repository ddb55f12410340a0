import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createDatabase, type DatabaseHandle, type Dialect, migrateToLatest } from '@cfm/db';
import { createTestDatabase } from '@cfm/db/testing';
import type { FastifyInstance } from 'fastify';
import { type BuildAppOptions, buildApp } from '../app.js';
import { type AppConfig, loadConfig } from '../config.js';
import { type AccessTokenClaims, signAccessToken } from '../services/access-tokens.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';
export const TEST_ENCRYPTION_KEY = randomBytes(32).toString('base64');

/** A valid configuration from a hand-made environment (never `process.env`, never a `.env`). */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: 'sqlite::memory:',
      JWT_SECRET: TEST_JWT_SECRET,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ...overrides,
    },
    { dotenv: false },
  );
}

export interface TestApp {
  app: FastifyInstance;
  config: AppConfig;
  handle: DatabaseHandle;
  close(): Promise<void>;
}

/** A migrated fresh database of `dialect` and an app on it. `prepare` registers extra test routes. */
export async function createTestApp(
  dialect: Dialect,
  options: {
    env?: Record<string, string>;
    build?: BuildAppOptions;
    prepare?: (app: FastifyInstance) => void | Promise<void>;
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase(dialect);
  const handle = createDatabase(database.url);
  const outcome = await migrateToLatest(handle.db);
  if (outcome.error !== undefined) {
    throw outcome.error;
  }
  const config = testConfig({ DATABASE_URL: database.url, ...options.env });
  const app = await buildApp(config, { logStream: false, ...options.build, database: handle });
  await options.prepare?.(app);
  await app.ready();
  return {
    app,
    config,
    handle,
    async close() {
      await app.close();
      await handle.close();
      await database.drop();
    },
  };
}

export function tokenFor(
  claims: Partial<AccessTokenClaims> & { email: string },
  settings: { secret?: string; issuer?: string; audience?: string; ttlSeconds?: number } = {},
): Promise<string> {
  const { ttlSeconds = 3600, secret = TEST_JWT_SECRET, ...rest } = settings;
  return signAccessToken(
    { secret, ...rest },
    { subject: claims.subject ?? `sub-${claims.email}`, email: claims.email, role: claims.role ?? 'user' },
    ttlSeconds,
  );
}

/** A pino destination that keeps every line, to assert on what was (not) logged. */
export function captureLogs(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}
