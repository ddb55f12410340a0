/**
 * Error codes the services throw, with the HTTP status the route layer should answer. The route layer
 * maps a {@link ServiceError} to `{ statusCode, code, error, message }` as it is: messages never carry a
 * token, a secret, an authorization code or a verifier.
 */
export const SERVICE_ERROR_CODES = {
  CFM_CONNECTOR_NOT_FOUND: 404,
  CFM_CONNECTOR_NOT_LOADED: 409,
  CFM_CONNECTION_NOT_FOUND: 404,
  CFM_CONFLICT: 409,
  CFM_BAD_REQUEST: 400,
  CFM_CONNECTOR_DISABLED: 409,
  CFM_CONNECTOR_NOT_CONFIGURED: 409,
  CFM_OAUTH_NOT_SUPPORTED: 400,
  CFM_OAUTH_STATE_INVALID: 400,
  CFM_OAUTH_STATE_EXPIRED: 400,
  CFM_OAUTH_STATE_USED: 400,
  CFM_OAUTH_STATE_FOREIGN: 403,
  CFM_OAUTH_STATE_MISMATCH: 400,
  CFM_OAUTH_CODE_MISSING: 400,
  CFM_OAUTH_PROVIDER_DENIED: 400,
  CFM_OAUTH_EXCHANGE_FAILED: 502,
  CFM_OAUTH_ISSUER_MISMATCH: 400,
  CFM_OAUTH_REDIRECT_MISMATCH: 400,
  CFM_OAUTH_BROWSER_MISMATCH: 403,
  CFM_CREDENTIALS_MISSING: 409,
  CFM_CREDENTIALS_INVALID: 400,
  CFM_CONNECTION_EXPIRED: 409,
  CFM_TOKEN_REFRESH_FAILED: 503,
  CFM_CONNECTION_NOT_READY: 409,
  CFM_PROXY_NOT_SUPPORTED: 400,
  CFM_PROXY_PATH_INVALID: 400,
  CFM_PROVIDER_UNREACHABLE: 502,
  CFM_PROVIDER_TIMEOUT: 504,
  CFM_PROVIDER_ERROR: 502,
  CFM_PROVIDER_RATE_LIMITED: 429,
  CFM_PROVIDER_FORBIDDEN: 403,
  CFM_ACTION_NOT_FOUND: 404,
  CFM_ACTION_INVALID: 400,
  CFM_TOKEN_NOT_AVAILABLE: 409,
  CFM_VALIDATION: 400,
  CFM_PAYLOAD_TOO_LARGE: 413,
} as const satisfies Record<`CFM_${string}`, number>;

export type ServiceErrorCode = keyof typeof SERVICE_ERROR_CODES;

export interface ServiceErrorOptions {
  cause?: unknown;
  /** The provider's own error name (`access_denied`, `invalid_grant`), already checked to be safe. */
  providerCode?: string;
  /** True when trying again later may work (network, 5xx, 429). */
  retryable?: boolean;
  retryAfterMs?: number;
  /** Variables an operator must set (`CFM_CONNECTOR_NOT_CONFIGURED`). */
  missingVariables?: string[];
  /** Field-level problems (`CFM_VALIDATION` of an action's input). */
  details?: Array<{ field: string; message: string }>;
}

const SERVICE_ERROR_BRAND = Symbol.for('cfm.service-error');

/**
 * A typed failure of an OAuth engine service.
 *
 * @example
 * throw new ServiceError('CFM_CONNECTION_NOT_FOUND', `Connection "${id}" not found`);
 */
export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  readonly statusCode: number;
  readonly providerCode: string | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly missingVariables: string[] | undefined;
  readonly details: Array<{ field: string; message: string }> | undefined;

  constructor(code: ServiceErrorCode, message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.statusCode = SERVICE_ERROR_CODES[code];
    this.providerCode = options.providerCode;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.missingVariables = options.missingVariables;
    this.details = options.details;
    Object.defineProperty(this, SERVICE_ERROR_BRAND, { value: true, enumerable: false });
  }

  static is(value: unknown): value is ServiceError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [SERVICE_ERROR_BRAND]?: unknown })[SERVICE_ERROR_BRAND] === true
    );
  }
}

// A provider error name worth repeating: short and printable, nothing that could be a token.
const SAFE_PROVIDER_CODE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/** `value` when it is a safe provider error name to show, otherwise undefined. */
export function safeProviderError(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (!SAFE_PROVIDER_CODE.test(trimmed)) return undefined;
  if (/[A-Za-z0-9_-]{24,}/.test(trimmed) && /\d/.test(trimmed)) return undefined;
  return trimmed;
}
