import {
  ATLASSIAN_API_ORIGIN,
  type AtlassianContext,
  atlassianCloudId,
  atlassianConfigSchema,
  atlassianOAuth2,
  atlassianOAuth2Hooks,
  resolveAtlassianSite,
  siteMetadata,
} from '@cfm/atlassian-common';
import type { SampleResult } from '@cfm/connector-sdk';
import { ConnectorError, defineConnector } from '@cfm/connector-sdk';

/** Read issues and projects (`read:jira-work`) and the signed-in user (`read:jira-user`). */
export const JIRA_SCOPES = ['read:jira-work', 'read:jira-user'];

const MAX_SAMPLE = 100;

interface JiraUser {
  accountId: string;
  displayName?: string | null;
  emailAddress?: string | null;
}

interface JiraIssue {
  id: string;
  key: string;
  fields?: { summary?: string; updated?: string; status?: { name?: string } | null };
}

function jiraUrl(cloudId: string, path: string): string {
  return `${ATLASSIAN_API_ORIGIN}/ex/jira/${encodeURIComponent(cloudId)}/rest/api/3/${path}`;
}

async function searchIssues(ctx: AtlassianContext, cloudId: string, limit: number): Promise<JiraIssue[]> {
  const query = { jql: 'order by updated DESC', maxResults: limit, fields: 'summary,status,updated' };
  try {
    const current = await ctx.http.get<{ issues?: JiraIssue[] }>(jiraUrl(cloudId, 'search/jql'), { query });
    return current.body.issues ?? [];
  } catch (error) {
    // `search/jql` replaced `search` in 2025; deployments without it answer 404: use the legacy one
    // (same `issues` list, plus startAt/total).
    if (!ConnectorError.is(error) || error.status !== 404) throw error;
  }
  const legacy = await ctx.http.get<{ issues?: JiraIssue[] }>(jiraUrl(cloudId, 'search'), { query });
  return legacy.body.issues ?? [];
}

/** Jira Cloud through Atlassian OAuth 2.0 (3LO). */
export const jiraConnector = defineConnector({
  key: 'jira',
  name: 'Jira',
  description: 'Reads Jira Cloud issues and projects on behalf of a user (Atlassian OAuth 2.0 3LO).',
  iconUrl: 'https://wac-cdn.atlassian.com/assets/img/favicons/atlassian/favicon.png',
  docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
  categories: ['project-management', 'issue-tracking'],
  configSchema: atlassianConfigSchema('Jira'),
  auth: [atlassianOAuth2(JIRA_SCOPES)],
  oauth2: atlassianOAuth2Hooks,

  async check(ctx) {
    const site = await resolveAtlassianSite(ctx);
    const me = await ctx.http.get<JiraUser>(jiraUrl(site.id, 'myself'));
    if (typeof me.body?.accountId !== 'string') {
      throw new ConnectorError('Jira answered /myself without an accountId', { reason: 'provider' });
    }
    return {
      identity: {
        accountId: me.body.accountId,
        displayName: me.body.displayName ?? null,
        // Null when the user's profile visibility hides it.
        email: me.body.emailAddress || null,
        workspace: site.name,
        site: site.url,
      },
      metadata: siteMetadata(site),
    };
  },

  async fetchSample(ctx, { limit }): Promise<SampleResult> {
    const bounded = Math.max(1, Math.min(MAX_SAMPLE, Math.floor(limit)));
    const cloudId = await atlassianCloudId(ctx);
    const issues = await searchIssues(ctx, cloudId, bounded);
    return {
      kind: 'issues',
      items: issues.slice(0, bounded).map((issue) => ({
        id: issue.id,
        key: issue.key,
        summary: issue.fields?.summary ?? null,
        status: issue.fields?.status?.name ?? null,
        updated: issue.fields?.updated ?? null,
      })),
    };
  },
});
