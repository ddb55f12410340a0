import {
  ATLASSIAN_API_ORIGIN,
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
import { createIssue, JIRA_WRITE_SCOPE } from './actions/create-issue.js';
import { getIssue } from './actions/get-issue.js';
import { searchIssues } from './actions/search-issues.js';
import { searchIssuesPage } from './jira-search.js';

/** Read issues and projects (`read:jira-work`) and the signed-in user (`read:jira-user`). */
export const JIRA_SCOPES = ['read:jira-work', 'read:jira-user'];

/** Scopes a deployment may add: `write:jira-work` for `create_issue`. */
export const JIRA_OPTIONAL_SCOPES = [JIRA_WRITE_SCOPE];

// The enhanced search refuses unbounded JQL ("Unbounded JQL queries are not allowed here"): an ORDER BY
// alone is not a restriction, so the sample is bounded by time.
const SAMPLE_JQL = 'updated >= -90d ORDER BY updated DESC';

const MAX_SAMPLE = 100;

interface JiraUser {
  accountId: string;
  displayName?: string | null;
  emailAddress?: string | null;
}

function jiraUrl(cloudId: string, path: string): string {
  return `${ATLASSIAN_API_ORIGIN}/ex/jira/${encodeURIComponent(cloudId)}/rest/api/3/${path}`;
}

/** Jira Cloud through Atlassian OAuth 2.0 (3LO). */
export const jiraConnector = defineConnector({
  key: 'jira',
  name: 'Jira',
  description: 'Searches, reads and creates Jira Cloud issues on behalf of a user (Atlassian OAuth 2.0 3LO).',
  iconUrl: 'https://wac-cdn.atlassian.com/assets/img/favicons/atlassian/favicon.png',
  docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
  categories: ['project-management', 'issue-tracking'],
  configSchema: atlassianConfigSchema('Jira'),
  auth: [atlassianOAuth2(JIRA_SCOPES, JIRA_OPTIONAL_SCOPES)],
  oauth2: atlassianOAuth2Hooks,
  // `{cloudId}`: what `check` stored with `siteMetadata`; the proxy path `rest/api/3/myself` reaches `myself`.
  api: atlassianApi('jira'),
  actions: {
    search_issues: searchIssues,
    get_issue: getIssue,
    create_issue: createIssue,
  },

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
    const { issues } = await searchIssuesPage(ctx.http, (path) => jiraUrl(cloudId, path), {
      jql: SAMPLE_JQL,
      limit: bounded,
      fields: 'summary,status,updated',
    });
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
