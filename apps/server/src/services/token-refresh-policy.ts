import type { Credentials } from '@cfm/connector-sdk';
import type { CredentialRow } from '@cfm/db';

/** Refresh at most this long before expiry… */
export const MAX_REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** First wait after a transient refresh failure; doubles per failure up to {@link MAX_BACKOFF_MS}. */
export const BASE_BACKOFF_MS = 30 * 1000;
export const MAX_BACKOFF_MS = 60 * 60 * 1000;

/** What the front-end shows on a connection whose refresh token the provider refused. */
export const RECONNECT_REASON = 'Reconnect needed: the provider rejected the refresh token';

type RowFacts = Pick<CredentialRow, 'expires_at' | 'last_refreshed_at' | 'created_at'>;

/**
 * How early to refresh: 5 minutes or half the token's lifetime, whichever is smaller, so a token that
 * lives 2 minutes is not refreshed on every call.
 */
export function refreshMarginMs(row: RowFacts): number {
  if (row.expires_at === null) return 0;
  const issuedAt = row.last_refreshed_at ?? row.created_at;
  const lifetime = row.expires_at.getTime() - issuedAt.getTime();
  return Math.max(0, Math.min(MAX_REFRESH_MARGIN_MS, lifetime / 2));
}

/**
 * True when the credentials should be refreshed now: the access token expires within the margin (and
 * there is a refresh token to use), or the caller saw this very access token rejected by the provider.
 */
export function needsRefresh(
  row: RowFacts,
  credentials: Credentials,
  now: Date,
  rejectedAccessToken?: string,
): boolean {
  if (credentials.type !== 'oauth2') return false;
  if (rejectedAccessToken !== undefined && credentials.accessToken === rejectedAccessToken) return true;
  if (!credentials.refreshToken || row.expires_at === null) return false;
  return row.expires_at.getTime() - now.getTime() <= refreshMarginMs(row);
}

export function isExpired(row: Pick<CredentialRow, 'expires_at'>, now: Date): boolean {
  return row.expires_at !== null && row.expires_at.getTime() <= now.getTime();
}

/** Exponential backoff after `failures` consecutive transient failures, at least what the provider asked. */
export function backoffMs(failures: number, retryAfterMs?: number): number {
  const exponential = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.max(0, failures - 1));
  return Math.min(MAX_BACKOFF_MS, Math.max(exponential, retryAfterMs ?? 0));
}
