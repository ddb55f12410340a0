import { type Static, Type } from 'typebox';
import { CONNECTOR_KEY_PATTERN } from '../../schemas/custom-connector.js';
import { ErrorResponse } from '../../schemas/error-response.js';

const ConnectorKey = Type.String({
  pattern: CONNECTOR_KEY_PATTERN,
  description: 'The connector key.',
  examples: ['jira'],
});
const ConnectionId = Type.String({ format: 'uuid', description: 'A connection id.' });
/** Callback values are short texts; a bound keeps junk out of the flow. */
const CallbackText = (maxLength: number) => Type.String({ maxLength });

export const ConnectorParams = Type.Object({ connector: ConnectorKey }, { additionalProperties: false });

export const RevokeParams = Type.Object(
  { connector: ConnectorKey, connection_id: ConnectionId },
  { additionalProperties: false },
);

export const AuthorizeQuery = Type.Object(
  {
    scopes: Type.Optional(
      Type.String({
        maxLength: 2000,
        description:
          "Optional scopes of the connector to request too, comma or space separated (see the connector's `optional_scopes`), e.g. Slack `chat:write` for posting messages.",
        examples: ['chat:write'],
      }),
    ),
    connection_id: Type.Optional(
      Type.String({ format: 'uuid', description: 'Re-authorize this existing connection of yours.' }),
    ),
  },
  { additionalProperties: false },
);

export const AuthorizeResponse = Type.Object(
  {
    authorization_url: Type.String({
      format: 'uri',
      description: "Send the user's browser here (the provider's consent page).",
    }),
    state: Type.String({
      description: 'The signed state also carried in the URL; single use, expires after a few minutes.',
    }),
  },
  {
    title: 'AuthorizeResponse',
    description: "The provider's authorization URL to send the browser to, and its state.",
  },
);

const callbackFields = {
  code: Type.Optional(CallbackText(4096)),
  state: Type.Optional(CallbackText(2048)),
  error: Type.Optional(CallbackText(200)),
  error_description: Type.Optional(CallbackText(2000)),
};

/**
 * Extra string properties are allowed: a connector may declare callback parameters it needs (Datadog's
 * `domain`); the flow keeps only those. Anything that is not a string is still refused.
 */
const ExtraCallbackParameter = CallbackText(2048);

export const CallbackBody = Type.Object(
  {
    ...callbackFields,
    state: CallbackText(2048),
    connection_id: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          'Informational: the pending authorization (found by `state`) decides which connection is created or updated.',
      }),
    ),
  },
  {
    additionalProperties: ExtraCallbackParameter,
    title: 'OAuthCallback',
    description:
      'The query parameters the provider sent to the front end callback page, as they are. Extra string parameters the connector declares (`domain`) are passed on.',
  },
);
export type CallbackBodyInput = Static<typeof CallbackBody>;

export const CallbackQuery = Type.Object(callbackFields, {
  additionalProperties: ExtraCallbackParameter,
  description: 'The parameters the provider redirects with.',
});
export type CallbackQueryInput = Static<typeof CallbackQuery>;

export const CallbackResult = Type.Object(
  {
    success: Type.Boolean({
      description:
        'True when the connection is `active`. False when the provider granted less than the connector needs (required scopes, or a refresh token it asked for): the connection and its tokens are stored with status `error` and `message` (also its `status_reason`) says what is missing; reconnect to fix it.',
    }),
    status: Type.Union([Type.Literal('active'), Type.Literal('error')], {
      description: "The connection's status after this callback.",
    }),
    message: Type.String({ examples: ['Connected to Jira'] }),
    connection_id: Type.String({ format: 'uuid' }),
    warnings: Type.Array(Type.String(), {
      description:
        "Optional scopes that were asked for and not granted: the connection is `active`, features that need them will not work (the same text is the connection's `status_reason`).",
    }),
  },
  {
    title: 'CallbackResult',
    description: 'The connection created or updated with the new credentials.',
  },
);

export const CallbackRedirect = Type.Null({
  description:
    'Redirect (Location) to `FRONTEND_BASE_URL/oauth/callback?status=success|error&connector=…` plus `connection_id` on success, `code` (the error code) on failure, or both with `code=CFM_OAUTH_GRANT_INCOMPLETE` when the connection was stored with status `error` (read its `status_reason`). Never carries a token or the authorization code. Sent unless the request prefers `Accept: application/json`.',
});

export const Revoked = Type.Null({
  description:
    'Disconnected: the credentials are deleted and the connection is `revoked` (repeating it is harmless). When the provider could not confirm the revocation the answer is still 204 and a warning is logged: the local credentials are gone either way.',
});

/** An error answer documented with the codes this route gives for the status. */
export function oauthError(description: string) {
  return Type.Object(ErrorResponse.properties, { title: 'ErrorResponse', description });
}
