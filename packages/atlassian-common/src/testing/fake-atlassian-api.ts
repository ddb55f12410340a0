import type { FakeResponse, FakeRouteRequest, FakeTokenRecord } from '@cfm/connector-sdk/testing/fakes';
import type { FakeAtlassianSite } from './fake-atlassian.js';

// Helpers the product fakes (Jira, Confluence) share for their API routes.

/** The site a `/ex/<product>/:cloudId/…` request names, or undefined when the grant does not cover it. */
export function siteOf(
  sites: readonly FakeAtlassianSite[],
  request: FakeRouteRequest,
): FakeAtlassianSite | undefined {
  return sites.find((site) => site.id === request.params['cloudId']);
}

/**
 * The gateway's answer to a token without a scope the endpoint needs: HTTP 401
 * `{"code":401,"message":"Unauthorized; scope does not match"}`. Null when the token has every scope.
 */
export function requireScope(token: FakeTokenRecord, scopes: readonly string[]): FakeResponse | null {
  if (scopes.every((scope) => token.scopes.includes(scope))) return null;
  return { status: 401, body: { code: 401, message: 'Unauthorized; scope does not match' } };
}

/**
 * An opaque page token for an offset, as Atlassian's look (`nextPageToken`, Confluence `cursor`): base64url,
 * meaningless to the client. {@link decodeFakeCursor} reads it back.
 */
export function encodeFakeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset, v: 1 }), 'utf8').toString('base64url');
}

/** The offset behind a token from {@link encodeFakeCursor}, or undefined for anything else. */
export function decodeFakeCursor(token: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const offset = (parsed as { o?: unknown } | null)?.o;
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    // Not base64url JSON: a token this fake never issued, which the caller answers with a 400.
    return undefined;
  }
}

/** A bounded page size from a query parameter: `fallback` when absent, at most `max`, at least 1. */
export function pageSizeOf(value: string | undefined, fallback: number, max: number): number {
  const parsed = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(parsed)) return fallback;
  return Math.max(1, Math.min(max, Math.floor(parsed)));
}
