import { Type } from 'typebox';
import { ConnectorResponse } from '../../schemas/connector.js';
import { CONNECTOR_KEY_PATTERN } from '../../schemas/custom-connector.js';

export { CreateCustomConnectorBody, UpdateConnectorBody } from '../../schemas/custom-connector.js';
export { ConnectorResponse };

export const ConnectorList = Type.Array(ConnectorResponse, {
  title: 'ConnectorList',
  description: 'Every connector, with its load status and whether it is configured.',
});

export const ConnectorKeyParams = Type.Object(
  {
    key: Type.String({
      pattern: CONNECTOR_KEY_PATTERN,
      description: 'The connector key.',
      examples: ['jira'],
    }),
  },
  { additionalProperties: false },
);
