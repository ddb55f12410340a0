import { type FakeOAuth2Provider, startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customConnectorBody } from '../src/test/custom-connector-body.js';
import { createSignedClient, signTestToken } from './support/api-client.js';
import { createCustomConnector } from './support/custom-connectors.js';
import { generateServerSecrets, type ServerProcess, startServerProcess } from './support/server-process.js';
import { readStoredConnections } from './support/stored-connections.js';

const DIALECTS = await testDialects();
const PROCESSES = 3;
/** A user has at most one connection per connector: 100 users × 10 connectors = 1,000 completions. */
const USERS = 100;
const CONNECTORS = 10;
const COMPLETIONS = USERS * CONNECTORS;
/** Flows in flight at once, all processes together. */
const PARALLEL = 12;
/** Each process counts limits on its own; the load comes from one address. */
const GENEROUS_LIMITS = {
  RATE_LIMIT_OAUTH_PER_USER: '100000',
  RATE_LIMIT_OAUTH_PER_IP: '100000',
  RATE_LIMIT_WRITES_PER_USER: '100000',
  RATE_LIMIT_WRITES_PER_IP: '100000',
};

interface Failure {
  flow: number;
  step: string;
  status: number | string;
  text: string;
}

describe.runIf(DIALECTS.includes('postgres'))(
  `${COMPLETIONS} OAuth completions across ${PROCESSES} server processes on one PostgreSQL`,
  () => {
    let database: TestDatabase;
    let provider: FakeOAuth2Provider;
    const servers: ServerProcess[] = [];
    const secrets = generateServerSecrets();

    beforeAll(async () => {
      database = await createTestDatabase('postgres');
      provider = await startFakeOAuth2Provider({
        clientId: 'load-client',
        clientSecret: `load-secret-${crypto.randomUUID()}`,
        autoApprove: true,
      });
      const env = {
        DATABASE_URL: database.url,
        ...secrets,
        ALLOW_INSECURE_CONNECTOR_URLS: 'true',
        ...GENEROUS_LIMITS,
      };
      // The first migrates the fresh database; the others start on it together.
      servers.push(await startServerProcess({ env }));
      servers.push(
        ...(await Promise.all(Array.from({ length: PROCESSES - 1 }, () => startServerProcess({ env })))),
      );
      const admin = await createSignedClient(servers[0]!.url, secrets.JWT_SECRET, {
        subject: 'load|admin',
        email: 'load-admin@example.com',
        role: 'admin',
      });
      for (let index = 0; index < CONNECTORS; index += 1) {
        await createCustomConnector(admin, customConnectorBody(`load-${index}`, provider.url, provider));
      }
    });

    afterAll(async () => {
      await Promise.all(servers.map((server) => server.stop()));
      await provider?.close();
      await database?.drop();
    });

    it('stores exactly one connection per completed flow, each with credentials that open, none lost or duplicated', async () => {
      const tokens = await Promise.all(
        Array.from({ length: USERS }, (_, index) =>
          signTestToken(secrets.JWT_SECRET, { subject: `load|${index}`, email: `load-${index}@example.com` }),
        ),
      );
      const failures: Failure[] = [];
      const answered = new Map<number, string>();

      /** authorize on one process, consent at the provider, callback on the next process. */
      async function flow(index: number): Promise<void> {
        const token = tokens[Math.floor(index / CONNECTORS)]!;
        const key = `load-${index % CONNECTORS}`;
        const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
        const starter = servers[index % PROCESSES]!;
        const finisher = servers[(index + 1) % PROCESSES]!;
        const started = await fetch(`${starter.url}/api/oauth/${key}/authorize`, {
          headers,
          signal: AbortSignal.timeout(30_000),
        });
        const authorization = (await started.json()) as { authorization_url?: string };
        if (started.status !== 200 || authorization.authorization_url === undefined) {
          failures.push({
            flow: index,
            step: 'authorize',
            status: started.status,
            text: JSON.stringify(authorization),
          });
          return;
        }
        const approval = await provider.approve(authorization.authorization_url);
        const finished = await fetch(`${finisher.url}/api/oauth/${key}/callback`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ code: approval.code, state: approval.state }),
          signal: AbortSignal.timeout(30_000),
        });
        const result = (await finished.json()) as { connection_id?: string };
        if (finished.status !== 200 || result.connection_id === undefined) {
          failures.push({
            flow: index,
            step: 'callback',
            status: finished.status,
            text: JSON.stringify(result),
          });
          return;
        }
        answered.set(index, result.connection_id);
      }

      const started = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          for (let index = next++; index < COMPLETIONS; index = next++) {
            await flow(index).catch((error: unknown) =>
              failures.push({ flow: index, step: 'network', status: 'error', text: String(error) }),
            );
          }
        }),
      );
      const seconds = (Date.now() - started) / 1000;

      const stored = await readStoredConnections(database.url, secrets.ENCRYPTION_KEY);
      const issued = new Map(provider.tokens.map((token) => [token.value, token]));
      const opened = stored.filter(
        (row) =>
          typeof row.credentials === 'object' &&
          issued.get(row.credentials.accessToken ?? '')?.kind === 'access',
      );
      const accessTokens = new Set(
        opened.map((row) => (row.credentials as { accessToken: string }).accessToken),
      );
      const pairs = new Set(stored.map((row) => `${row.userId} ${row.connectorId}`));
      console.info(
        `OAuth under load: ${answered.size} completions across ${PROCESSES} processes in ${seconds.toFixed(1)} s ` +
          `(${(answered.size / seconds).toFixed(0)}/s, ${PARALLEL} in flight); ${stored.length} connections stored, ` +
          `${opened.length} with credentials that open to a token the provider issued, ${failures.length} failures`,
      );

      expect(failures.slice(0, 10), servers.map((server) => server.problems(5)).join('\n')).toEqual([]);
      expect(answered.size).toBe(COMPLETIONS);
      expect(stored).toHaveLength(COMPLETIONS);
      expect(stored.every((row) => row.status === 'active')).toBe(true);
      expect(opened).toHaveLength(COMPLETIONS);
      expect(accessTokens.size).toBe(COMPLETIONS); // no two connections share a grant
      expect(pairs.size).toBe(COMPLETIONS); // one per user and connector
      expect(new Set(answered.values())).toEqual(new Set(stored.map((row) => row.id))); // none lost, none unannounced
      expect(provider.counts.token).toBe(COMPLETIONS); // each code exchanged once
    }, 240_000);
  },
);
