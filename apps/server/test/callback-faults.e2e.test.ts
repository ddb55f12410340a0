import { type FakeOAuth2Provider, startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customConnectorBody } from '../src/test/custom-connector-body.js';
import { type ApiClient, createSignedClient } from './support/api-client.js';
import { createCustomConnector } from './support/custom-connectors.js';
import { type FaultyProvider, startFaultyProvider } from './support/faulty-provider.js';
import { type AuthorizeAnswer, authorize } from './support/oauth-driver.js';
import { generateServerSecrets, type ServerProcess, startServerProcess } from './support/server-process.js';
import { readStoredConnections } from './support/stored-connections.js';

const DIALECTS = await testDialects();
/** Callbacks in flight when the signal arrives, one user each. */
const IN_FLIGHT = 16;
const CONNECTOR = 'crash-idp';

interface Answer {
  status: number | 'no answer';
  connectionId?: string;
  code?: string;
}

async function until(what: string, probe: () => boolean, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const dialect of DIALECTS) {
  describe(`OAuth callbacks in flight when the server stops (${dialect})`, () => {
    let database: TestDatabase;
    let provider: FakeOAuth2Provider;
    let front: FaultyProvider;
    const secrets = generateServerSecrets();
    const servers: ServerProcess[] = [];
    /** The server the next test uses: the first one, or the one started after a kill. */
    let current: ServerProcess;
    const start = async () => {
      current = await startServerProcess({
        env: {
          DATABASE_URL: database.url,
          ...secrets,
          ALLOW_INSECURE_CONNECTOR_URLS: 'true',
          SHUTDOWN_TIMEOUT_SECONDS: '10',
        },
      });
      servers.push(current);
      return current;
    };

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      provider = await startFakeOAuth2Provider({
        clientId: 'crash-client',
        clientSecret: `crash-secret-${crypto.randomUUID()}`,
        autoApprove: true,
      });
      front = await startFaultyProvider(provider.url);
      await start();
      const admin = await createSignedClient(current.url, secrets.JWT_SECRET, {
        subject: 'crash|admin',
        email: 'admin@example.com',
        role: 'admin',
      });
      await createCustomConnector(admin, customConnectorBody(CONNECTOR, front.url, provider));
    });

    afterAll(async () => {
      await Promise.all(servers.map((server) => server.stop()));
      await front?.close();
      await provider?.close();
      await database?.drop();
    });

    /**
     * `IN_FLIGHT` new users consent, then send their callbacks to `target`; resolves once every exchange
     * is held at the provider (each state spent, each callback waiting), with the answers to come and the
     * release of the provider's answers.
     */
    async function callbacksInFlight(target: ServerProcess, batch: string) {
      const users: Array<{ api: ApiClient; authorization: AuthorizeAnswer; code: string }> = [];
      for (let index = 0; index < IN_FLIGHT; index += 1) {
        const api = await createSignedClient(target.url, secrets.JWT_SECRET, {
          subject: `crash|${batch}-${index}`,
          email: `crash-${batch}-${index}@example.com`,
        });
        const authorization = await authorize(api, CONNECTOR);
        const { code } = await provider.approve(authorization.authorization_url);
        users.push({ api, authorization, code });
      }
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const codes = new Set(users.map((user) => user.code));
      const held = () =>
        front.seen.filter(
          (request) => request.fault === 'gate' && [...codes].some((code) => request.body.includes(code)),
        ).length;
      front.inject(
        (request) =>
          request.path === '/oauth/token' && [...codes].some((code) => request.body.includes(code)),
        {
          kind: 'gate',
          released,
        },
      );
      const answers = users.map(async ({ api, authorization, code }): Promise<Answer> => {
        try {
          const response = await fetch(`${target.url}/api/oauth/${CONNECTOR}/callback`, {
            method: 'POST',
            headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ code, state: authorization.state }),
            signal: AbortSignal.timeout(20_000),
          });
          const body = (await response.json()) as { connection_id?: string; code?: string };
          return {
            status: response.status,
            ...(body.connection_id && { connectionId: body.connection_id }),
            ...(body.code && { code: body.code }),
          };
        } catch {
          return { status: 'no answer' };
        }
      });
      await until('every exchange held at the provider', () => held() >= IN_FLIGHT);
      /** Each state again, with a fresh code for it from the provider: never usable a second time. */
      const replayAll = (on: ServerProcess) =>
        Promise.all(
          users.map(async ({ api, authorization }) => {
            const { code } = await provider.approve(authorization.authorization_url);
            const response = await fetch(`${on.url}/api/oauth/${CONNECTOR}/callback`, {
              method: 'POST',
              headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ code, state: authorization.state }),
            });
            return { status: response.status, code: ((await response.json()) as { code?: string }).code };
          }),
        );
      return { answers, release, replayAll };
    }

    it('SIGKILL with every callback in flight: after a restart, no connection active without credentials, no state usable twice', async () => {
      const killed = current;
      const flight = await callbacksInFlight(killed, 'kill');
      // The provider answers every exchange at once; the server dies as soon as the first callback is
      // answered, so the others are caught between the provider's answer and the end of their write.
      flight.release();
      await Promise.race(flight.answers);
      process.kill(killed.pid, 'SIGKILL');
      expect(await killed.stop()).toBe('SIGKILL');
      const settled = await Promise.all(flight.answers);
      const completed = settled.filter((answer) => answer.status === 200);

      const restarted = await start();
      const stored = await readStoredConnections(database.url, secrets.ENCRYPTION_KEY);
      console.info(
        `SIGKILL mid-callback (${dialect}): ${IN_FLIGHT} callbacks in flight, ${completed.length} answered before the kill, ` +
          `${stored.length} connections stored`,
      );
      expect(stored.filter((row) => row.status === 'active' && row.credentials === undefined)).toEqual([]);
      expect(stored.filter((row) => row.credentials === 'unreadable')).toEqual([]);
      const issued = new Set(provider.tokens.map((token) => token.value));
      for (const row of stored) {
        if (typeof row.credentials === 'object')
          expect(issued.has(row.credentials.accessToken ?? '')).toBe(true);
      }
      // What was answered is there; nothing is there twice.
      for (const answer of completed) {
        expect(stored.find((row) => row.id === answer.connectionId)?.status).toBe('active');
      }
      expect(new Set(stored.map((row) => row.userId)).size).toBe(stored.length);
      expect(stored.length).toBeLessThanOrEqual(IN_FLIGHT);

      const replays = await flight.replayAll(restarted);
      expect(replays).toEqual(Array(IN_FLIGHT).fill({ status: 400, code: 'CFM_OAUTH_STATE_USED' }));
    }, 90_000);

    it('SIGTERM with every callback in flight: each is answered in full, stored with credentials, and the process exits 0', async () => {
      const answering = await fetch(`${current.url}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      const stopping = answering ? current : await start(); // the kill test may have failed before its restart
      const before = new Set(
        (await readStoredConnections(database.url, secrets.ENCRYPTION_KEY)).map((row) => row.id),
      );
      const flight = await callbacksInFlight(stopping, 'term');
      const stopped = stopping.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      flight.release();
      const settled = await Promise.all(flight.answers);
      expect(await stopped, stopping.problems()).toBe(0);
      expect(settled.map((answer) => answer.status)).toEqual(Array(IN_FLIGHT).fill(200));

      const added = (await readStoredConnections(database.url, secrets.ENCRYPTION_KEY)).filter(
        (row) => !before.has(row.id),
      );
      expect(added.map((row) => row.id).sort()).toEqual(settled.map((answer) => answer.connectionId).sort());
      expect(added.every((row) => row.status === 'active' && typeof row.credentials === 'object')).toBe(true);
      console.info(
        `SIGTERM mid-callback (${dialect}): ${IN_FLIGHT} callbacks in flight, all answered 200 and stored`,
      );
    }, 90_000);
  });
}
