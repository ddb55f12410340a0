import type { FakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { expect } from 'vitest';
import type { ApiClient } from './api-client.js';

/**
 * `POST /api/connectors/` body for a generic OAuth 2 custom connector whose endpoints live at `origin`
 * (the fake's own loopback origin, or a public-looking one the server rewrites to the fake).
 */
export function customConnectorBody(key: string, origin: string, provider: FakeOAuth2Provider) {
  return {
    key,
    name: `Custom ${key}`,
    description: 'A generic OAuth 2 provider declared by an admin (end-to-end test).',
    auth: {
      type: 'oauth2',
      authorize_url: `${origin}/oauth/authorize`,
      token_url: `${origin}/oauth/token`,
      revoke_url: `${origin}/oauth/revoke`,
      scopes: ['read'],
      client_id: provider.clientId,
      client_secret: provider.clientSecret,
    },
    check: {
      url: `${origin}/api/me`,
      identity: { account_id: 'id', display_name: 'name', email: 'email' },
    },
  };
}

/** Declares the connector as an admin and asserts 201 without the secret in the answer. */
export async function createCustomConnector(
  admin: ApiClient,
  body: ReturnType<typeof customConnectorBody>,
): Promise<Record<string, unknown>> {
  const response = await admin.post('/api/connectors/', body);
  expect(response.status, response.text.slice(0, 800)).toBe(201);
  expect(response.text).not.toContain(body.auth.client_secret);
  return response.body;
}
