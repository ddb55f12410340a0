import type { SampleResult } from '@cfm/connector-sdk';
import { ConnectorError, defineConnector } from '@cfm/connector-sdk';
import { atlassianApi } from '../atlassian-api.js';
import { atlassianConfigSchema } from '../atlassian-config.js';
import { atlassianOAuth2, atlassianOAuth2Hooks } from '../atlassian-oauth2.js';
import {
  ATLASSIAN_API_ORIGIN,
  atlassianCloudId,
  resolveAtlassianSite,
  siteMetadata,
} from '../atlassian-site.js';

// The smallest Atlassian product connector, built the way Jira and Confluence are: the shared pieces are
// tested through it once, so the product packages only test what is theirs.

export const PROBE_SCOPES = ['read:probe-work', 'read:probe-user'];

function probeUrl(cloudId: string, path: string): string {
  return `${ATLASSIAN_API_ORIGIN}/ex/probe/${encodeURIComponent(cloudId)}/${path}`;
}

interface ProbeUser {
  accountId: string;
  displayName?: string | null;
  email?: string | null;
}

export const probeConnector = defineConnector({
  key: 'atlassian-probe',
  name: 'Atlassian probe',
  description: 'A test-only Atlassian product connector.',
  categories: ['testing'],
  configSchema: atlassianConfigSchema('Probe'),
  auth: [atlassianOAuth2(PROBE_SCOPES)],
  oauth2: atlassianOAuth2Hooks,
  api: atlassianApi('probe'),

  async check(ctx) {
    const site = await resolveAtlassianSite(ctx);
    const me = await ctx.http.get<ProbeUser>(probeUrl(site.id, 'myself'));
    if (typeof me.body?.accountId !== 'string') {
      throw new ConnectorError('The probe answered /myself without an accountId', { reason: 'provider' });
    }
    return {
      identity: {
        accountId: me.body.accountId,
        displayName: me.body.displayName ?? null,
        email: me.body.email ?? null,
        workspace: site.name,
        site: site.url,
      },
      metadata: siteMetadata(site),
    };
  },

  async fetchSample(ctx, { limit }): Promise<SampleResult> {
    const cloudId = await atlassianCloudId(ctx);
    const items = await ctx.http.get<{ items?: { id: string }[] }>(probeUrl(cloudId, 'items'), {
      query: { limit },
    });
    return { kind: 'items', items: (items.body.items ?? []).slice(0, limit) };
  },
});
