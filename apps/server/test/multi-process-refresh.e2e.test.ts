import { type FakeJira, startFakeJira } from '@cfm/connector-jira/testing';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, createApiClient, signTestToken } from './support/api-client.js';
import { connect, getConnection, type TestAnswer } from './support/oauth-driver.js';
import { generateServerSecrets, type ServerProcess, startServerProcess } from './support/server-process.js';

const DIALECTS = await testDialects();
const HAS_POSTGRES = DIALECTS.includes('postgres');
const PROCESSES = 3;
const CALLS = 50;

if (!HAS_POSTGRES) {
  console.warn(
    'multi-process-refresh.e2e: skipped because PostgreSQL is not reachable (SQLite has one writer process)',
  );
}

describe.runIf(HAS_POSTGRES)(`${PROCESSES} server processes on one PostgreSQL database`, () => {
  let database: TestDatabase | undefined;
  let jira: FakeJira | undefined;
  const servers: ServerProcess[] = [];
  let clients: ApiClient[] = [];
  let secondUser: ApiClient[] = [];
  /** When set, the next code exchange answers `expires_in: 1` (the fake itself keeps the token valid). */
  let shortLivedExchange = false;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // Atlassian rotates refresh tokens and kills the whole grant when a rotated one is replayed, so a
    // second refresh by another process would not go unnoticed.
    jira = await startFakeJira({
      clientId: 'race-jira-client',
      clientSecret: `race-${crypto.randomUUID()}`,
      tokenResponse: (standard, context) =>
        shortLivedExchange && context.grant === 'authorization_code'
          ? { ...standard, expires_in: 1 }
          : standard,
    });
    const env = {
      DATABASE_URL: database.url,
      ...generateServerSecrets(),
      JIRA_CLIENT_ID: jira.clientId,
      JIRA_CLIENT_SECRET: jira.clientSecret,
      CONNECTOR_ORIGIN_OVERRIDES: Object.entries(jira.originOverrides)
        .map(([from, to]) => `${from}=${to}`)
        .join(','),
    };
    // The first one migrates; the others find the schema up to date.
    servers.push(await startServerProcess({ env }));
    servers.push(
      ...(await Promise.all(Array.from({ length: PROCESSES - 1 }, () => startServerProcess({ env })))),
    );
    const token = await signTestToken(env.JWT_SECRET, { subject: 'e2e|race', email: 'race@example.com' });
    clients = servers.map((server) => createApiClient(server.url, token));
    const other = await signTestToken(env.JWT_SECRET, { subject: 'e2e|race-2', email: 'race-2@example.com' });
    secondUser = servers.map((server) => createApiClient(server.url, other));
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await jira?.close();
    await database?.drop();
  });

  it(`${CALLS} concurrent tests of one connection whose token died cause exactly one refresh`, async () => {
    if (!jira) throw new Error('the fake did not start');
    const [first] = clients as [ApiClient];
    const { connectionId } = await connect(first, 'jira', jira);
    expect(jira.counts.refresh).toBe(0);

    // The provider stops accepting the access token the database still holds as valid.
    jira.expireAccessTokens();
    const answers = await Promise.all(
      Array.from({ length: CALLS }, (_unused, index) =>
        (clients[index % PROCESSES] as ApiClient).post<TestAnswer>(`/api/connections/${connectionId}/test`),
      ),
    );

    const failures = answers
      .map((answer, index) => ({ index, status: answer.status, body: answer.text.slice(0, 300) }))
      .filter((answer) => answer.status !== 200 || !answer.body.includes('"success":true'));
    if (failures.length > 0) {
      console.error(servers.map((server, index) => `process ${index}:\n${server.problems(5)}`).join('\n'));
    }
    expect(failures).toEqual([]);
    expect(jira.counts.refresh).toBe(1);
    // One grant, still alive: no rotated refresh token was replayed.
    const refreshTokens = jira.tokens.filter((token) => token.kind === 'refresh');
    expect(refreshTokens.map((token) => token.state).sort()).toEqual(['active', 'rotated']);
    expect((await getConnection(first, connectionId)).status).toBe('active');
  });

  it(`${CALLS} concurrent tests of one connection whose token is due cause exactly one proactive refresh`, async () => {
    if (!jira) throw new Error('the fake did not start');
    const [first] = secondUser as [ApiClient];
    shortLivedExchange = true;
    const { connectionId } = await connect(first, 'jira', jira);
    shortLivedExchange = false;
    const before = jira.counts.refresh;
    // The server believes the token expires 1 s after the exchange: wait until it is past due.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const answers = await Promise.all(
      Array.from({ length: CALLS }, (_unused, index) =>
        (secondUser[index % PROCESSES] as ApiClient).post<TestAnswer>(
          `/api/connections/${connectionId}/test`,
        ),
      ),
    );
    const failures = answers.filter((answer) => answer.status !== 200 || answer.body.success !== true);
    expect(failures.map((answer) => answer.text.slice(0, 300))).toEqual([]);
    expect(jira.counts.refresh).toBe(before + 1);
  });
});
