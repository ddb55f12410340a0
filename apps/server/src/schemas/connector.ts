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

/** A connector's typed operation, as `POST /api/connections/{id}/actions/{name}` runs it. */
export const ConnectorAction = Type.Object(
  {
    name: Type.String({
      description: 'snake_case; the path segment of the actions route.',
      examples: ['search_issues'],
    }),
    description: Type.String(),
    read_only: Type.Boolean({ description: 'False when the action changes something at the provider.' }),
    input_schema: Type.Record(Type.String(), Type.Unknown(), {
      description: 'JSON Schema of the request body of `POST /api/connections/{id}/actions/{name}`.',
    }),
    output_schema: Type.Record(Type.String(), Type.Unknown(), {
      description: 'JSON Schema of `data` in its answer.',
    }),
  },
  { title: 'ConnectorAction' },
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
    optional_scopes: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'OAuth 2 scopes a front end may add with `GET /api/oauth/{connector}/authorize?scopes=…`.',
      }),
    ),
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
    api_base_url: Type.Optional(
      Nullable(
        Type.String({
          description:
            'The provider API the proxy (`/api/connections/{id}/proxy/{path}`) sends to; `{placeholders}` are filled per connection. Null when the connector declares none.',
          examples: ['https://api.atlassian.com/ex/jira/{cloudId}'],
        }),
      ),
    ),
    action_names: Type.Optional(Type.Array(Type.String(), { description: 'The names of its actions.' })),
    actions: Type.Optional(
      Type.Array(ConnectorAction, {
        description: 'Its actions with their input and output schemas (on `GET /api/connectors/{key}` only).',
      }),
    ),
  },
  { title: 'Connector' },
);

export type ConnectorView = Static<typeof ConnectorResponse>;
