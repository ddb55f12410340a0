import { STATUS_CODES } from 'node:http';

/**
 * Every error code the API answers with, in one place. Add a code here (with its HTTP status and the
 * default message) and throw it with `new AppError('CFM_…')`; clients branch on `code`, never on `message`.
 */
export const ERROR_CODES = {
  CFM_BAD_REQUEST: { statusCode: 400, message: 'Bad request' },
  CFM_VALIDATION: { statusCode: 400, message: 'Request validation failed' },
  CFM_INVALID_JSON: { statusCode: 400, message: 'The request body is not valid JSON' },
  CFM_BODY_TOO_DEEP: { statusCode: 400, message: 'The request body is nested too deeply' },
  CFM_AUTH_REQUIRED: {
    statusCode: 401,
    message: 'Authentication required: send Authorization: Bearer <token>',
  },
  CFM_UNAUTHORIZED: { statusCode: 401, message: 'Unauthorized' },
  CFM_TOKEN_INVALID: { statusCode: 401, message: 'The access token is invalid' },
  CFM_TOKEN_EXPIRED: { statusCode: 401, message: 'The access token has expired' },
  CFM_FORBIDDEN: { statusCode: 403, message: 'You do not have permission to do this' },
  // Service keys (`Authorization: Bearer cfm_sk_…`).
  CFM_SERVICE_KEY_INVALID: { statusCode: 401, message: 'The service key is invalid' },
  CFM_SERVICE_KEY_REVOKED: { statusCode: 401, message: 'The service key was revoked' },
  CFM_SERVICE_KEY_EXPIRED: { statusCode: 401, message: 'The service key has expired' },
  CFM_SCOPE_MISSING: { statusCode: 403, message: 'The service key lacks the scope this route needs' },
  CFM_SERVICE_KEY_NOT_FOUND: { statusCode: 404, message: 'Service key not found' },
  CFM_NOT_FOUND: { statusCode: 404, message: 'Not found' },
  CFM_ROUTE_NOT_FOUND: { statusCode: 404, message: 'Route not found' },
  CFM_METHOD_NOT_ALLOWED: { statusCode: 405, message: 'Method not allowed' },
  CFM_NOT_ACCEPTABLE: { statusCode: 406, message: 'Not acceptable' },
  CFM_CONFLICT: { statusCode: 409, message: 'Conflict' },
  CFM_EMAIL_CONFLICT: { statusCode: 409, message: 'Another account already uses this email address' },
  // Connectors and connections.
  CFM_CONNECTOR_NOT_FOUND: { statusCode: 404, message: 'Connector not found' },
  CFM_CONNECTOR_EXISTS: { statusCode: 409, message: 'A connector with this key already exists' },
  CFM_CONNECTOR_DISABLED: { statusCode: 409, message: 'The connector is disabled' },
  CFM_CONNECTOR_NOT_LOADED: { statusCode: 409, message: 'The connector could not be loaded' },
  CFM_CONNECTOR_PACKAGED: {
    statusCode: 409,
    message: 'A packaged connector cannot be deleted: disable it instead',
  },
  CFM_CONNECTOR_READ_ONLY: {
    statusCode: 400,
    message:
      'Only name, description, icon_url, docs_url, categories and enabled of a packaged connector can change',
  },
  CFM_CONNECTOR_INVALID: { statusCode: 400, message: 'The connector declaration is not valid' },
  CFM_CONFIG_INVALID: { statusCode: 400, message: 'config_data does not match the connector config schema' },
  CFM_CREDENTIALS_INVALID: { statusCode: 400, message: 'The credentials do not match the connector' },
  CFM_CONNECTION_NOT_FOUND: { statusCode: 404, message: 'Connection not found' },
  CFM_CONNECTION_EXISTS: { statusCode: 409, message: 'You already have a connection to this connector' },
  // The OAuth engine (`services/service-error.ts` throws these; the error handler maps them as they are).
  CFM_CONNECTOR_NOT_CONFIGURED: {
    statusCode: 409,
    message: 'The connector is not configured: an operator must set its client credentials',
  },
  CFM_OAUTH_NOT_SUPPORTED: { statusCode: 400, message: 'The connector does not use OAuth 2' },
  CFM_OAUTH_STATE_INVALID: { statusCode: 400, message: 'The OAuth state is not valid' },
  CFM_OAUTH_STATE_EXPIRED: { statusCode: 400, message: 'The OAuth state has expired: start again' },
  CFM_OAUTH_STATE_USED: { statusCode: 400, message: 'The OAuth state was already used: start again' },
  CFM_OAUTH_STATE_FOREIGN: { statusCode: 403, message: 'The OAuth state belongs to another user' },
  CFM_OAUTH_STATE_MISMATCH: { statusCode: 400, message: 'The OAuth state was issued for another connector' },
  CFM_OAUTH_CODE_MISSING: {
    statusCode: 400,
    message: 'The provider called back without an authorization code',
  },
  CFM_OAUTH_PROVIDER_DENIED: { statusCode: 400, message: 'The provider did not authorize the connection' },
  CFM_OAUTH_EXCHANGE_FAILED: { statusCode: 502, message: 'The provider refused the code exchange' },
  CFM_OAUTH_ISSUER_MISMATCH: {
    statusCode: 400,
    message: 'The authorization response comes from another issuer than the connector declares',
  },
  CFM_OAUTH_REDIRECT_MISMATCH: {
    statusCode: 400,
    message: 'The authorization was started for another callback (redirect URI)',
  },
  CFM_OAUTH_BROWSER_MISMATCH: {
    statusCode: 403,
    message: 'The authorization was started in another browser',
  },
  // Not an error answer: the `code` of the GET callback's redirect when the connection was stored as `error`.
  CFM_OAUTH_GRANT_INCOMPLETE: {
    statusCode: 409,
    message: 'The provider granted less than the connector needs: reconnect',
  },
  CFM_CREDENTIALS_MISSING: { statusCode: 409, message: 'The connection has no stored credentials' },
  CFM_CONNECTION_EXPIRED: { statusCode: 409, message: 'The connection expired: reconnect it' },
  CFM_TOKEN_REFRESH_FAILED: { statusCode: 503, message: 'The token refresh failed: try again later' },
  // Using a connection: the proxy, fresh tokens and actions.
  CFM_CONNECTION_NOT_READY: {
    statusCode: 409,
    message: 'The connection is not active or has no credentials: connect it first',
  },
  CFM_PROXY_NOT_SUPPORTED: { statusCode: 400, message: 'The connector declares no provider API to proxy to' },
  CFM_PROXY_PATH_INVALID: { statusCode: 400, message: 'The proxy path is not allowed' },
  CFM_PROVIDER_UNREACHABLE: { statusCode: 502, message: 'The provider could not be reached' },
  CFM_PROVIDER_TIMEOUT: { statusCode: 504, message: 'The provider did not answer in time' },
  CFM_PROVIDER_ERROR: { statusCode: 502, message: 'The provider failed the request' },
  CFM_PROVIDER_RATE_LIMITED: { statusCode: 429, message: 'The provider is rate limiting: retry later' },
  CFM_PROVIDER_FORBIDDEN: {
    statusCode: 403,
    message: 'The provider refused: the account lacks a permission',
  },
  CFM_ACTION_NOT_FOUND: { statusCode: 404, message: 'The connector has no such action' },
  CFM_ACTION_INVALID: { statusCode: 400, message: 'The provider refused the action input' },
  CFM_TOKEN_NOT_AVAILABLE: {
    statusCode: 409,
    message: 'The connection holds no OAuth access token (API keys stay on the server: use the proxy)',
  },
  // Agents (`/mcp`): a service key acts for one user, named in `X-CFM-User`.
  CFM_MCP_USER_REQUIRED: {
    statusCode: 400,
    message: 'A service key on /mcp must name the user to act for in X-CFM-User (email or JWT sub)',
  },
  CFM_MCP_USER_NOT_FOUND: {
    statusCode: 404,
    message: 'X-CFM-User names no known user (by email or JWT sub)',
  },
  CFM_REQUEST_TIMEOUT: {
    statusCode: 408,
    message: 'The request did not arrive in time: the connection is closed',
  },
  CFM_HEADERS_TOO_LARGE: { statusCode: 431, message: 'The request headers are too large' },
  CFM_PAYLOAD_TOO_LARGE: { statusCode: 413, message: 'The request body is too large' },
  CFM_UNSUPPORTED_MEDIA_TYPE: { statusCode: 415, message: 'Unsupported content type' },
  CFM_RATE_LIMITED: { statusCode: 429, message: 'Too many requests' },
  CFM_INTERNAL: { statusCode: 500, message: 'Internal server error' },
  CFM_DB_UNAVAILABLE: { statusCode: 503, message: 'The database is unavailable' },
  CFM_NOT_READY: { statusCode: 503, message: 'The service is not ready' },
} as const satisfies Record<`CFM_${string}`, { statusCode: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One field-level problem, as reported in `details` of a `CFM_VALIDATION` answer. */
export interface ErrorDetail {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  cause?: unknown;
  details?: ErrorDetail[];
  /** Response headers to send with the error (`WWW-Authenticate`, `Retry-After`…). */
  headers?: Record<string, string>;
  /** The provider's error name (`access_denied`, `invalid_grant`): already checked to hold no secret. */
  providerError?: string;
  /** Environment variables an operator must set (`CFM_CONNECTOR_NOT_CONFIGURED`). */
  missingVariables?: string[];
}

const APP_ERROR_BRAND = Symbol.for('cfm.app-error');

/**
 * An error the API answers with as is: `{ statusCode, code, error, message }`. The message is shown to
 * the client, so it must never contain a secret, SQL or a stack.
 *
 * @example
 * throw new AppError('CFM_NOT_FOUND', `Connector "${key}" not found`);
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly providerError: string | undefined;
  readonly missingVariables: string[] | undefined;
  readonly [APP_ERROR_BRAND] = true;

  constructor(code: ErrorCode, message?: string, options: AppErrorOptions = {}) {
    const definition = ERROR_CODES[code];
    super(message ?? definition.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = definition.statusCode;
    this.details = options.details;
    this.headers = options.headers ?? {};
    this.providerError = options.providerError;
    this.missingVariables = options.missingVariables;
  }

  /** True for any `AppError`, even one from another copy of this module. */
  static is(value: unknown): value is AppError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[APP_ERROR_BRAND] === true
    );
  }
}

/** Shorthand for `new AppError(code, message, options)`, in the spirit of Fastify's `createError`. */
export function createError(code: ErrorCode, message?: string, options?: AppErrorOptions): AppError {
  return new AppError(code, message, options);
}

/** The body every error answer has. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
  details?: ErrorDetail[];
  provider_error?: string;
  missing_variables?: string[];
}

/** The HTTP reason phrase for a status (`Not Found`), used as the `error` field. */
export function httpReason(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? 'Error';
}

export function toErrorBody(error: AppError): ErrorBody {
  const body: ErrorBody = {
    statusCode: error.statusCode,
    code: error.code,
    error: httpReason(error.statusCode),
    message: error.message,
  };
  if (error.details !== undefined) {
    body.details = error.details;
  }
  if (error.providerError !== undefined) body.provider_error = error.providerError;
  if (error.missingVariables !== undefined) body.missing_variables = error.missingVariables;
  return body;
}
