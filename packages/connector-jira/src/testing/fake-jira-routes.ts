import {
  decodeFakeCursor,
  encodeFakeCursor,
  type FakeAtlassianSite,
  pageSizeOf,
  requireScope,
  requireSite,
  siteOf,
} from '@cfm/atlassian-common/testing';
import type { FakeResponse, FakeRouteHandler, FakeRouteRequest } from '@cfm/connector-sdk/testing/fakes';
import {
  type FakeJiraIssue,
  type FakeJiraProject,
  type FakeJiraUserRef,
  isAdfDocument,
  issueBody,
  jiraError,
  jiraTime,
  subjectOf,
} from './fake-jira-issues.js';
import { parseJql, runJql } from './fake-jql.js';

export interface FakeJiraState {
  sites: FakeAtlassianSite[];
  issues: FakeJiraIssue[];
  projects: FakeJiraProject[];
  user: FakeJiraUserRef;
  /** False: the enhanced `search/jql` answers 404 (a deployment with the legacy search only). */
  searchJql: boolean;
}

const NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';
const UNBOUNDED =
  'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.';

/** The site of a request whose token and cloud id are good, or the answer refusing it. */
function siteFor(state: FakeJiraState, request: FakeRouteRequest): FakeAtlassianSite | FakeResponse {
  return requireSite(state.sites, request) ?? (siteOf(state.sites, request) as FakeAtlassianSite);
}

function isSite(value: FakeAtlassianSite | FakeResponse): value is FakeAtlassianSite {
  return 'id' in value;
}

function fieldList(value: string | undefined, fallback: string[]): string[] {
  return value === undefined ? fallback : value.split(',').map((field) => field.trim());
}

/**
 * `GET /rest/api/3/search/jql` (enhanced: `nextPageToken`, only issue ids unless `fields` says more, unbounded
 * JQL refused) or, with `legacy`, `GET /rest/api/3/search` (`startAt`/`total`, navigable fields by default).
 */
export function searchRoute(state: FakeJiraState, legacy: boolean): FakeRouteHandler {
  return (request, helpers) => {
    helpers.requireToken();
    const site = siteFor(state, request);
    if (!isSite(site)) return site;
    if (!legacy && !state.searchJql) return jiraError(404, ['Not found']);
    const parsed = parseJql(request.query['jql'] ?? '');
    if (!parsed.ok) return jiraError(400, [parsed.message]);
    if (!legacy && parsed.query.clauses.length === 0) return jiraError(400, [UNBOUNDED]);
    const matched = runJql(parsed.query, state.issues, subjectOf, state.user.accountId);
    const maxResults = pageSizeOf(request.query['maxResults'], 50, 100);
    const fields = fieldList(request.query['fields'], legacy ? ['*navigable'] : []);
    if (legacy) {
      const startAt = Math.max(0, Math.floor(Number(request.query['startAt'] ?? 0)) || 0);
      const issues = matched
        .slice(startAt, startAt + maxResults)
        .map((issue) => issueBody(site, issue, fields));
      return {
        status: 200,
        body: { expand: 'schema,names', startAt, maxResults, total: matched.length, issues },
      };
    }
    const token = request.query['nextPageToken'];
    const offset = token === undefined ? 0 : decodeFakeCursor(token);
    if (offset === undefined) return jiraError(400, ['The provided next page token is invalid or expired.']);
    const page = matched.slice(offset, offset + maxResults);
    const next = offset + page.length;
    const isLast = next >= matched.length;
    return {
      status: 200,
      body: {
        issues: page.map((issue) => issueBody(site, issue, fields)),
        isLast,
        ...(!isLast && { nextPageToken: encodeFakeCursor(next) }),
      },
    };
  };
}

/** `GET /rest/api/3/issue/:issueIdOrKey`: every field unless `fields` narrows them; 404 in Jira's shape. */
export function getIssueRoute(state: FakeJiraState): FakeRouteHandler {
  return (request, helpers) => {
    helpers.requireToken();
    const site = siteFor(state, request);
    if (!isSite(site)) return site;
    const wanted = (request.params['issueIdOrKey'] ?? '').toUpperCase();
    const issue = state.issues.find((candidate) => candidate.key === wanted || candidate.id === wanted);
    if (!issue) return jiraError(404, [NOT_FOUND]);
    return { status: 200, body: issueBody(site, issue, fieldList(request.query['fields'], ['*all'])) };
  };
}

function stringField(value: unknown, name: 'key' | 'name' | 'id'): string | undefined {
  const field = (value as Record<string, unknown> | null | undefined)?.[name];
  return typeof field === 'string' ? field : undefined;
}

/** The field errors Jira reports for a create request, keyed by field id (empty when it is acceptable). */
function createErrors(state: FakeJiraState, fields: Record<string, unknown>) {
  const errors: Record<string, string> = {};
  const projectKey = stringField(fields['project'], 'key')?.toUpperCase();
  const project = state.projects.find((candidate) => candidate.key === projectKey);
  if (!project) errors['project'] = 'Specify a valid project ID or key';
  const summary = fields['summary'];
  if (typeof summary !== 'string' || summary.trim() === '')
    errors['summary'] = 'You must specify a summary of the issue.';
  else if (summary.length > 255) errors['summary'] = 'Summary must be less than 255 characters.';
  const typeName = stringField(fields['issuetype'], 'name');
  if (typeName === undefined) errors['issuetype'] = 'Specify an issue type';
  else if (project && !project.issueTypes.some((type) => type.toLowerCase() === typeName.toLowerCase()))
    errors['issuetype'] = 'The issue type selected is invalid.';
  if (
    fields['description'] !== undefined &&
    fields['description'] !== null &&
    !isAdfDocument(fields['description'])
  )
    errors['description'] =
      'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
  return { errors, project };
}

/** `POST /rest/api/3/issue`: needs `write:jira-work`; 400 with per-field `errors`; 201 `{id, key, self}`. */
export function createIssueRoute(state: FakeJiraState): FakeRouteHandler {
  return (request, helpers) => {
    const token = helpers.requireToken();
    const site = siteFor(state, request);
    if (!isSite(site)) return site;
    const missingScope = requireScope(token, ['write:jira-work']);
    if (missingScope) return missingScope;
    const fields = (request.body as { fields?: unknown } | undefined)?.fields;
    if (typeof fields !== 'object' || fields === null) return jiraError(400, ['No fields were provided.']);
    const { errors, project } = createErrors(state, fields as Record<string, unknown>);
    if (!project || Object.keys(errors).length > 0) return jiraError(400, [], errors);
    const record = fields as Record<string, unknown>;
    const number = state.issues.filter((issue) => issue.key.startsWith(`${project.key}-`)).length + 1;
    const id = String(10_000 + state.issues.length + 1000);
    const now = jiraTime(Date.now());
    const issue: FakeJiraIssue = {
      id,
      key: `${project.key}-${number}`,
      summary: record['summary'] as string,
      status: 'To Do',
      updated: now,
      created: now,
      issueType: stringField(record['issuetype'], 'name') as string,
      description: record['description'] ?? null,
      assignee: null,
      reporter: state.user,
    };
    state.issues.push(issue);
    const self = `https://api.atlassian.com/ex/jira/${site.id}/rest/api/3/issue/${id}`;
    return { status: 201, body: { id, key: issue.key, self } };
  };
}
