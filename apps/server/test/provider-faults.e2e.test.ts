import { type FakeNotion, startFakeNotion } from '@cfm/connector-notion/testing';
import { createDatabase } from '@cfm/db';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, createSignedClient } from './support/api-client.js';
import {
  FAULT_CANARY,
  type FaultyProvider,
  type ProviderFault,
  startFaultyProvider,
} from './support/faulty-provider.js';
import { authorize, connect } from './support/oauth-driver.js';
import { generateServerSecrets, type ServerProcess, startServerProcess } from './support/server-process.js';

const DIALECTS = await testDialects();
/** The proxy's, the actions' and the connection test's bound for one provider answer (`PROXY_TIMEOUT_MS`). */
const PROVIDER_TIMEOUT_MS = 1500;
/** The SDK's bound for one attempt where the server sets none (the code exchange). */
const SDK_ATTEMPT_MS = 10_000;
/** What a loaded 2-core machine may add to any bound. */
const SLACK_MS = 4000;

const FAULTS = {
  hang: { kind: 'hang' },
  'slow (800 ms)': { kind: 'slow', delayMs: 800 },
  '500 JSON': { kind: 'server-error', status: 500 },
  '503 HTML page': { kind: 'html', status: 503 },
  'malformed JSON': { kind: 'malformed-json' },
  '200 HTML page': { kind: 'html', status: 200 },
  'stalled body': { kind: 'stall' },
  'connection reset': { kind: 'reset' },
} as const satisfies Record<string, ProviderFault>;
type FaultName = keyof typeof FAULTS;
const TARGETS = ['callback', 'test', 'proxy', 'action'] as const;
type Target = (typeof TARGETS)[number];

interface Expected {
  status: number;
  code?: string;
  /** The connection test answers 200 either way and says in `success` whether the provider agreed. */
  success?: boolean;
  /** The proxy passes the provider's own answer back: its body may be the provider's (canary included). */
  passedThrough?: boolean;
  /** The body is cut off: reading it fails, within the bound. */
  bodyFails?: boolean;
  withinMs: number;
}

function expectedOutcome(target: Target, name: FaultName): Expected {
  const fault: ProviderFault = FAULTS[name];
  const slowOrGone = fault.kind === 'hang' || fault.kind === 'stall';
  if (fault.kind === 'slow') {
    // The connection test makes two calls (the identity check, then the sample): both are late.
    return {
      status: 200,
      ...(target === 'test' && { success: true }),
      withinMs: 2 * fault.delayMs + SLACK_MS,
    };
  }
  switch (target) {
    case 'callback': // one attempt, no retry: a code is single-use
      return {
        status: 502,
        code: 'CFM_OAUTH_EXCHANGE_FAILED',
        withinMs: (slowOrGone ? SDK_ATTEMPT_MS : 0) + SLACK_MS,
      };
    case 'test': // three attempts (two retries) of the identity check, each bounded by PROXY_TIMEOUT_MS
      return {
        status: 200,
        success: false,
        withinMs: (slowOrGone ? 3 * PROVIDER_TIMEOUT_MS : 1000) + SLACK_MS,
      };
    case 'proxy':
      if (fault.kind === 'hang')
        return { status: 504, code: 'CFM_PROVIDER_TIMEOUT', withinMs: PROVIDER_TIMEOUT_MS + SLACK_MS };
      if (fault.kind === 'reset')
        return { status: 502, code: 'CFM_PROVIDER_UNREACHABLE', withinMs: SLACK_MS };
      if (fault.kind === 'stall')
        return {
          status: 200,
          bodyFails: true,
          passedThrough: true,
          withinMs: PROVIDER_TIMEOUT_MS + SLACK_MS,
        };
      return { status: 'status' in fault ? fault.status : 200, passedThrough: true, withinMs: SLACK_MS };
    case 'action': // three attempts of each provider call, each bounded by PROXY_TIMEOUT_MS
      if (slowOrGone)
        return { status: 504, code: 'CFM_PROVIDER_TIMEOUT', withinMs: 3 * PROVIDER_TIMEOUT_MS + SLACK_MS };
      if (fault.kind === 'reset')
        return { status: 502, code: 'CFM_PROVIDER_UNREACHABLE', withinMs: 1000 + SLACK_MS };
      return { status: 502, code: 'CFM_PROVIDER_ERROR', withinMs: 1000 + SLACK_MS };
  }
}

