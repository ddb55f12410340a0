import { Type } from 'typebox';

/** The body of every error answer (see `errors.ts`). `details` only on `CFM_VALIDATION`. */
export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer({ description: 'The HTTP status, repeated.', examples: [404] }),
    code: Type.String({
      description: 'Stable machine-readable code (`CFM_…`).',
      examples: ['CFM_NOT_FOUND'],
    }),
    error: Type.String({ description: 'The HTTP reason phrase.', examples: ['Not Found'] }),
    message: Type.String({ description: 'A human-readable explanation. Never contains secrets.' }),
    details: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ examples: ['body/connector_key'] }),
          message: Type.String({ examples: ['must be string'] }),
        }),
        { description: 'Field-level problems (validation errors only).' },
      ),
    ),
    provider_error: Type.Optional(
      Type.String({
        description:
          "The provider's own error name, when a provider refused (`access_denied`, `invalid_grant`).",
        examples: ['access_denied'],
      }),
    ),
    missing_variables: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Environment variables an operator must set (`CFM_CONNECTOR_NOT_CONFIGURED`).',
        examples: [['JIRA_CLIENT_ID', 'JIRA_CLIENT_SECRET']],
      }),
    ),
  },
  { title: 'ErrorResponse' },
);

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or fails validation (`CFM_VALIDATION`, `CFM_INVALID_JSON`).',
  401: 'No valid bearer token (`CFM_AUTH_REQUIRED`, `CFM_TOKEN_INVALID`, `CFM_TOKEN_EXPIRED`).',
  403: 'Authenticated, but not allowed (`CFM_FORBIDDEN`).',
  404: 'Not found.',
  409: 'Conflicts with existing data.',
  413: 'The request body is too large (`CFM_PAYLOAD_TOO_LARGE`).',
  429: 'Too many requests from this address or account (`CFM_RATE_LIMITED`, with `Retry-After`).',
  502: 'The provider failed or refused a call made on your behalf (`CFM_OAUTH_EXCHANGE_FAILED`).',
  500: 'Unexpected failure (`CFM_INTERNAL`).',
  503: 'A dependency is unavailable (`CFM_NOT_READY`, `CFM_DB_UNAVAILABLE`; `CFM_TOKEN_REFRESH_FAILED` with `Retry-After`).',
};

/**
 * Response schemas for error statuses, to spread into a route's `response`.
 *
 * @example
 * response: { 200: Me, ...errorResponses(401, 500) }
 */
export function errorResponses<const Status extends number>(
  ...statuses: Status[]
): Record<Status, typeof ErrorResponse> {
  const responses = {} as Record<Status, typeof ErrorResponse>;
  for (const status of statuses) {
    responses[status] = Type.Object(ErrorResponse.properties, {
      title: 'ErrorResponse',
      description: DESCRIPTIONS[status] ?? 'Error.',
    });
  }
  return responses;
}

/** The OpenAPI security requirement for routes behind `app.authenticate`. */
export const BEARER_SECURITY = [{ bearerAuth: [] }];
