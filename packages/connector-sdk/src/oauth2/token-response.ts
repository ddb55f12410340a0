import { ConnectorError, connectorErrorFromResponse, safeProviderCode } from '../errors.js';
import { isRecord } from '../is-record.js';
import type { OAuth2Credentials, TokenResponseInput, TokenSet } from '../types.js';

/** Token response fields the default parser turns into credentials, or drops as transport noise. */
const STANDARD_FIELDS = new Set([
  'access_token',
  'refresh_token',
  'expires_in',
  'scope',
  'token_type',
  'ok',
  'warning',
  'response_metadata',
]);

// Field names that suggest secret material: those go to `credentials.extra` (encrypted), never metadata.
const SECRET_KEY = /token|secret|password|credential|assertion|(^|_)key$/i;

function containsSecret(value: unknown, depth = 0): boolean {
  if (depth > 4 || typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(
    ([key, child]) => SECRET_KEY.test(key) || containsSecret(child, depth + 1),
  );
}

/** OAuth error names that mean the configuration (not the user's grant) is wrong. */
const CONFIG_ERRORS = new Set([
  'invalid_request',
  'invalid_scope',
  'unsupported_grant_type',
  'unsupported_response_type',
]);
const RETRYABLE_ERRORS = new Set(['server_error', 'temporarily_unavailable']);

function oauthErrorName(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  return safeProviderCode((body as Record<string, unknown>)['error']);
}

/**
 * Maps a failed token-endpoint answer to a `ConnectorError`. OAuth errors (`{error}`) with 400, 401 or
 * 403 (Atlassian answers `invalid_grant` with 403) mean re-authorization: reason `auth`, except request
 * shape errors (`invalid_request`, `invalid_scope`, …) which are `config`. 429 → `rate_limited`,
 * 5xx → retryable `provider`. Only the error name is repeated, never `error_description`.
 */
export function tokenEndpointError(
  step: string,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): ConnectorError {
  const name = oauthErrorName(body);
  if (
    name !== undefined &&
    (status === 400 || status === 401 || status === 403 || (status >= 200 && status < 300))
  ) {
    const reason = RETRYABLE_ERRORS.has(name)
      ? 'provider'
      : name === 'ratelimited'
        ? 'rate_limited'
        : CONFIG_ERRORS.has(name)
          ? 'config'
          : 'auth';
    return new ConnectorError(`${step} failed: token endpoint answered ${name}`, {
      reason,
      retryable: reason === 'provider' || reason === 'rate_limited',
      status,
      providerCode: name,
    });
  }
  const mapped = connectorErrorFromResponse(status, headers, body);
  const suffix = mapped.providerCode ? ` (${mapped.providerCode})` : '';
  return new ConnectorError(`${step} failed: token endpoint answered HTTP ${status}${suffix}`, {
    reason: mapped.reason,
    retryable: mapped.retryable,
    status,
    ...(mapped.providerCode !== undefined && { providerCode: mapped.providerCode }),
    ...(mapped.retryAfterMs !== undefined && { retryAfterMs: mapped.retryAfterMs }),
  });
}

function parseScopes(value: unknown): string[] | undefined {
  if (Array.isArray(value))
    return value.filter((item): item is string => typeof item === 'string' && item !== '');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((item) => item !== '');
  return undefined;
}

function parseExpiresIn(value: unknown, now: number): string | null {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return null;
  return new Date(now + seconds * 1000).toISOString();
}

/**
 * The generic token response parser (RFC 6749 §5.1):
 * - `access_token` is required (its absence, or an `error` / Slack `ok: false` in a 2xx answer, throws);
 * - `refresh_token`, else the previous one on refresh (providers that do not rotate, like Figma);
 * - `expires_in` → `expiresAt` (ISO), `scope` (space or comma separated) → `scopes`, `token_type`;
 * - every other field goes to `credentials.extra` when its name, or a nested name, looks secret-bearing
 *   (`token`, `secret`, `password`, `credential`, `assertion`, `…_key`), otherwise to `metadata`.
 *   So Slack's `authed_user` (it can hold a user token) is kept encrypted; `team` is metadata.
 */
export function parseTokenResponse(input: TokenResponseInput, step = 'Token request'): TokenSet {
  const { body, previous } = input;
  if (!isRecord(body)) {
    throw new ConnectorError(
      `${step} failed: token endpoint answered HTTP ${input.status} without a JSON object`,
      {
        reason: 'provider',
        status: input.status,
      },
    );
  }
  if (body['ok'] === false || typeof body['error'] === 'string') {
    throw tokenEndpointError(step, input.status, input.headers, body);
  }
  const accessToken = body['access_token'];
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new ConnectorError(`${step} failed: token endpoint answered without an access_token`, {
      reason: 'provider',
      status: input.status,
    });
  }
  const credentials: OAuth2Credentials = {
    type: 'oauth2',
    accessToken,
    expiresAt: parseExpiresIn(body['expires_in'], Date.now()),
  };
  const refreshToken =
    typeof body['refresh_token'] === 'string' ? body['refresh_token'] : previous?.refreshToken;
  if (refreshToken) credentials.refreshToken = refreshToken;
  if (typeof body['token_type'] === 'string') credentials.tokenType = body['token_type'];
  const scopes = parseScopes(body['scope']) ?? previous?.scopes;
  if (scopes) credentials.scopes = scopes;

  const extra: Record<string, unknown> = {};
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (STANDARD_FIELDS.has(key)) continue;
    if (SECRET_KEY.test(key) || containsSecret(value)) extra[key] = value;
    else metadata[key] = value;
  }
  if (Object.keys(extra).length > 0) credentials.extra = extra;
  else if (previous?.extra) credentials.extra = previous.extra;
  return Object.keys(metadata).length > 0 ? { credentials, metadata } : { credentials };
}
