import { createServer, type Server, type Socket } from 'node:net';
import { createDatabase, type DatabaseHandle } from '@cfm/db';
import { testDialects } from '@cfm/db/testing';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { createTestApp, type TestApp, testConfig, tokenFor } from '../test/helpers.js';
import { toAppError } from './error-handler.js';

const DIALECTS = await testDialects();

function coded(code: string, message = 'failed'): Error {
  return Object.assign(new Error(message), { code });
}

describe('toAppError: the database', () => {
  it.each([
    ['a refused connection', coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a reset connection', coded('ECONNRESET')],
    ['a socket timeout', coded('ETIMEDOUT')],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout')],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['SQLSTATE 08006', coded('08006')],
    [
      'SQLSTATE 57P01 (pg_terminate_backend)',
      coded('57P01', 'terminating connection due to administrator command'),
    ],
    ['SQLSTATE 57P02', coded('57P02')],
    ['SQLSTATE 57P03', coded('57P03', 'the database system is starting up')],
    ['SQLSTATE 53300', coded('53300', 'sorry, too many clients already')],
  ])('%s is 503 CFM_DB_UNAVAILABLE with Retry-After, and says nothing of the cause', (_name, error) => {
    const mapped = toAppError(error);
    expect(mapped).toMatchObject({
      statusCode: 503,
      code: 'CFM_DB_UNAVAILABLE',
      message: 'The database is unavailable',
    });
    expect(mapped.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  });

  it.each([
    ['22P05', 'unsupported Unicode escape sequence'],
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
  ])('SQLSTATE %s (text PostgreSQL cannot store) is 400 CFM_BAD_REQUEST', (code, message) => {
    const mapped = toAppError(coded(code, message));
    expect(mapped).toMatchObject({ statusCode: 400, code: 'CFM_BAD_REQUEST' });
    expect(mapped.message).not.toContain('UTF8');
  });

  it('any other database error stays a 500', () => {
    expect(toAppError(coded('42P01', 'relation "users" does not exist'))).toMatchObject({
      statusCode: 500,
      code: 'CFM_INTERNAL',
    });
  });
});

/** A TCP server that accepts connections and never says a word (a hung database, a black hole). */
async function startSilentServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, sockets };
}

async function closedPort(): Promise<number> {
  const { server, port } = await startSilentServer();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('an unreachable PostgreSQL answers 503 with Retry-After on API routes', () => {
  let app: FastifyInstance | undefined;
  let handle: DatabaseHandle | undefined;
  let silent: Awaited<ReturnType<typeof startSilentServer>> | undefined;

  afterEach(async () => {
    await app?.close();
    await handle?.close();
    for (const socket of silent?.sockets ?? []) socket.destroy();
    if (silent !== undefined) await new Promise((resolve) => silent!.server.close(resolve));
    app = handle = silent = undefined;
  });

  async function appOn(port: number) {
    const url = `postgresql://postgres@127.0.0.1:${port}/cfm`;
    handle = createDatabase(url, { connectionTimeoutMillis: 500 });
    app = await buildApp(testConfig({ DATABASE_URL: url }), {
      logStream: false,
      database: handle,
      readinessTimeoutMs: 1000,
    });
    await app.ready();
    return app;
  }

  async function expectUnavailable(target: FastifyInstance) {
    const token = await tokenFor({ email: 'alice@example.com' });
    for (const [method, url] of [
      ['GET', '/api/connections/'],
      ['GET', '/api/connectors/'],
      ['POST', '/api/connections/'],
    ] as const) {
      const response = await target.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(method === 'POST' && { payload: { connector_key: 'slack' } }),
      });
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(503);
      expect(response.json()).toEqual({
        statusCode: 503,
        code: 'CFM_DB_UNAVAILABLE',
        error: 'Service Unavailable',
        message: 'The database is unavailable',
      });
      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    }
    expect((await target.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
  }

  it('when the port refuses connections', async () => {
    await expectUnavailable(await appOn(await closedPort()));
  });

  it('when the server accepts but never answers (the pool gives up in time)', async () => {
    silent = await startSilentServer();
    await expectUnavailable(await appOn(silent.port));
  });
});

describe.runIf(DIALECTS.includes('postgres'))('text PostgreSQL cannot store (postgres)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await createTestApp('postgres', {
      prepare: (app) => {
        // What a NUL that slipped past the input checks (a JWT claim, a provider's answer) does.
        app.get('/test/store-nul', async () => {
          await sql`select ${'a\u0000b'}::text`.execute(app.db.db);
          return { stored: true };
        });
        app.get('/test/store-nul-json', async () => {
          await sql`select ${JSON.stringify({ a: 'a\u0000b' })}::jsonb`.execute(app.db.db);
          return { stored: true };
        });
      },
    });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('is a 400 with a code, not a 500', async () => {
    for (const url of ['/test/store-nul', '/test/store-nul-json']) {
      const response = await test.app.inject({ method: 'GET', url });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
      expect(response.json()).toMatchObject({ code: 'CFM_BAD_REQUEST' });
    }
  });
});
