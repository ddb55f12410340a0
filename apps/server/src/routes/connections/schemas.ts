import { Type } from 'typebox';
import { Identity } from '../../schemas/connection.js';

export {
  ConnectionList,
  ConnectionResponse,
  CreateConnectionBody,
  ListConnectionsQuery,
  UpdateConnectionBody,
} from '../../schemas/connection.js';

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
