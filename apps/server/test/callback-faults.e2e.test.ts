import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
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
    const cleanups: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /**
     * A server, a provider whose token endpoint holds every exchange until released, and `IN_FLIGHT`
     * users who consented: each callback, once sent, has spent its state and waits on the provider.
     */
    async function prepare() {
      const database: TestDatabase = await createTestDatabase(dialect);
      cleanups.push(() => database.drop());
      const provider = await startFakeOAuth2Provider({
        clientId: 'crash-client',
        clientSecret: `crash-secret-${crypto.randomUUID()}`,
        autoApprove: true,
      });
      cleanups.push(() => provider.close());
      const front: FaultyProvider = await startFaultyProvider(provider.url);
      cleanups.push(() => front.close());
      const secrets = generateServerSecrets();
      const env = {
        DATABASE_URL: database.url,
        ...secrets,
        ALLOW_INSECURE_CONNECTOR_URLS: 'true',
        SHUTDOWN_TIMEOUT_SECONDS: '10',
      };
      const servers: ServerProcess[] = [];
      const start = async () => {
        const server = await startServerProcess({ env });
        servers.push(server);
        return server;
      };
      cleanups.push(() => Promise.all(servers.map((server) => server.stop())));
      const server = await start();
      const admin = await createSignedClient(server.url, secrets.JWT_SECRET, {
        subject: 'crash|admin',
        email: 'admin@example.com',
        role: 'admin',
      });
      await createCustomConnector(admin, customConnectorBody(CONNECTOR, front.url, provider));
      const users: Array<{ api: ApiClient; authorization: AuthorizeAnswer; code: string }> = [];
      for (let index = 0; index < IN_FLIGHT; index += 1) {
        const api = await createSignedClient(server.url, secrets.JWT_SECRET, {
          subject: `crash|${index}`,
          email: `crash-${index}@example.com`,
        });
        const authorization = await authorize(api, CONNECTOR);
        users.push({
          api,
          authorization,
          code: (await provider.approve(authorization.authorization_url)).code,
        });
      }
      let release: () => void = () => undefined;
      front.inject((request) => request.path === '/oauth/token', {
        kind: 'gate',
        released: new Promise<void>((resolve) => (release = resolve)),
      });
      /** Sends every callback to `target` and resolves once each has reached the provider. */
      const sendCallbacks = async (target: ServerProcess) => {
        const heldBefore = front.seen.filter((request) => request.fault === 'gate').length;
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
        await until(
          'every exchange held at the provider',
          () => front.seen.filter((request) => request.fault === 'gate').length - heldBefore >= IN_FLIGHT,
        );
        return answers;
      };
      /** Each state again, with a fresh code for it from the provider: never usable a second time. */
      const replayAll = async (target: ServerProcess) =>
        Promise.all(
          users.map(async ({ api, authorization }) => {
            const code = (await provider.approve(authorization.authorization_url)).code;
            const response = await fetch(`${target.url}/api/oauth/${CONNECTOR}/callback`, {
              method: 'POST',
              headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ code, state: authorization.state }),
            });
            return { status: response.status, code: ((await response.json()) as { code?: string }).code };
          }),
        );
      return { database, provider, secrets, server, start, release, sendCallbacks, replayAll };
    }

    it('SIGKILL with every callback in flight: after a restart, no connection active without credentials, no state usable twice', async () => {
      const setup = await prepare();
      const answers = await setup.sendCallbacks(setup.server);
      // The provider answers every exchange at once; the server dies as soon as the first callback is
      // answered, so the others are caught between the provider's answer and the end of their write.
      setup.release();
      await Promise.race(answers);
      process.kill(setup.server.pid, 'SIGKILL');
      expect(await setup.server.stop()).toBe('SIGKILL');
      const settled = await Promise.all(answers);
      const completed = settled.filter((answer) => answer.status === 200);

      const restarted = await setup.start();
      const stored = await readStoredConnections(setup.database.url, setup.secrets.ENCRYPTION_KEY);
      console.info(
        `SIGKILL mid-callback (${dialect}): ${IN_FLIGHT} callbacks in flight, ${completed.length} answered before the kill, ` +
          `${stored.length} connections stored`,
      );
      expect(stored.filter((row) => row.status === 'active' && row.credentials === undefined)).toEqual([]);
      expect(stored.filter((row) => row.credentials === 'unreadable')).toEqual([]);
      const issued = new Set(setup.provider.tokens.map((token) => token.value));
      for (const row of stored) {
        if (row.credentials !== undefined && row.credentials !== 'unreadable')
          expect(issued.has(row.credentials.accessToken ?? '')).toBe(true);
      }
      // What was answered is there; nothing is there twice.
      for (const answer of completed)
        expect(stored.find((row) => row.id === answer.connectionId)?.status).toBe('active');
      expect(new Set(stored.map((row) => row.userId)).size).toBe(stored.length);
      expect(stored.length).toBeLessThanOrEqual(IN_FLIGHT);

      const replays = await setup.replayAll(restarted);
      expect(replays).toEqual(Array(IN_FLIGHT).fill({ status: 400, code: 'CFM_OAUTH_STATE_USED' }));
    }, 90_000);

    it('SIGTERM with every callback in flight: each is answered in full, stored with credentials, and the process exits 0', async () => {
      const setup = await prepare();
      const answers = await setup.sendCallbacks(setup.server);
      const stopped = setup.server.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      setup.release();
      const settled = await Promise.all(answers);
      expect(await stopped, setup.server.problems()).toBe(0);
      expect(settled.map((answer) => answer.status)).toEqual(Array(IN_FLIGHT).fill(200));

      const stored = await readStoredConnections(setup.database.url, setup.secrets.ENCRYPTION_KEY);
      expect(stored.map((row) => row.id).sort()).toEqual(settled.map((answer) => answer.connectionId).sort());
      expect(stored.every((row) => row.status === 'active' && typeof row.credentials === 'object')).toBe(
        true,
      );
      console.info(
        `SIGTERM mid-callback (${dialect}): ${IN_FLIGHT} callbacks in flight, all answered 200 and stored`,
      );
    }, 90_000);
  });
}
