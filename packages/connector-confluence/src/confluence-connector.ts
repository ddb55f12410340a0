import {
  ATLASSIAN_API_ORIGIN,
  type AtlassianContext,
  atlassianApi,
  atlassianCloudId,
  atlassianConfigSchema,
  atlassianOAuth2,
  atlassianOAuth2Hooks,
  resolveAtlassianSite,
  siteMetadata,
} from '@cfm/atlassian-common';
import type { SampleResult } from '@cfm/connector-sdk';
import { ConnectorError, defineConnector } from '@cfm/connector-sdk';
import { getPage } from './actions/get-page.js';
import { searchPages } from './actions/search-pages.js';

/**
 * Read pages and blog posts, list spaces, run CQL searches and read the signed-in user: the classic
 * scopes the v1 user endpoint and the v2 spaces endpoint both accept.
 */
export const CONFLUENCE_SCOPES = [
  'read:confluence-content.all',
  'read:confluence-space.summary',
  'search:confluence',
  'read:confluence-user',
];

const MAX_SAMPLE = 100;

interface ConfluenceUser {
  accountId: string;
  displayName?: string | null;
  publicName?: string | null;
  email?: string | null;
}

interface ConfluenceSpace {
  id: string | number;
  key: string;
  name: string;
  type?: string;
  status?: string;
}

function wikiUrl(cloudId: string, path: string): string {
  return `${ATLASSIAN_API_ORIGIN}/ex/confluence/${encodeURIComponent(cloudId)}/wiki/${path}`;
}

async function listSpaces(ctx: AtlassianContext, cloudId: string, limit: number): Promise<ConfluenceSpace[]> {
  try {
    const current = await ctx.http.get<{ results?: ConfluenceSpace[] }>(wikiUrl(cloudId, 'api/v2/spaces'), {
      query: { limit },
    });
    return current.body.results ?? [];
  } catch (error) {
    // Deployments without the v2 API answer 404: the v1 list has the same `results` of {id, key, name, type}.
    if (!ConnectorError.is(error) || error.status !== 404) throw error;
  }
  const legacy = await ctx.http.get<{ results?: ConfluenceSpace[] }>(wikiUrl(cloudId, 'rest/api/space'), {
    query: { limit },
  });
  return legacy.body.results ?? [];
}

/** Confluence Cloud through Atlassian OAuth 2.0 (3LO). */
export const confluenceConnector = defineConnector({
  key: 'confluence',
  name: 'Confluence',
  description:
    'Searches and reads Confluence Cloud pages and spaces on behalf of a user (Atlassian OAuth 2.0 3LO).',
  iconUrl: 'https://wac-cdn.atlassian.com/assets/img/favicons/confluence/favicon.png',
  docsUrl: 'https://developer.atlassian.com/cloud/confluence/oauth-2-3lo-apps/',
  categories: ['knowledge-base', 'documentation'],
  configSchema: atlassianConfigSchema('Confluence'),
  auth: [atlassianOAuth2(CONFLUENCE_SCOPES)],
  oauth2: atlassianOAuth2Hooks,
  // `{cloudId}`: what `check` stored with `siteMetadata`; paths start with `wiki/` (`wiki/api/v2/pages/1`).
  api: atlassianApi('confluence'),
  actions: {
    search_pages: searchPages,
    get_page: getPage,
  },

  async check(ctx) {
    const site = await resolveAtlassianSite(ctx);
    const me = await ctx.http.get<ConfluenceUser>(wikiUrl(site.id, 'rest/api/user/current'));
    if (typeof me.body?.accountId !== 'string') {
      throw new ConnectorError('Confluence answered user/current without an accountId', {
        reason: 'provider',
      });
    }
    return {
      identity: {
        accountId: me.body.accountId,
        displayName: me.body.displayName || me.body.publicName || null,
        // Empty or absent when the user's profile visibility hides it.
        email: me.body.email || null,
        workspace: site.name,
        site: site.url,
      },
      metadata: siteMetadata(site),
    };
  },

  async fetchSample(ctx, { limit }): Promise<SampleResult> {
    const bounded = Math.max(1, Math.min(MAX_SAMPLE, Math.floor(limit)));
    const cloudId = await atlassianCloudId(ctx);
    const spaces = await listSpaces(ctx, cloudId, bounded);
    return {
      kind: 'spaces',
      items: spaces.slice(0, bounded).map((space) => ({
        id: String(space.id),
        key: space.key,
        name: space.name,
        type: space.type ?? null,
        status: space.status ?? null,
      })),
    };
  },
});
