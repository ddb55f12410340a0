import { type Static, Type } from 'typebox';
import { ErrorResponse } from '../../schemas/error-response.js';

const ConnectionId = Type.String({ format: 'uuid', description: 'A connection id.' });

export const ProxyParams = Type.Object(
  {
    id: ConnectionId,
    '*': Type.String({
      maxLength: 4096,
      description:
        "The provider API path, appended to the connector's API base URL (`auth.test` for Slack, `rest/api/3/myself` for Jira). No `..`, `//`, `\\`, `@` or absolute URLs, in any encoding.",
      examples: ['rest/api/3/myself'],
    }),
  },
  { additionalProperties: false },
);

export const ConnectionParams = Type.Object({ id: ConnectionId }, { additionalProperties: false });

export const ActionParams = Type.Object(
  {
    id: ConnectionId,
    name: Type.String({
      pattern: '^[a-z][a-z0-9_]{0,63}$',
      description: 'The action name.',
      examples: ['search_issues'],
    }),
  },
  { additionalProperties: false },
);

export const ActionBody = Type.Record(Type.String(), Type.Unknown(), {
  title: 'ActionInput',
  description:
    "The action's input, checked against its `input_schema` (see `GET /api/connectors/{key}`). An empty body is `{}`.",
  maxProperties: 100,
});

export const ActionResult = Type.Object(
  { data: Type.Unknown({ description: 'What the action returned, as its `output_schema` describes.' }) },
  { title: 'ActionResult', description: 'The action ran.' },
);

export const FreshToken = Type.Object(
  {
    access_token: Type.String({
      description: 'The OAuth access token. Never log it or send it to a browser.',
    }),
    token_type: Type.String({ examples: ['Bearer'] }),
    expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the token expires (null: the provider gave no expiry).',
    }),
    scopes: Type.Array(Type.String()),
    connector_key: Type.String({ examples: ['notion'] }),
    config_data: Type.Record(Type.String(), Type.Unknown()),
  },
  {
    title: 'FreshToken',
    description:
      'A fresh access token: refreshed first when it was about to expire. Answered with `Cache-Control: no-store`.',
  },
);
export type FreshTokenView = Static<typeof FreshToken>;

export const ProviderAnswer = Type.Unknown({
  description:
    "The provider's answer as it is: its status, headers (less hop-by-hop ones and `Set-Cookie`) and body, streamed. Redirects are passed back, not followed.",
});

/** An error answer documented with the codes this route gives for the status. */
export function useError(description: string) {
  return Type.Object(ErrorResponse.properties, { title: 'ErrorResponse', description });
}
