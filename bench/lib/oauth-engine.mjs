import { randomUUID } from 'node:crypto';

/** Where the benchmark connector's endpoints claim to live; its context rewrites them to the fake provider. */
const CONNECTOR_ORIGIN = 'https://acme.example';

/**
 * A generic OAuth 2 connector `acme` (its `connectors` row inserted, a client of `provider`) and the engine
 * context the token manager and refresher run on: the database, the vault, a resolver of that one
 * connector, and the connector's origin rewritten to the fake provider's loopback URL.
 */
export async function oauthEngineFixture({ sdk, handle, vault, provider }) {
  const connectorId = randomUUID();
  await handle.db
    .insertInto('connectors')
    .values({
      id: connectorId,
      key: 'acme',
      name: 'Acme',
      description: '',
      source: 'package',
      auth_type: 'oauth2',
      config_schema: {},
    })
    .execute();
  const connector = {
    id: connectorId,
    key: 'acme',
    source: 'package',
    enabled: true,
    definition: sdk.defineConnector({
      key: 'acme',
      name: 'Acme',
      description: 'A generic OAuth 2 connector for the benchmark.',
      configSchema: sdk.Type.Object({}),
      auth: [
        {
          type: 'oauth2',
          authorizeUrl: `${CONNECTOR_ORIGIN}/oauth/authorize`,
          tokenUrl: `${CONNECTOR_ORIGIN}/oauth/token`,
          scopes: { required: ['read'] },
        },
      ],
      async check() {
        return { identity: { accountId: 'bench', displayName: 'Bench', email: null } };
      },
    }),
    client: { clientId: provider.clientId, clientSecret: provider.clientSecret },
    missingVariables: [],
  };
  const context = {
    database: handle,
    vault,
    connectors: {
      resolve: async (key) => (key === connector.key ? connector : null),
      resolveById: async (id) => (id === connector.id ? connector : null),
    },
    rewriteUrl: sdk.createOriginRewriter(new Map([[CONNECTOR_ORIGIN, provider.url]])),
  };
  return { connectorId, connector, context };
}
