import type { ConnectorContext, OAuth2AuthDescriptor, OAuth2Hooks } from '@cfm/connector-sdk';
import { ConnectorError } from '@cfm/connector-sdk';

// Atlassian logic shared in spirit with @cfm/connector-confluence (each package keeps its own short copy
// because the two are versioned independently).

export const ATLASSIAN_API_ORIGIN = 'https://api.atlassian.com';
const OFFLINE_ACCESS = 'offline_access';

/** One site (cloud) a grant covers, as `oauth/token/accessible-resources` lists it. */
export interface AtlassianSite {
  id: string;
  name: string;
  url: string;
  scopes?: string[];
  avatarUrl?: string;
}

/** Atlassian OAuth 2.0 (3LO): JSON token bodies, client secret in the body, no PKCE, no revoke endpoint. */
export function atlassianOAuth2(productScopes: string[]): OAuth2AuthDescriptor {
  return {
    type: 'oauth2',
    authorizeUrl: 'https://auth.atlassian.com/authorize',
    tokenUrl: 'https://auth.atlassian.com/oauth/token',
    scopes: { required: [...productScopes, OFFLINE_ACCESS] },
    scopeSeparator: ' ',
    pkce: 'off',
    clientAuth: 'body',
    tokenRequestFormat: 'json',
    extraAuthorizeParams: { audience: 'api.atlassian.com', prompt: 'consent' },
  };
}

/**
 * `offline_access` is never dropped (without it Atlassian issues no refresh token). A 403 `invalid_grant`
 * from the token endpoint already maps to reason `auth` in the SDK, so exchange and refresh stay generic.
 */
export const atlassianOAuth2Hooks: OAuth2Hooks<{ site?: string }> = {
  buildAuthorizeUrl(input, _ctx, next) {
    const scopes = input.scopes.includes(OFFLINE_ACCESS) ? input.scopes : [...input.scopes, OFFLINE_ACCESS];
    return next({ ...input, scopes });
  },
};

function normalizeSite(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '');
}

function matchesSite(site: AtlassianSite, wanted: string): boolean {
  const target = normalizeSite(wanted);
  const host = normalizeSite(site.url);
  return (
    host === target ||
    site.name.toLowerCase() === target ||
    site.id === wanted.trim() ||
    host === `${target}.atlassian.net`
  );
}

function isSite(value: unknown): value is AtlassianSite {
  const record = value as Partial<AtlassianSite> | null;
  return typeof record?.id === 'string' && typeof record.name === 'string' && typeof record.url === 'string';
}

/**
 * Picks the site this connection works on: the one the config names (URL, host, name or cloud id), else
 * the one chosen before (the list's order is not meaningful, so "first" could change), else the first.
 */
export async function resolveAtlassianSite(ctx: ConnectorContext<{ site?: string }>): Promise<AtlassianSite> {
  const response = await ctx.http.get<unknown>(`${ATLASSIAN_API_ORIGIN}/oauth/token/accessible-resources`);
  const sites = Array.isArray(response.body) ? response.body.filter(isSite) : [];
  if (sites.length === 0) {
    throw new ConnectorError(
      'This Atlassian grant covers no site: the user must grant the app access to at least one site',
      { reason: 'permission' },
    );
  }
  const wanted = ctx.config.site?.trim();
  if (wanted) {
    const chosen = sites.find((site) => matchesSite(site, wanted));
    if (chosen) return chosen;
    const available = sites.map((site) => site.url).join(', ');
    throw new ConnectorError(
      `The configured site "${wanted}" is not covered by this grant (it covers ${available})`,
      {
        reason: 'config',
      },
    );
  }
  const previous = ctx.metadata['cloudId'];
  return sites.find((site) => site.id === previous) ?? (sites[0] as AtlassianSite);
}

/** The cloud id stored by `check`, or a fresh resolution when the connection has none yet. */
export async function atlassianCloudId(ctx: ConnectorContext<{ site?: string }>): Promise<string> {
  const { cloudId, siteUrl, siteName } = ctx.metadata;
  const wanted = ctx.config.site?.trim();
  const storedSite = { id: String(cloudId), url: String(siteUrl ?? ''), name: String(siteName ?? '') };
  // A stored choice is stale when the config now names another site.
  const fresh = !wanted || matchesSite(storedSite, wanted);
  if (typeof cloudId === 'string' && cloudId.length > 0 && fresh) return cloudId;
  return (await resolveAtlassianSite(ctx)).id;
}

/** Metadata persisted on the connection. */
export function siteMetadata(site: AtlassianSite): Record<string, unknown> {
  return { cloudId: site.id, siteUrl: site.url, siteName: site.name };
}
