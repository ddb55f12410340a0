import type { FakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customConnectorBody } from '../src/test/custom-connector-body.js';
import { type ApiClient, createSignedClient } from './support/api-client.js';
import { createCustomConnector } from './support/custom-connectors.js';
import { authorize, connect, getConnection, revoke, testConnection } from './support/oauth-driver.js';
import { generateServerSecrets, type ServerProcess, startServerProcess } from './support/server-process.js';

function secretsOf(server: ServerProcess | undefined): string {
  const secret = server?.env['JWT_SECRET'];
  if (secret === undefined) throw new Error('the server did not start');
  return secret;
}

const DIALECTS = await testDialects();
/** A public-looking origin the server rewrites to the second fake (CONNECTOR_ORIGIN_OVERRIDES). */
const PUBLIC_ORIGIN = 'https://oauth.acme-e2e.example';

for (const dialect of DIALECTS) {
  describe(`custom OAuth 2 connector declared by an admin (${dialect})`, () => {
    let database: TestDatabase | undefined;
    let server: ServerProcess | undefined;
    const providers: FakeOAuth2Provider[] = [];
    let admin: ApiClient;
    let user: ApiClient;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      providers.push(
        await startFakeOAuth2Provider({
          clientId: 'loopback-client',
          clientSecret: `loopback-${crypto.randomUUID()}`,
        }),
        await startFakeOAuth2Provider({
          clientId: 'override-client',
          clientSecret: `override-${crypto.randomUUID()}`,
        }),
      );
      const secrets = generateServerSecrets();
      server = await startServerProcess({
        env: {
          DATABASE_URL: database.url,
          ...secrets,
          ALLOW_INSECURE_CONNECTOR_URLS: 'true',
          CONNECTOR_ORIGIN_OVERRIDES: `${PUBLIC_ORIGIN}=${providers[1]?.url}`,
        },
      });
      admin = await createSignedClient(server.url, secrets.JWT_SECRET, {
        subject: `e2e|admin-${dialect}`,
        email: 'admin@example.com',
        role: 'admin',
      });
      user = await createSignedClient(server.url, secrets.JWT_SECRET, {
        subject: `e2e|user-${dialect}`,
        email: 'user@example.com',
      });
    });

    afterAll(async () => {
      await server?.stop();
      await Promise.all(providers.map((provider) => provider.close()));
      await database?.drop();
    });

    it('a non-admin cannot declare a connector', async () => {
      const provider = providers[0] as FakeOAuth2Provider;
      const response = await user.post(
        '/api/connectors/',
        customConnectorBody('acme-forbidden', provider.url, provider),
      );
      expect(response.status).toBe(403);
    });

    const cases = [
      { key: 'acme-loopback', index: 0, origin: (provider: FakeOAuth2Provider) => provider.url },
      { key: 'acme-override', index: 1, origin: () => PUBLIC_ORIGIN },
    ];
    for (const { key, index, origin } of cases) {
      it(`${key}: create → authorize → consent → callback → test → refresh → revoke`, async () => {
        const provider = providers[index] as FakeOAuth2Provider;
        const created = await createCustomConnector(
          admin,
          customConnectorBody(key, origin(provider), provider),
        );
        expect(created).toMatchObject({
          key,
          source: 'custom',
          status: 'loaded',
          enabled: true,
          configured: true,
        });

        const listed = await user.get<unknown>('/api/connectors/');
        expect(listed.status).toBe(200);
        expect(listed.text).toContain(`"${key}"`);
        expect(listed.text).not.toContain(provider.clientSecret);

        const { connectionId } = await connect(user, key, provider);
        expect(provider.counts.token).toBe(1);
        // PKCE is on by default for custom connectors: the fake checked the verifier at the exchange.
        const authorizeRequest = provider.requests.find((request) => request.path === '/oauth/authorize');
        expect(authorizeRequest?.query['code_challenge_method']).toBe('S256');
        expect(await getConnection(user, connectionId)).toMatchObject({
          status: 'active',
          connector_key: key,
        });

        const tested = await testConnection(user, connectionId);
        expect(tested.success, tested.message).toBe(true);
        expect(tested.identity?.['account_id'] ?? tested.identity?.['accountId']).toBe('fake-user-1');

        provider.expireAccessTokens();
        const retested = await testConnection(user, connectionId);
        expect(retested.success, retested.message).toBe(true);
        expect(provider.counts.refresh).toBe(1);

        await revoke(user, key, connectionId);
        expect(provider.counts.revoke).toBe(1);
        expect(await getConnection(user, connectionId)).toMatchObject({
          status: 'revoked',
          has_credentials: false,
        });
        expect(provider.tokens.filter((token) => token.state === 'active')).toEqual([]);
      });
    }

    it('a callback is single use and bound to the user who started it', async () => {
      const provider = providers[0] as FakeOAuth2Provider;
      const started = await authorize(user, 'acme-loopback');
      const approval = await provider.approve(started.authorization_url);
      const stranger = await createSignedClient(user.baseUrl, secretsOf(server), {
        subject: `e2e|stranger-${dialect}`,
        email: 'stranger@example.com',
      });
      const body = { code: approval.code, state: approval.state };
      const foreign = await stranger.post('/api/oauth/acme-loopback/callback', body);
      expect(foreign.status).toBe(403);
      expect(foreign.body['code']).toBe('CFM_OAUTH_STATE_FOREIGN');
      // The stranger did not burn the attempt: its owner still completes it, once.
      const completed = await user.post<{ connection_id: string }>('/api/oauth/acme-loopback/callback', body);
      expect(completed.status, completed.text).toBe(200);
      const replayed = await user.post('/api/oauth/acme-loopback/callback', body);
      expect(replayed.status).toBe(400);
      expect(replayed.body['code']).toBe('CFM_OAUTH_STATE_USED');
      const otherConnector = await user.post('/api/oauth/acme-override/callback', body);
      expect(otherConnector.status).toBe(400);
      // Nor can a stranger disconnect it.
      const theft = await stranger.delete(`/api/oauth/acme-loopback/revoke/${completed.body.connection_id}`);
      expect(theft.status).toBe(404);
      expect((await getConnection(user, completed.body.connection_id)).status).toBe('active');
    });
  });
}