interface Outcome {
  status: number | 'no answer';
  text: string;
  ms: number;
  bodyError?: string;
}

async function timed(url: string, init: RequestInit): Promise<Outcome> {
  const started = Date.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
    try {
      const text = await response.text();
      return { status: response.status, text, ms: Date.now() - started };
    } catch (error) {
      return { status: response.status, text: '', ms: Date.now() - started, bodyError: String(error) };
    }
  } catch (error) {
    return { status: 'no answer', text: String(error), ms: Date.now() - started };
  }
}

interface Case {
  target: Target;
  fault: FaultName;
  user: ApiClient;
  /** Values that must never be in the server's answer. */
  secrets: string[];
  run(): Promise<Outcome>;
  /** The callback again with a fresh code for its (spent) state: callback cases. */
  replay?: () => Promise<Outcome>;
}

// The dialects run side by side: most of the time goes in waiting for bounds to pass, not in work.
describe.concurrent('a misbehaving provider', () => {
  for (const dialect of DIALECTS) {
    describe(`at the token endpoint and the API (${dialect})`, () => {
      let database: TestDatabase;
      let notion: FakeNotion;
      let front: FaultyProvider;
      let server: ServerProcess;
      const secrets = generateServerSecrets();

      beforeAll(async () => {
        database = await createTestDatabase(dialect);
        notion = await startFakeNotion({
          provider: { clientId: 'faults-client', clientSecret: `faults-secret-${crypto.randomUUID()}` },
        });
        front = await startFaultyProvider(notion.url);
        server = await startServerProcess({
          env: {
            DATABASE_URL: database.url,
            ...secrets,
            NOTION_CLIENT_ID: notion.clientId,
            NOTION_CLIENT_SECRET: notion.clientSecret,
            CONNECTOR_ORIGIN_OVERRIDES: `https://api.notion.com=${front.url}`,
            PROXY_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
          },
        });
      });

      afterAll(async () => {
        await server?.stop();
        await front?.close();
        await notion?.close();
        await database?.drop();
      });

      async function rowCounts() {
        const handle = createDatabase(database.url);
        try {
          const count = async (table: 'connections' | 'credentials') =>
            Number(
              (
                await handle.db
                  .selectFrom(table)
                  .select((builder) => builder.fn.countAll<number>().as('n'))
                  .executeTakeFirstOrThrow()
              ).n,
            );
          const credentials = await handle.db
            .selectFrom('credentials')
            .select(['connection_id', 'ciphertext', 'updated_at'])
            .execute();
          return {
            connections: await count('connections'),
            credentials: await count('credentials'),
            sealed: new Map(
              credentials.map((row) => [
                row.connection_id,
                `${row.ciphertext}@${row.updated_at.toISOString()}`,
              ]),
            ),
          };
        } finally {
          await handle.close();
        }
      }

      /** A user with an active Notion connection whose every API call meets `fault`. */
      async function connectedCase(target: Exclude<Target, 'callback'>, fault: FaultName): Promise<Case> {
        const user = await createSignedClient(server.url, secrets.JWT_SECRET, {
          subject: `faults|${target}-${fault}`,
          email: `${target}-${fault.replace(/\W+/g, '-')}@example.com`,
        });
        const { connectionId } = await connect(user, 'notion', notion);
        const issued = notion.tokens.filter((token) => token.kind === 'access').at(-1)!.value;
        const refresh = notion.tokens.filter((token) => token.kind === 'refresh').at(-1)!.value;
        front.inject((request) => request.authorization.includes(issued), FAULTS[fault]);
        const base = `${server.url}/api/connections/${connectionId}`;
        const headers = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' };
        const run = {
          test: () => timed(`${base}/test`, { method: 'POST', headers, body: '{}' }),
          proxy: () =>
            timed(`${base}/proxy/v1/users/me`, { headers: { authorization: headers.authorization } }),
          action: () =>
            timed(`${base}/actions/search`, { method: 'POST', headers, body: '{"query":"road"}' }),
        }[target];
        return { target, fault, user, secrets: [issued, refresh, notion.clientSecret], run };
      }

      /** A user whose code exchange meets `fault`: authorize and consent done, the callback not yet sent. */
      async function callbackCase(fault: FaultName): Promise<Case> {
        const user = await createSignedClient(server.url, secrets.JWT_SECRET, {
          subject: `faults|callback-${fault}`,
          email: `callback-${fault.replace(/\W+/g, '-')}@example.com`,
        });
        const authorization = await authorize(user, 'notion');
        const approval = await notion.approve(authorization.authorization_url);
        front.inject(
          (request) => request.path === '/v1/oauth/token' && request.body.includes(approval.code),
          FAULTS[fault],
        );
        const callback = (code: string) =>
          timed(`${server.url}/api/oauth/notion/callback`, {
            method: 'POST',
            headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ code, state: approval.state }),
          });
        return {
          target: 'callback',
          fault,
          user,
          secrets: [approval.code, notion.clientSecret],
          run: () => callback(approval.code),
          replay: async () => callback((await notion.approve(authorization.authorization_url)).code),
        };
      }

      it('answers every fault at the token endpoint and the API within its bound, with a code, storing nothing', async () => {
        const cases: Case[] = [];
        for (const fault of Object.keys(FAULTS) as FaultName[]) {
          cases.push(await callbackCase(fault));
          for (const target of ['test', 'proxy', 'action'] as const)
            cases.push(await connectedCase(target, fault));
        }
        const before = await rowCounts();
        const outcomes = await Promise.all(cases.map((each) => each.run()));
        const after = await rowCounts();

        const problems: string[] = [];
        const table: string[] = [];
        cases.forEach((each, index) => {
          const outcome = outcomes[index]!;
          const expected = expectedOutcome(each.target, each.fault);
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(outcome.text) as Record<string, unknown>;
          } catch {
            // a passed-through HTML page or a cut-off body
          }
          const label = `${each.target} × ${each.fault}`;
          table.push(`${label}: ${outcome.status} ${String(body['code'] ?? '')} in ${outcome.ms} ms`);
          if (outcome.status !== expected.status)
            problems.push(
              `${label}: status ${outcome.status}, expected ${expected.status} (${outcome.text.slice(0, 200)})`,
            );
          if (expected.code !== undefined && body['code'] !== expected.code)
            problems.push(`${label}: code ${String(body['code'])}, expected ${expected.code}`);
          if (expected.success !== undefined && body['success'] !== expected.success)
            problems.push(`${label}: success ${String(body['success'])}`);
          if (outcome.ms > expected.withinMs)
            problems.push(`${label}: took ${outcome.ms} ms, bound ${expected.withinMs} ms`);
          if ((outcome.bodyError !== undefined) !== (expected.bodyFails === true))
            problems.push(`${label}: body ${outcome.bodyError ?? 'read whole'}`);
          const forbidden = expected.passedThrough ? each.secrets : [...each.secrets, FAULT_CANARY];
          for (const secret of forbidden) {
            if (outcome.text.includes(secret))
              problems.push(`${label}: the answer contains ${secret.slice(0, 12)}…`);
          }
        });
        console.info(
          `provider faults (${dialect}): ${cases.length} faults injected\n  ${table.join('\n  ')}`,
        );
        expect(problems, server.problems()).toEqual([]);

        // Nothing stored: only the slow exchange made a connection; no credentials changed under a fault.
        const slowCallbacks = cases.filter(
          (each) => each.target === 'callback' && FAULTS[each.fault].kind === 'slow',
        ).length;
        expect(after.connections).toBe(before.connections + slowCallbacks);
        expect(after.credentials).toBe(before.credentials + slowCallbacks);
        for (const [connectionId, sealed] of before.sealed)
          expect(after.sealed.get(connectionId)).toBe(sealed);
        // Whatever the provider answered, every user can still read their connections.
        for (const each of cases) {
          const listed = await each.user.get('/api/connections/');
          expect(listed.status, `${each.target} × ${each.fault}: ${listed.text.slice(0, 200)}`).toBe(200);
        }

        // A state spent on a failed exchange is not usable again, even with a fresh code.
        for (const each of cases.filter((one) => one.replay !== undefined)) {
          const replayed = await each.replay!();
          expect(replayed.status, `${each.fault}: ${replayed.text}`).toBe(400);
          expect(JSON.parse(replayed.text)).toMatchObject({ code: 'CFM_OAUTH_STATE_USED' });
        }
        // And the server still serves: a healthy provider works again for the same flow.
        const healthy = await connect(cases[0]!.user, 'notion', notion);
        expect(healthy.connectionId).toMatch(/^[0-9a-f-]{36}$/);
      }, 120_000);
    });
  }
});
