import type { FakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';

/**
 * `POST /api/connectors/` body for a generic OAuth 2 custom connector whose endpoints live at `origin`
 * (the fake's own loopback origin, or a public-looking one the server rewrites to the fake).
 */
export function customConnectorBody(key: string, origin: string, provider: FakeOAuth2Provider) {
  return {
    key,
    name: `Custom ${key}`,
    description: 'A generic OAuth 2 provider declared by an admin (test).',
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
