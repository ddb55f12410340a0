import { createDatabase, type DatabaseHandle } from '@cfm/db';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTestToken } from './support/api-client.js';
import { generateServerSecrets, type ServerProcess, startServerProcess } from './support/server-process.js';

const DIALECTS = await testDialects();

const WORKERS = 6;
const LOAD_MS = 6000;
const KILL_ROUNDS = 5;
const KILL_EVERY_MS = 700;
const RECOVERY_MS = 15_000;
/** What a request may answer while its database connections are being killed; never a 500. */
const ALLOWED = new Set([200, 201, 204, 404, 409, 503]);

interface Outcome {
  request: string;
  status: number | 'network error';
  code?: string;
  retryAfter?: string | null;
}

/** Ends every backend of `database` but the caller's own (a failover, an operator, a pooler restart). */
async function terminateBackends(killer: DatabaseHandle): Promise<number> {
  const { rows } = await sql<{ terminated: boolean }>`
    select pg_terminate_backend(pid) as terminated from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()`.execute(killer.db);
  return rows.filter((row) => row.terminated).length;
}

async function call(
  server: ServerProcess,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Outcome & { body?: Record<string, unknown> }> {
  const request = `${method} ${path.replace(/[0-9a-f-]{36}/, ':id')}`;
  try {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      signal: AbortSignal.timeout(15_000),
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
    return {
      request,
      status: response.status,
      ...(typeof parsed?.['code'] === 'string' && { code: parsed['code'] }),
      retryAfter: response.headers.get('retry-after'),
      ...(parsed !== undefined && { body: parsed }),
    };
  } catch {
    return { request, status: 'network error' };
  }
}

/** One user's loop: list, create, read, delete its connection, until `until`. */
async function userLoop(server: ServerProcess, token: string, until: number, outcomes: Outcome[]) {
  while (Date.now() < until) {
    outcomes.push(await call(server, token, 'GET', '/api/connections/'));
    const created = await call(server, token, 'POST', '/api/connections/', { connector_key: 'notion' });
    outcomes.push(created);
    const id = created.body?.['id'];
    if (typeof id === 'string') {
      outcomes.push(await call(server, token, 'GET', `/api/connections/${id}`));
      outcomes.push(await call(server, token, 'DELETE', `/api/connections/${id}`));
    } else {
      // A 409 (left over from a delete that answered 503): find it and delete it.
      const list = await call(server, token, 'GET', '/api/connections/?connector=notion');
      outcomes.push(list);
      const items = (list.body?.['items'] ?? []) as Array<{ id: string }>;
      for (const item of items)
        outcomes.push(await call(server, token, 'DELETE', `/api/connections/${item.id}`));
    }
    outcomes.push(await call(server, token, 'GET', '/api/connectors/'));
  }
}

describe.runIf(DIALECTS.includes('postgres'))('PostgreSQL connections killed under load (postgres)', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let killer: DatabaseHandle;
  const secrets = generateServerSecrets();

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // Six users writing flat out from one address pass the per-address write limit on a quiet machine:
    // this suite is about the database, and the limits have their own tests.
    server = await startServerProcess({
      env: { DATABASE_URL: database.url, ...secrets, RATE_LIMIT_ENABLED: 'false' },
    });
    killer = createDatabase(database.url, { poolMax: 1 });
  });

  afterAll(async () => {
    await server?.stop();
    await killer?.close();
    await database?.drop();
  });

  it('never exits, answers 2xx/4xx or 503 with Retry-After (never 500), and recovers without a restart', async () => {
    const tokens = await Promise.all(
      Array.from({ length: WORKERS }, (_, index) =>
        signTestToken(secrets.JWT_SECRET, { subject: `load-${index}`, email: `load-${index}@example.com` }),
      ),
    );
    const outcomes: Outcome[] = [];
    const until = Date.now() + LOAD_MS;
    const load = Promise.all(tokens.map((token) => userLoop(server, token, until, outcomes)));

    let terminated = 0;
    for (let round = 0; round < KILL_ROUNDS; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
      terminated += await terminateBackends(killer);
    }
    await load;

    const byStatus = new Map<string, number>();
    for (const outcome of outcomes) {
      const key = `${outcome.status}${outcome.code === undefined ? '' : ` ${outcome.code}`}`;
      byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
    }
    const summary = JSON.stringify(Object.fromEntries(byStatus));
    console.info(
      `database faults: ${terminated} backends terminated in ${KILL_ROUNDS} rounds, ${outcomes.length} requests: ${summary}`,
    );

    expect(terminated, 'the kills must have hit the server').toBeGreaterThan(0);
    expect(
      outcomes.filter((outcome) => outcome.status === 'network error'),
      `${summary}\n${server.problems()}`,
    ).toEqual([]);
    expect(
      outcomes.filter((outcome) => !ALLOWED.has(outcome.status as number)),
      summary,
    ).toEqual([]);
    for (const outcome of outcomes.filter((each) => each.status === 503)) {
      expect(outcome).toMatchObject({
        code: 'CFM_DB_UNAVAILABLE',
        retryAfter: expect.stringMatching(/^\d+$/),
      });
    }
    expect(server.logs()).toContain('PostgreSQL connection lost');

    // Recovery, by the same process: every user's requests succeed again.
    const deadline = Date.now() + RECOVERY_MS;
    let recovered = false;
    while (!recovered && Date.now() < deadline) {
      const answers = await Promise.all(
        tokens.map((token) => call(server, token, 'GET', '/api/connections/')),
      );
      recovered = answers.every((answer) => answer.status === 200);
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(recovered, server.problems()).toBe(true);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    // Still the first process: it stops on SIGTERM with 0 (a crashed one would report its own exit).
    expect(await server.stop()).toBe(0);
  });
});
