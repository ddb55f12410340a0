import { parseRetryAfter } from './http/retry-after.js';
import { isRecord } from './is-record.js';

/** Why a connector call failed, in terms the platform can act on. */
export type ConnectorErrorReason = 'auth' | 'permission' | 'config' | 'network' | 'rate_limited' | 'provider';

export interface ConnectorErrorOptions {
  reason: ConnectorErrorReason;
  /** Default: true for `network` and `rate_limited`, false otherwise. */
  retryable?: boolean;
  /** HTTP status the provider answered, when there was one. */
  status?: number;
  /** The provider's own error name (`invalid_grant`, `missing_scope`); never a secret. */
  providerCode?: string;
  /** How long the provider asked us to wait before trying again. */
  retryAfterMs?: number;
  cause?: unknown;
}

const CONNECTOR_ERROR_BRAND = Symbol.for('cfm.connector-error');

/**
 * The one error type connectors and the SDK throw. Messages never contain tokens, secrets,
 * authorization codes or query strings, so they are safe to log and to show to users.
 *
 * @example
 * ```ts
 * throw new ConnectorError('Workspace "acme" not found', { reason: 'config' });
 * if (ConnectorError.is(error) && error.reason === 'auth') markNeedsReconnect();
 * ```
 */
export class ConnectorError extends Error {
  readonly reason: ConnectorErrorReason;
  readonly retryable: boolean;
  readonly status?: number;
  readonly providerCode?: string;
  readonly retryAfterMs?: number;

  constructor(message: string, options: ConnectorErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectorError';
    this.reason = options.reason;
    this.retryable = options.retryable ?? (options.reason === 'network' || options.reason === 'rate_limited');
    if (options.status !== undefined) this.status = options.status;
    if (options.providerCode !== undefined) this.providerCode = options.providerCode;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    // A brand instead of `instanceof`: a connector package may bring its own copy of the SDK.
    Object.defineProperty(this, CONNECTOR_ERROR_BRAND, { value: true, enumerable: false });
  }

  /** True for any `ConnectorError`, including one created by another copy of the SDK. */
  static is(value: unknown): value is ConnectorError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [CONNECTOR_ERROR_BRAND]?: unknown })[CONNECTOR_ERROR_BRAND] === true
    );
  }
}

// A provider error name worth keeping: short, printable, no long opaque runs that could be a token.
const SAFE_CODE = /^[A-Za-z][A-Za-z0-9_.:\- ]{0,63}$/;
const OPAQUE_RUN = /[A-Za-z0-9_-]{24,}/;

/** Returns `value` when it is safe to repeat in a message, otherwise undefined. */
export function safeProviderCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (!SAFE_CODE.test(trimmed)) return undefined;
  // A long run containing a digit looks like a key or token, not an error name.
  const run = OPAQUE_RUN.exec(trimmed);
  if (run && /\d/.test(run[0])) return undefined;
  return trimmed;
}

/**
 * Picks the provider's error name from the common body shapes: `{error: "x"}` (OAuth, Slack
 * `{ok:false,error}`), `{error: {code}}`, `{code}` (Notion), `{errors: ["x"]}` (Datadog), `{err}` (Figma).
 */
export function extractProviderCode(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const error = body['error'];
  if (typeof error === 'string') return safeProviderCode(error);
  if (typeof error === 'object' && error !== null) {
    const nested = error as Record<string, unknown>;
    return safeProviderCode(nested['code']) ?? safeProviderCode(nested['type']);
  }
  const errors = body['errors'];
  if (Array.isArray(errors) && errors.length > 0) {
    const first: unknown = errors[0];
    if (typeof first === 'string') return safeProviderCode(first);
    if (typeof first === 'object' && first !== null) {
      return safeProviderCode((first as Record<string, unknown>)['code']);
    }
  }
  return safeProviderCode(body['code']) ?? safeProviderCode(body['err']);
}

const SLACK_AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'invalid_refresh_token',
]);

function reasonForStatus(status: number, providerCode: string | undefined): ConnectorErrorReason {
  if (status >= 200 && status < 300) {
    // Slack answers errors with HTTP 200 and `ok: false`.
    if (providerCode === 'ratelimited' || providerCode === 'rate_limited') return 'rate_limited';
    if (providerCode === 'missing_scope' || providerCode === 'no_permission') return 'permission';
    if (providerCode !== undefined && SLACK_AUTH_ERRORS.has(providerCode)) return 'auth';
    return 'provider';
  }
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 408) return 'network';
  if (status === 429) return 'rate_limited';
  return 'provider';
}

export interface ErrorFromResponseOptions {
  /** What was being done, for the message: `GET https://api.example.com/v1/me` (no query string). */
  operation?: string;
}

/**
 * Maps a provider's error answer to a {@link ConnectorError}: 401 → `auth`, 403 → `permission`,
 * 429 → `rate_limited` (with `retryAfterMs`), 408 → `network`, 5xx → retryable `provider`, other 4xx →
 * `provider`. An HTTP 200 body with `ok: false` (Slack) is mapped from its `error` name.
 * The message names the status and the provider's error name, never the body.
 *
 * @example
 * ```ts
 * if (!response.body.ok) throw connectorErrorFromResponse(response.status, response.headers, response.body);
 * ```
 */
export function connectorErrorFromResponse(
  status: number,
  headers: Record<string, string>,
  body: unknown,
  options: ErrorFromResponseOptions = {},
): ConnectorError {
  const providerCode = extractProviderCode(body);
  const reason = reasonForStatus(status, providerCode);
  const retryAfterMs = reason === 'rate_limited' || status === 503 ? parseRetryAfter(headers) : undefined;
  const subject = options.operation ? `${options.operation} answered` : 'Provider answered';
  const message = `${subject} HTTP ${status}${providerCode ? ` (${providerCode})` : ''}`;
  return new ConnectorError(message, {
    reason,
    retryable: reason === 'rate_limited' || reason === 'network' || status >= 500,
    status,
    ...(providerCode !== undefined && { providerCode }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  });
}
