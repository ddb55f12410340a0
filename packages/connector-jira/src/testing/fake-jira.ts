import {
  type FakeAtlassian,
  type FakeAtlassianOptions,
  type FakeAtlassianSite,
  fakeSite,
  requireSite,
  startFakeAtlassian,
} from '@cfm/atlassian-common/testing';
import type { FakeRouteHandler } from '@cfm/connector-sdk/testing/fakes';

const JIRA_SITE_SCOPES = ['read:jira-work', 'read:jira-user'];

/** The `GET /rest/api/3/myself` answer (`emailAddress` is null when the profile hides it). */
export interface FakeJiraUser {
  accountId: string;
  accountType: string;
  emailAddress: string | null;
  displayName: string;
  active: boolean;
  timeZone: string;
}

export interface FakeJiraIssue {
  id: string;
  key: string;
  summary: string;
  status: string;
  /** Jira's timestamp format, e.g. `2025-01-31T09:15:00.000+0000`. */
  updated: string;
}

export interface FakeJiraOptions extends FakeAtlassianOptions {
  user?: Partial<FakeJiraUser>;
  /** Default: 30 issues in project DEMO. */
  issues?: FakeJiraIssue[];
  /** Default true; false models a deployment that only has the legacy `GET /rest/api/3/search`. */
  searchJql?: boolean;
}

export interface FakeJira extends FakeAtlassian {
  readonly user: FakeJiraUser;
  readonly issues: FakeJiraIssue[];
}

function defaultIssues(): FakeJiraIssue[] {
  const statuses = ['To Do', 'In Progress', 'Done'];
  return Array.from({ length: 30 }, (_, index) => ({
    id: String(10_000 + index),
    key: `DEMO-${index + 1}`,
    summary: `Demo issue ${index + 1}`,
    status: statuses[index % statuses.length] as string,
    updated: new Date(Date.UTC(2025, 0, 1, 0, index)).toISOString().replace('Z', '+0000'),
  }));
}

function issueBody(site: FakeAtlassianSite, issue: FakeJiraIssue, fields: string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    summary: issue.summary,
    status: { name: issue.status, id: String(issue.status.length) },
    updated: issue.updated,
  };
  const picked = Object.fromEntries(Object.entries(all).filter(([name]) => fields.includes(name)));
  return { id: issue.id, key: issue.key, self: `${site.url}/rest/api/3/issue/${issue.id}`, fields: picked };
}

/**
 * A fake Jira Cloud behind a fake Atlassian authorization server: `myself`, `search/jql` (and the legacy
 * `search`), accessible-resources, with Atlassian's token endpoint quirks.
 *
 * @example
 * ```ts
 * const fake = await startFakeJira({ sites: [fakeSite('acme', [])] });
 * const rewriteUrl = createOriginRewriter(fake.rewrite);
 * ```
 */
export async function startFakeJira(options: FakeJiraOptions = {}): Promise<FakeJira> {
  const { user: userOverrides, issues: givenIssues, searchJql = true, ...rest } = options;
  const sites = rest.sites ?? [fakeSite('acme', JIRA_SITE_SCOPES)];
  const issues = givenIssues ?? defaultIssues();
  const user: FakeJiraUser = {
    accountId: '5b10a2844c20165700ede21g',
    accountType: 'atlassian',
    emailAddress: 'mia.krystof@example.com',
    displayName: 'Mia Krystof',
    active: true,
    timeZone: 'Europe/Berlin',
    ...userOverrides,
  };

  const search =
    (legacy: boolean): FakeRouteHandler =>
    (request, helpers) => {
      helpers.requireToken();
      const missing = requireSite(sites, request);
      if (missing) return missing;
      if (!legacy && !searchJql) return { status: 404, body: { errorMessages: ['Not found'], errors: {} } };
      const site = sites.find((candidate) => candidate.id === request.params['cloudId']) as FakeAtlassianSite;
      const maxResults = Math.min(100, Number(request.query['maxResults'] ?? 50));
      const fields = (request.query['fields'] ?? 'summary').split(',');
      const sorted = [...issues].sort((a, b) => b.updated.localeCompare(a.updated));
      const page = sorted.slice(0, maxResults).map((issue) => issueBody(site, issue, fields));
      const body = legacy
        ? { expand: 'schema,names', startAt: 0, maxResults, total: issues.length, issues: page }
        : {
            issues: page,
            isLast: page.length >= issues.length,
            ...(page.length < issues.length && { nextPageToken: 'CAEaAggD' }),
          };
      return { status: 200, body };
    };

  const fake = await startFakeAtlassian({
    ...rest,
    sites,
    routes: {
      'GET /ex/jira/:cloudId/rest/api/3/myself': (request, helpers) => {
        helpers.requireToken();
        const missing = requireSite(sites, request);
        if (missing) return missing;
        const avatar = `https://avatar-management.services.atlassian.com/${user.accountId}/48`;
        return { status: 200, body: { self: '', ...user, avatarUrls: { '48x48': avatar }, locale: 'en_US' } };
      },
      'GET /ex/jira/:cloudId/rest/api/3/search/jql': search(false),
      'GET /ex/jira/:cloudId/rest/api/3/search': search(true),
      ...rest.routes,
    },
  });
  return Object.assign(fake, { user, issues });
}
