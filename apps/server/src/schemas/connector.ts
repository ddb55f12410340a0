import { type Static, Type } from 'typebox';
import { CustomApiKeyAuth, CustomCheck, CustomOAuth2Auth } from './custom-connector.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

/** A custom connector's declaration as shown back (the client secret never is: `has_client_secret`). */
export const CustomDeclaration = Type.Object(
  {
    auth: Type.Union([Type.Omit(CustomOAuth2Auth, ['client_secret']), CustomApiKeyAuth]),
    check: CustomCheck,
    has_client_secret: Type.Boolean(),
  },
  { title: 'CustomDeclaration' },
);

export const ConnectorResponse = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    key: Type.String({ examples: ['jira'] }),
    name: Type.String({ examples: ['Jira'] }),
    description: Type.String(),
    source: Type.Union([Type.Literal('package'), Type.Literal('custom')]),
    version: Nullable(Type.String({ examples: ['0.1.0'] })),
    auth_type: Type.String({ description: 'The default way to authenticate.', examples: ['oauth2'] }),
    auth_types: Type.Array(Type.String(), { description: 'Every way this connector can authenticate.' }),
    scopes: Type.Array(Type.String(), { description: 'OAuth 2 scopes always requested.' }),
    config_schema: Type.Record(Type.String(), Type.Unknown(), {
      description: 'JSON Schema of `config_data` for a new connection.',
    }),
    icon_url: Nullable(Type.String()),
    docs_url: Nullable(Type.String()),
    categories: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    configured: Type.Boolean({ description: 'The platform holds the client credentials OAuth 2 needs.' }),
    missing_variables: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Environment variables an operator must set (when not configured).',
        examples: [['JIRA_CLIENT_ID', 'JIRA_CLIENT_SECRET']],
      }),
    ),
    status: Type.Union(
      [Type.Literal('loaded'), Type.Literal('failed'), Type.Literal('incompatible'), Type.Literal('missing')],
      {
        description: 'Whether the connector could be loaded (`missing`: its package is no longer installed).',
      },
    ),
    status_reason: Nullable(Type.String()),
    custom: Type.Optional(CustomDeclaration),
  },
  { title: 'Connector' },
);

export type ConnectorView = Static<typeof ConnectorResponse>;
