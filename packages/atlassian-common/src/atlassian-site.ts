import { ConnectorError } from '@cfm/connector-sdk';
import type { AtlassianContext } from './atlassian-config.js';

/** Where 3LO tokens work: `…/ex/<product>/{cloudId}/…` (never `*.atlassian.net`). */
export const ATLASSIAN_API_ORIGIN = 'https://api.atlassian.com';

/** The metadata key holding the chosen site's cloud id: `siteMetadata` writes it, `atlassianApi` reads it. */
export const CLOUD_ID_KEY = 'cloudId';

/** One site (cloud) a grant covers, as `oauth/token/accessible-resources` lists it. */
export interface AtlassianSite {
  id: string;
  name: string;
  url: string;
  scopes?: string[];
  avatarUrl?: string;
}

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
 * A grant without any site is reason `permission`; a configured site the grant does not cover, `config`.
 *
 * @example
 * ```ts
 * const site = await resolveAtlassianSite(ctx);
 * return { identity: { …, workspace: site.name, site: site.url }, metadata: siteMetadata(site) };
 * ```
 */
export async function resolveAtlassianSite(ctx: AtlassianContext): Promise<AtlassianSite> {
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
  const previous = ctx.metadata[CLOUD_ID_KEY];
  return sites.find((site) => site.id === previous) ?? (sites[0] as AtlassianSite);
}

/** The cloud id stored by `check`, or a fresh resolution when the connection has none yet. */
export async function atlassianCloudId(ctx: AtlassianContext): Promise<string> {
  const { [CLOUD_ID_KEY]: cloudId, siteUrl, siteName } = ctx.metadata;
  const wanted = ctx.config.site?.trim();
  const storedSite = { id: String(cloudId), url: String(siteUrl ?? ''), name: String(siteName ?? '') };
  // A stored choice is stale when the config now names another site.
  const fresh = !wanted || matchesSite(storedSite, wanted);
  if (typeof cloudId === 'string' && cloudId.length > 0 && fresh) return cloudId;
  return (await resolveAtlassianSite(ctx)).id;
}

/** Metadata persisted on the connection: `cloudId`, `siteUrl`, `siteName`. */
export function siteMetadata(site: AtlassianSite): Record<string, unknown> {
  return { [CLOUD_ID_KEY]: site.id, siteUrl: site.url, siteName: site.name };
}

/** The site URL `check` stored (`https://acme.atlassian.net`, no trailing slash), or null before the first check. */
export function storedSiteUrl(metadata: Record<string, unknown>): string | null {
  const url = metadata['siteUrl'];
  return typeof url === 'string' && /^https?:\/\//.test(url) ? url.replace(/\/+$/, '') : null;
}
