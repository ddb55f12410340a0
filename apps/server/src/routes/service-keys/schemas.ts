import { type Static, Type } from 'typebox';
import { SERVICE_SCOPE_DESCRIPTIONS, SERVICE_SCOPES } from '../../services/service-keys/service-scopes.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const Timestamp = (description: string) => Type.String({ format: 'date-time', description });

export const ServiceScopeSchema = Type.Enum(SERVICE_SCOPES, {
  description: `What the key may do: ${SERVICE_SCOPES.map((scope) => `\`${scope}\` (${SERVICE_SCOPE_DESCRIPTIONS[scope]})`).join('; ')}.`,
});

const Name = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9][A-Za-z0-9 ._:@/+-]*$',
  description: 'A name for people: which service holds the key.',
  examples: ['billing'],
});

const Scopes = Type.Array(ServiceScopeSchema, {
  minItems: 1,
  maxItems: SERVICE_SCOPES.length,
  uniqueItems: true,
  examples: [['connections:read', 'connections:proxy']],
});

const KeyPrefix = Type.String({
  description: 'The first characters of the key, to recognise it.',
  examples: ['cfm_sk_Q2xhd'],
});

export const CreateServiceKeyBody = Type.Object(
  {
    name: Name,
    scopes: Scopes,
    expires_in_days: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3650, description: 'Days until the key expires; default never.' }),
    ),
  },
  { additionalProperties: false, title: 'CreateServiceKey' },
);

export const CreatedServiceKey = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    scopes: Type.Array(ServiceScopeSchema),
    key: Type.String({
      description:
        'The key, shown this once (only its hash is stored): send it as `Authorization: Bearer cfm_sk_…`.',
      examples: ['cfm_sk_Q2xhdWRlIHNheXMgaGkgdG8geW91LCBjdXJpb3VzIHJlYWRlcg'],
    }),
    key_prefix: KeyPrefix,
    created_at: Timestamp('When it was created.'),
    expires_at: Nullable(Timestamp('When it expires; null: never.')),
  },
  {
    title: 'CreatedServiceKey',
    description: 'The new key, with the key itself: store it now, it is never shown again.',
  },
);

export const ServiceKeyView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    scopes: Type.Array(ServiceScopeSchema),
    key_prefix: KeyPrefix,
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]),
    created_by: Nullable(
      Type.String({
        format: 'uuid',
        description: 'The admin user who created it; null from the command line.',
      }),
    ),
    created_at: Timestamp('When it was created.'),
    expires_at: Nullable(Timestamp('When it expires; null: never.')),
    revoked_at: Nullable(Timestamp('When it was revoked.')),
    last_used_at: Nullable(Timestamp('Its last use, to within a minute.')),
  },
  { title: 'ServiceKey', description: 'A service key, without the key (never shown again) or its hash.' },
);

export const ServiceKeyList = Type.Object(
  {
    items: Type.Array(ServiceKeyView),
    total: Type.Integer({ minimum: 0 }),
    limit: Type.Integer(),
    offset: Type.Integer(),
  },
  {
    title: 'ServiceKeyList',
    description: 'A page of service keys, newest first, revoked and expired ones included.',
  },
);

export const ListServiceKeysQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  },
  { additionalProperties: false },
);

export const ServiceKeyParams = Type.Object(
  { id: Type.String({ format: 'uuid', description: 'The service key id.' }) },
  { additionalProperties: false },
);

export type ServiceKeyViewType = Static<typeof ServiceKeyView>;
