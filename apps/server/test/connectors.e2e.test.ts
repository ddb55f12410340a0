import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { type ApiClient, createSignedClient } from './support/api-client.js';
import { PACKAGED_KEYS, type PackagedFakes, startPackagedFakes } from './support/connector-fakes.js';
import { connect, getConnection, revoke, testConnection } from './support/oauth-driver.js';
import { generateServerSecrets, type ServerProcess, startServerProcess } from './support/server-process.js';

const DIALECTS = await testDialects();

interface ConnectorListItem {
  key: string;
  source: string;
  status: string;
  configured: boolean;
  enabled: boolean;
}

function accountIdOf(identity: Record<string, unknown> | null): unknown {
  return identity?.['account_id'] ?? identity?.['accountId'];
}

for (const dialect of DIALECTS) {
  // One server process and one set of fakes per dialect serve all six connectors.
  describe(`packaged connectors through the built server (${dialect})`, () => {
    let database: TestDatabase | undefined;
    let fakes: PackagedFakes | undefined;
    let server: ServerProcess | undefined;
    let api: ApiClient;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      fakes = await startPackagedFakes();
      const secrets = generateServerSecrets();
      server = await startServerProcess({ env: { DATABASE_URL: database.url, ...secrets, ...fakes.env } });
      api = await createSignedClient(server.url, secrets.JWT_SECRET, {
        subject: `e2e|connectors-${dialect}`,
        email: `connectors-${dialect}@example.com`,
      });
    });

    afterAll(async () => {
      await server?.stop();
      await fakes?.close();
      await database?.drop();
    });

    it('GET /api/connectors/ lists the six packaged connectors as loaded and configured', async () => {
      const response = await api.get<unknown>('/api/connectors/');
      expect(response.status, response.text.slice(0, 500)).toBe(200);
      const body = response.body;
      const items = (
        Array.isArray(body) ? body : (body as { items?: unknown[] }).items
      ) as ConnectorListItem[];
      expect(Array.isArray(items)).toBe(true);
      for (const key of PACKAGED_KEYS) {
        const connector = items.find((item) => item.key === key);
        expect(connector, `${key} is listed`).toMatchObject({
          key,
          source: 'package',
          status: 'loaded',
          enabled: true,
          configured: true,
        });
      }
    });

    it('authorizing Datadog without a connection uses the default site of its config schema', async () => {
      onTestFailed(() => console.error(`server problems (${dialect}):\n${server?.problems(3)}`));
      const response = await api.get<{ authorization_url: string }>('/api/oauth/datadog/authorize');
      // The config schema declares `site` with a default, so a first connect needs no settings; at worst
      // a missing setting is the caller's mistake (4xx), never a 500.
      expect(response.status, response.text).toBe(200);
      expect(new URL(response.body.authorization_url).pathname).toBe('/oauth2/v1/authorize');
    });

    for (const key of PACKAGED_KEYS) {
      it(`${key}: authorize → consent → callback → test → refresh → revoke`, async () => {
        if (!fakes) throw new Error('fakes did not start');
        onTestFailed(() => console.error(`server problems (${dialect}):\n${server?.problems()}`));
        const { fake, providerRevokes, config } = fakes.byKey[key];

        // Connect.
        const exchangesBefore = fake.counts.token;
        const { connectionId } = await connect(api, key, fake, config === undefined ? {} : { config });
        expect(fake.counts.token).toBe(exchangesBefore + 1);
        const connected = await getConnection(api, connectionId);
        expect(connected).toMatchObject({
          id: connectionId,
          connector_key: key,
          status: 'active',
          has_credentials: true,
        });

        // Test: the connector's check and sample run against the fake with the stored token.
        const tested = await testConnection(api, connectionId);
        expect(tested.success, tested.message).toBe(true);
        expect(typeof accountIdOf(tested.identity)).toBe('string');
        expect(tested.sample_data?.items.length ?? 0).toBeGreaterThan(0);

        // Refresh: the provider stops accepting the access token; the next test refreshes once and succeeds.
        const refreshesBefore = fake.counts.refresh;
        fake.expireAccessTokens();
        const retested = await testConnection(api, connectionId);
        expect(retested.success, retested.message).toBe(true);
        expect(fake.counts.refresh).toBe(refreshesBefore + 1);
        expect((await getConnection(api, connectionId)).status).toBe('active');

        // Revoke: the provider is asked where it can be; the connection is revoked and its credentials gone.
        const revokesBefore = fake.counts.revoke;
        await revoke(api, key, connectionId);
        expect(fake.counts.revoke).toBe(revokesBefore + (providerRevokes ? 1 : 0));
        const revoked = await getConnection(api, connectionId);
        expect(revoked).toMatchObject({ status: 'revoked', has_credentials: false });
        if (providerRevokes) {
          const live = fake.tokens.filter((token) => token.state === 'active');
          expect(live.map((token) => token.kind)).toEqual([]);
        }

        // A revoked connection has nothing to test with.
        const afterRevoke = await testConnection(api, connectionId);
        expect(afterRevoke.success).toBe(false);
      });
    }
  });
}
