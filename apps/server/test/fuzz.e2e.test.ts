import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import type { FakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customConnectorBody } from '../src/test/custom-connector-body.js';
import { type ApiClient, createSignedClient, signTestToken } from './support/api-client.js';
import { createCustomConnector } from './support/custom-connectors.js';
import { judge, send } from './support/fuzz-client.js';
import { authorize, connect, createConnection } from './support/oauth-driver.js';
import { type FuzzPools, operationsOf, requestsFor } from './support/openapi-fuzz.js';
import { snapshotRows } from './support/row-snapshot.js';
import {
  generateServerSecrets,
  SERVER_ROOT,
  type ServerProcess,
  startServerProcess,
} from './support/server-process.js';
import { readStoredConnections } from './support/stored-connections.js';

const DIALECTS = await testDialects();
const DOCUMENT = JSON.parse(
  readFileSync(join(SERVER_ROOT, '..', '..', 'interfaces', 'openapi.json'), 'utf8'),
);
// `/mcp` is JSON-RPC, not in the document; proxy operations carry no body (a streamed body is not a schema case).
const OPERATIONS = operationsOf(DOCUMENT);
/** Cases per operation and caller: about 2,400 requests per database (`FUZZ_RUNS` to try more). */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 40);
/** Print and set `FUZZ_SEED` to replay a run. */
const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const CONCURRENCY = 4;

interface Party {
  api: ApiClient;
  userId: string;
  provider: FakeOAuth2Provider;
  connectionIds: string[];
  state: string;
}

