import type { AddressInfo } from 'node:net';
import { type FakeOAuth2Provider, startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import type { Dialect } from '@cfm/db';
import { expect } from 'vitest';
import { type ApiClient, createApiClient, createSignedClient } from '../../../../test/support/api-client.js';
import { connect } from '../../../../test/support/oauth-driver.js';
import { customConnectorBody } from '../../../test/custom-connector-body.js';
import { createTestApp, type TestApp } from '../../../test/helpers.js';
import { type FakeApiServer, startFakeApiServer } from './fake-api-server.js';

export const CONNECTOR_KEY = 'acme-api';

export interface ProxyHarness {
  testApp: TestApp;
  baseUrl: string;
  provider: FakeOAuth2Provider;
  api: FakeApiServer;
  admin: ApiClient;
  alice: ApiClient;
  bob: ApiClient;
  /** Alice's active connection through the fake provider. */
  aliceConnectionId: string;
  bobConnectionId: string;
  /** A service key with exactly these scopes, as a client. */
  serviceClient(scopes: string[]): Promise<{ client: ApiClient; key: string; id: string }>;
  close(): Promise<void>;
}

/**
 * A server listening on 127.0.0.1 with a custom OAuth 2 connector whose API is a real HTTP server
 * (`fake-api-server.ts`) accepting the fake provider's tokens; Alice and Bob each connected once.
 */
export async function startProxyHarness(
  dialect: Dialect,
  env: Record<string, string> = {},
): Promise<ProxyHarness> {
  const provider = await startFakeOAuth2Provider({
    clientId: 'acme-client',
    clientSecret: `acme-${crypto.randomUUID()}`,
  });
  const api = await startFakeApiServer(provider);
  const testApp = await createTestApp(dialect, {
    env: { ALLOW_INSECURE_CONNECTOR_URLS: 'true', LOG_LEVEL: 'silent', ...env },
  });
  await testApp.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = testApp.app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const secret = testApp.config.jwt.secret;
  const admin = await createSignedClient(baseUrl, secret, {
    subject: 'proxy|admin',
    email: 'admin@example.com',
    role: 'admin',
  });
  const alice = await createSignedClient(baseUrl, secret, {
    subject: 'proxy|alice',
    email: 'alice@example.com',
  });
  const bob = await createSignedClient(baseUrl, secret, { subject: 'proxy|bob', email: 'bob@example.com' });
  const declared = await admin.post('/api/connectors/', {
    ...customConnectorBody(CONNECTOR_KEY, provider.url, provider),
    api: { base_url: `${api.url}/v1`, headers: { 'Acme-Version': '2026-01-01' } },
  });
  expect(declared.status, declared.text).toBe(201);
  const aliceConnectionId = (await connect(alice, CONNECTOR_KEY, provider)).connectionId;
  const bobConnectionId = (await connect(bob, CONNECTOR_KEY, provider)).connectionId;
  return {
    testApp,
    baseUrl,
    provider,
    api,
    admin,
    alice,
    bob,
    aliceConnectionId,
    bobConnectionId,
    async serviceClient(scopes) {
      const created = await admin.post<{ id: string; key: string }>('/api/service-keys', {
        name: `svc-${scopes.join('-') || 'none'}-${crypto.randomUUID().slice(0, 8)}`,
        scopes,
      });
      expect(created.status, created.text).toBe(201);
      return {
        client: createApiClient(baseUrl, created.body.key),
        key: created.body.key,
        id: created.body.id,
      };
    },
    async close() {
      await testApp.close();
      await api.close();
      await provider.close();
    },
  };
}
