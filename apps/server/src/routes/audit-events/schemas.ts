import { Type } from 'typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const ListAuditEventsQuery = Type.Object(
  {
    connection_id: Type.Optional(
      Type.String({ format: 'uuid', description: 'Only events of this connection.' }),
    ),
    action: Type.Optional(
      Type.String({
        pattern: '^[a-z_]+(\\.[a-z_]+)*$',
        maxLength: 64,
        description: 'Only this action.',
        examples: ['connection.connect'],
      }),
    ),
    actor_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: 'Only events of this user or service key (its id).',
      }),
    ),
    since: Type.Optional(
      Type.String({ format: 'date-time', description: 'Only events at or after this instant.' }),
    ),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: '`next_cursor` of the previous page.' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

export const AuditEventView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    occurred_at: Type.String({ format: 'date-time' }),
    actor: Type.Object({
      type: Type.Union([Type.Literal('user'), Type.Literal('service'), Type.Literal('system')]),
      id: Nullable(Type.String({ description: 'A user id or a service key id; null for the system.' })),
      label: Type.String({ description: 'An email, a service key name or a server component.' }),
    }),
    action: Type.String({
      examples: ['connection.connect'],
      description:
        '`connection.connect`, `connection.create`, `connection.delete`, `connection.test`, `connection.revoke`, `connection.refresh_failed`, `connection.proxy`, `connection.token`, `connection.action`, `connector.create`, `connector.update`, `connector.delete`, `service_key.create`, `service_key.revoke`, `service_key.use` (at most once a minute per key).',
    }),
    connection_id: Nullable(Type.String()),
    connector_key: Nullable(Type.String()),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
    status_code: Nullable(Type.Integer()),
    duration_ms: Nullable(Type.Integer()),
    detail: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'Non-secret facts (a method and path without query, an error code); never a body or a token.',
    }),
    request_id: Nullable(Type.String()),
  },
  { title: 'AuditEvent' },
);

export const AuditEventList = Type.Object(
  {
    items: Type.Array(AuditEventView),
    next_cursor: Nullable(
      Type.String({ description: 'Pass as `cursor` for the next (older) page; null on the last.' }),
    ),
  },
  { title: 'AuditEventList', description: 'A page of events, newest first.' },
);
