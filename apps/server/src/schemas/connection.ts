import { type Static, Type } from 'typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const ConnectionStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('active'),
  Type.Literal('error'),
  Type.Literal('expired'),
  Type.Literal('revoked'),
]);

export const Identity = Type.Object(
  {
    account_id: Type.String(),
    display_name: Type.Optional(Nullable(Type.String())),
    email: Type.Optional(Nullable(Type.String())),
    workspace: Type.Optional(Nullable(Type.String())),
    site: Type.Optional(Nullable(Type.String())),
  },
  { title: 'AccountIdentity', description: 'Who the connected account is at the provider.' },
);

/** A connection as the API shows it: never its credentials. */
export const ConnectionResponse = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    connector_key: Type.String({ examples: ['jira'] }),
    config_data: Type.Record(Type.String(), Type.Unknown()),
    status: ConnectionStatus,
    status_reason: Nullable(Type.String()),
    has_credentials: Type.Boolean(),
    expires_at: Nullable(Type.String({ format: 'date-time', description: 'When the access token expires.' })),
    scopes: Nullable(Type.Array(Type.String())),
    identity: Nullable(Identity),
    last_tested_at: Nullable(Type.String({ format: 'date-time' })),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Connection' },
);

export const ConnectionCredentials = Type.Union(
  [
    Type.Object(
      {
        type: Type.Literal('api_key'),
        values: Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 8000 }), {
          description: 'One value per field the connector declares (`fields[].name`).',
        }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('basic'),
        username: Type.String({ minLength: 1, maxLength: 1000 }),
        password: Type.String({ minLength: 1, maxLength: 8000 }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'API key or basic credentials (stored encrypted, never returned).', writeOnly: true },
);

export const ConfigData = Type.Record(Type.String(), Type.Unknown(), {
  description: "The connection's settings, validated against the connector's `config_schema`.",
});

export const CreateConnectionBody = Type.Object(
  {
    connector_key: Type.String({ minLength: 1, maxLength: 64, examples: ['jira'] }),
    config_data: Type.Optional(ConfigData),
    credentials: Type.Optional(ConnectionCredentials),
  },
  { additionalProperties: false, title: 'CreateConnection' },
);

export const UpdateConnectionBody = Type.Object(
  { config_data: ConfigData },
  { additionalProperties: false, title: 'UpdateConnection' },
);

export const ListConnectionsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    // Bounded: a 20-digit offset overflowed the databases' integers (a 500, not a 400).
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
    connector: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Only this connector key.' }),
    ),
    status: Type.Optional(ConnectionStatus),
  },
  { additionalProperties: false },
);

export const ConnectionList = Type.Object(
  {
    items: Type.Array(ConnectionResponse),
    total: Type.Integer({ minimum: 0 }),
    limit: Type.Integer(),
    offset: Type.Integer(),
  },
  {
    title: 'ConnectionList',
    description: 'A page of your connections, with the total number matching the filters.',
  },
);

export type ConnectionView = Static<typeof ConnectionResponse>;
export type ConnectionCredentialsInput = Static<typeof ConnectionCredentials>;
export type CreateConnectionInput = Static<typeof CreateConnectionBody>;
export type ListConnectionsInput = Static<typeof ListConnectionsQuery>;
export type ConnectionListView = Static<typeof ConnectionList>;