for (const dialect of DIALECTS) {
  describe(`requests generated from the API description (${dialect})`, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    const secrets = generateServerSecrets();
    const providers: FakeOAuth2Provider[] = [];
    let ada: Party; // an admin: the custom connectors and a service key are hers
    let bob: Party;
    let carol: Party;
    let serviceKey: { id: string; key: string };
    let oddTokens: string[];
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

    /** A user with an active connection at `connectKey`, a pending one, and an unused state at `stateKey`. */
    async function party(
      email: string,
      role: 'user' | 'admin',
      connectKey: 'fuzz-ada' | 'fuzz-bob',
      stateKey: 'fuzz-ada' | 'fuzz-bob',
    ): Promise<Party> {
      const provider = providers[connectKey === 'fuzz-ada' ? 0 : 1]!;
      const api = await createSignedClient(server.url, secrets.JWT_SECRET, {
        subject: `fuzz|${email}`,
        email,
        role,
      });
      const me = await api.get<{ id: string }>('/api/me');
      const connected = await connect(api, connectKey, provider);
      const pending = await createConnection(api, 'notion', {});
      const { state } = await authorize(api, stateKey);
      return {
        api,
        userId: me.body.id,
        provider,
        connectionIds: [connected.connectionId, pending.id],
        state,
      };
    }

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      for (let index = 0; index < 2; index += 1) {
        providers.push(
          await startFakeOAuth2Provider({
            clientId: `fuzz-${index}`,
            clientSecret: `fuzz-secret-${crypto.randomUUID()}`,
            autoApprove: true,
          }),
        );
      }
      server = await startServerProcess({
        env: {
          DATABASE_URL: database.url,
          ...secrets,
          ALLOW_INSECURE_CONNECTOR_URLS: 'true',
          RATE_LIMIT_ENABLED: 'false',
        },
      });
      const admin = await createSignedClient(server.url, secrets.JWT_SECRET, {
        subject: 'fuzz|ada@example.com',
        email: 'ada@example.com',
        role: 'admin',
      });
      for (const [index, key] of ['fuzz-ada', 'fuzz-bob'].entries()) {
        const provider = providers[index]!;
        const body = {
          ...customConnectorBody(key, provider.url, provider),
          api: { base_url: `${provider.url}/api` },
        };
        await createCustomConnector(admin, body);
      }
      ada = await party('ada@example.com', 'admin', 'fuzz-ada', 'fuzz-bob');
      bob = await party('bob@example.com', 'user', 'fuzz-bob', 'fuzz-ada');
      // The admin's victim: her rows sit at the connector left out of the admin's keys (deleting it is her right).
      carol = await party('carol@example.com', 'user', 'fuzz-bob', 'fuzz-bob');
      const created = await ada.api.post<{ id: string; key: string }>('/api/service-keys', {
        name: 'fuzz',
        scopes: ['connections:read', 'connections:proxy'],
      });
      expect(created.status, created.text).toBe(201);
      serviceKey = created.body;
      const identities = [
        'a\u0000b',
        'ada@example.com',
        'fuzz|ada@example.com ',
        'FUZZ|ADA@EXAMPLE.COM',
        "' OR 1=1 --",
        '𝕏'.repeat(300),
        '__proto__',
        '',
      ];
      oddTokens = [
        ...(await Promise.all(
          identities.map((odd, index) =>
            signTestToken(secrets.JWT_SECRET, {
              subject: odd || `s${index}`,
              email: index % 2 === 0 ? odd : 'ada@example.com',
            }),
          ),
        )),
        await signTestToken('another-secret-of-at-least-thirty-two-chars', {
          subject: 'fuzz|ada@example.com',
          email: 'ada@example.com',
          role: 'admin',
        }),
        await signTestToken(secrets.JWT_SECRET, { subject: 'fuzz|old', email: 'old@example.com' }, -60),
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiJmdXp6fGFkYUBleGFtcGxlLmNvbSIsInJvbGUiOiJhZG1pbiJ9.',
        'not-a-token',
      ];
    });

    afterAll(async () => {
      agent.destroy();
      await server?.stop();
      await Promise.all(providers.map((provider) => provider.close()));
      await database?.drop();
    });

    async function fuzzAs(caller: Party, victim: Party, keys: string[]) {
      const pools: FuzzPools = {
        ids: [
          ...caller.connectionIds,
          ...victim.connectionIds,
          serviceKey.id,
          crypto.randomUUID(),
          victim.userId,
        ],
        connectorKeys: [...keys, 'notion', 'slack', 'jira', 'zz-missing'],
        actionNames: ['search', 'get_page', 'list_channels', '__proto__'],
        proxyPaths: ['me', 'api/me', 'v1/users/me', 'x?y=1'],
        strings: [
          victim.state,
          caller.state,
          'ada@example.com',
          'bob@example.com',
          'carol@example.com',
          victim.userId,
          'fuzz-ada',
          'connection.connect',
        ],
      };
      const authorizations = [
        `Bearer ${caller.api.token}`,
        undefined,
        `Bearer ${serviceKey.key.slice(0, -2)}`,
        `Basic ${btoa('a:b')}`,
        ...oddTokens.map((token) => `Bearer ${token}`),
      ];
      const auth = fc.oneof(
        { weight: 14, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: authorizations.length - 1 }) },
      );
      // Round robin over the operations, so that deletes and the like are spread over the run.
      const perOperation = OPERATIONS.map((operation, index) =>
        fc
          .sample(fc.tuple(requestsFor(operation, DOCUMENT, pools), auth), {
            numRuns: RUNS,
            seed: SEED + index,
          })
          .map(([request, who]) => ({ operation, request, authorization: authorizations[who] })),
      );
      const cases = Array.from({ length: RUNS }, (_, round) =>
        perOperation.map((list) => list[round]!),
      ).flat();

      const before = await snapshotRows(database.url, victim.userId, caller !== ada);
      const victimApiCalls = () =>
        victim.provider.requests.filter((request) => !request.path.startsWith('/oauth/')).length;
      const victimCallsBefore = victimApiCalls();
      const forbidden = [
        ...providers.flatMap((provider) => [
          provider.clientSecret,
          ...provider.tokens.map((token) => token.value),
        ]),
        serviceKey.key,
        secrets.JWT_SECRET,
        secrets.ENCRYPTION_KEY,
      ];
      const problems: string[] = [];
      const statuses = new Map<string, number>();
      let next = 0;
      let serverErrors = 0;
      const worker = async () => {
        for (let index = next++; index < cases.length; index = next++) {
          const { operation, request, authorization } = cases[index]!;
          const outcome = await send(server.url, agent, request, authorization);
          statuses.set(String(outcome.status), (statuses.get(String(outcome.status)) ?? 0) + 1);
          const problem = judge(operation, outcome, forbidden);
          if (problem !== undefined && typeof outcome.status === 'number' && outcome.status >= 500)
            serverErrors += 1;
          if (problem !== undefined)
            problems.push(
              `${request.method} ${request.path.slice(0, 300)} ${request.body?.slice(0, 300) ?? ''}\n    → ${problem}`,
            );
        }
      };
      const started = Date.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      console.info(
        `fuzz (${dialect}, as ${caller === ada ? 'an admin' : 'a user'}): ${cases.length} cases over ${OPERATIONS.length} operations, ` +
          `${serverErrors} server errors, ${problems.length} problems in ${Date.now() - started} ms (seed ${SEED}); ` +
          `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
      );
      expect(problems.slice(0, 20), server.problems()).toEqual([]);
      expect(await snapshotRows(database.url, victim.userId, caller !== ada)).toEqual(before);
      expect(victimApiCalls(), "the victim's provider API was called").toBe(victimCallsBefore);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      // And nobody's connection was left half written by what the fuzz did to its own.
      const stored = await readStoredConnections(database.url, secrets.ENCRYPTION_KEY);
      expect(stored.filter((row) => row.status === 'active' && typeof row.credentials !== 'object')).toEqual(
        [],
      );
    }

    it("a user's fuzzed requests to every operation: never a 5xx or a hang, nothing of another user's changed", async () => {
      await fuzzAs(bob, ada, ['fuzz-ada', 'fuzz-bob']);
      // Nothing the fuzz sent made the user more than a user.
      expect((await bob.api.get<{ role: string }>('/api/me')).body.role).toBe('user');
      expect((await bob.api.get('/api/service-keys')).status).toBe(403);
    }, 180_000);

    it("an admin's fuzzed requests: never a 5xx or a hang, nothing of a user's changed", async () => {
      await fuzzAs(ada, carol, ['fuzz-ada']);
    }, 180_000);
  });
}
