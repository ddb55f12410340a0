import {
  type FakeAtlassian,
  type FakeAtlassianOptions,
  fakeSite,
  requireSite,
  startFakeAtlassian,
} from '@cfm/atlassian-common/testing';
import { defaultIssues, type FakeJiraIssue, type FakeJiraProject } from './fake-jira-issues.js';
import { createIssueRoute, type FakeJiraState, getIssueRoute, searchRoute } from './fake-jira-routes.js';

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

export interface FakeJiraOptions extends FakeAtlassianOptions {
  user?: Partial<FakeJiraUser>;
  /** Default: 30 issues in project DEMO, updated over the last 30 hours. */
  issues?: FakeJiraIssue[];
  /** Projects issues can be created in. Default: DEMO with Task, Bug, Story and Epic. */
  projects?: FakeJiraProject[];
  /** Default true; false models a deployment that only has the legacy `GET /rest/api/3/search`. */
  searchJql?: boolean;
}

export interface FakeJira extends FakeAtlassian {
  readonly user: FakeJiraUser;
  /** Live: `create_issue` appends to it. */
  readonly issues: FakeJiraIssue[];
  readonly projects: FakeJiraProject[];
}

/**
 * A fake Jira Cloud behind a fake Atlassian authorization server, under `/ex/jira/:cloudId/rest/api/3/`:
 * `myself`; `search/jql` (enhanced search: `nextPageToken`, unbounded JQL refused) and the legacy `search`
 * (`startAt`/`total`), both running a small JQL subset (AND-joined clauses on project, status, issuetype,
 * assignee, reporter, key, summary, text, created, updated; ORDER BY created, updated or key);
 * `GET issue/:issueIdOrKey`; `POST issue` (needs `write:jira-work`, ADF descriptions). Errors come in Jira's
 * `{"errorMessages":[…],"errors":{…}}`, bad tokens in the gateway's 401, unknown cloud ids as 404.
 *
 * @example
 * ```ts
 * const fake = await startFakeJira({ sites: [fakeSite('acme', [])] });
 * const rewriteUrl = createOriginRewriter(fake.rewrite);
 * ```
 */
export async function startFakeJira(options: FakeJiraOptions = {}): Promise<FakeJira> {
  const { user: userOverrides, issues: givenIssues, projects, searchJql = true, ...rest } = options;
  const sites = rest.sites ?? [fakeSite('acme', JIRA_SITE_SCOPES)];
  const user: FakeJiraUser = {
    accountId: '5b10a2844c20165700ede21g',
    accountType: 'atlassian',
    emailAddress: 'mia.krystof@example.com',
    displayName: 'Mia Krystof',
    active: true,
    timeZone: 'Europe/Berlin',
    ...userOverrides,
  };
  const state: FakeJiraState = {
    sites,
    user,
    searchJql,
    issues: givenIssues ?? defaultIssues(user),
    projects: projects ?? [{ key: 'DEMO', name: 'Demo', issueTypes: ['Task', 'Bug', 'Story', 'Epic'] }],
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
      'GET /ex/jira/:cloudId/rest/api/3/search/jql': searchRoute(state, false),
      'GET /ex/jira/:cloudId/rest/api/3/search': searchRoute(state, true),
      'GET /ex/jira/:cloudId/rest/api/3/issue/:issueIdOrKey': getIssueRoute(state),
      'POST /ex/jira/:cloudId/rest/api/3/issue': createIssueRoute(state),
      ...rest.routes,
    },
  });
  return Object.assign(fake, { user, issues: state.issues, projects: state.projects });
}
