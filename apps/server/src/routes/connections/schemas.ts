import { Type } from 'typebox';
import {
  ConnectionList,
  ConnectionResponse,
  Identity,
  ListConnectionsQuery as OwnListConnectionsQuery,
} from '../../schemas/connection.js';

export { ConnectionResponse, CreateConnectionBody, UpdateConnectionBody } from '../../schemas/connection.js';

/** The list filters, plus `user` for back-end services (scope `connections:read`). */
export const ListConnectionsQuery = Type.Object(
  {
    ...OwnListConnectionsQuery.properties,
    user: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 320,
        description:
          "Service keys only: one user's connections, by email or JWT `sub` (an unknown user has none). A user token sending it gets 403.",
        examples: ['ada@example.com'],
      }),
    ),
  },
  { additionalProperties: false },
);

export const ConnectionOwner = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String({ examples: ['ada@example.com'] }),
    subject: Type.String({ description: 'The JWT `sub` of the user.' }),
  },
  {
    title: 'ConnectionOwner',
    description: 'The user the connection belongs to: only in answers to service keys.',
  },
);

/** A connection; with its owner (`user`) when a service key asked. */
export const ListedConnection = Type.Object(
  { ...ConnectionResponse.properties, user: Type.Optional(ConnectionOwner) },
  { title: 'Connection' },
);

export const ListedConnections = Type.Object(
  { ...ConnectionList.properties, items: Type.Array(ListedConnection) },
  {
    title: 'ConnectionList',
    description:
      "A page of connections, with the total number matching the filters: yours, or (service key) every user's, each with its `user`.",
  },
);

export const ConnectionIdParams = Type.Object(
  { id: Type.String({ format: 'uuid', description: 'The connection id.' }) },
  { additionalProperties: false },
);

export const TestResultResponse = Type.Object(
  {
    success: Type.Boolean(),
    message: Type.String({ examples: ['Connected as Ada Lovelace'] }),
    identity: Type.Union([Identity, Type.Null()]),
    sample_data: Type.Union([
      Type.Object({
        kind: Type.String({ examples: ['issues'] }),
        items: Type.Array(Type.Unknown(), { maxItems: 5 }),
      }),
      Type.Null(),
    ]),
  },
  {
    title: 'ConnectionTestResult',
    description:
      'The test outcome: `success` and a message; on success the account identity and a small data sample.',
  },
);
