import type { AtlassianConfig } from '@cfm/atlassian-common';
import type { ActionContext } from '@cfm/connector-sdk';
import { defineAction, Type } from '@cfm/connector-sdk';
import { issueUrl, issueUrlSchema, type JiraIssue, jiraUser, jiraUserSchema } from '../jira-issue.js';
import { searchIssuesPage } from '../jira-search.js';

const DEFAULT_LIMIT = 25;
const BASE_FIELDS = ['summary', 'status', 'assignee', 'updated'];
const nullableString = Type.Union([Type.String(), Type.Null()]);

const input = Type.Object(
  {
    jql: Type.String({
      minLength: 1,
      maxLength: 10_000,
      description:
        'A JQL query. Jira Cloud refuses unbounded queries: include a restriction such as `project = DEMO` ' +
        'or `updated >= -30d` (an ORDER BY alone is not one).',
    }),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_LIMIT, description: 'Issues per page.' }),
    ),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 4096, description: 'The `next_cursor` of the previous page.' }),
    ),
    fields: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,100}$' }), {
        maxItems: 50,
        description:
          'Extra Jira field ids to return under `fields` (`priority`, `labels`, `customfield_10010`).',
      }),
    ),
  },
  { additionalProperties: false },
);

const output = Type.Object({
  issues: Type.Array(
    Type.Object({
      key: Type.String(),
      id: Type.String(),
      summary: nullableString,
      status: nullableString,
      assignee: jiraUserSchema,
      updated: nullableString,
      url: issueUrlSchema,
      fields: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  ),
  next_cursor: Type.Optional(Type.String({ description: 'Present only when there are more issues.' })),
});

function summarize(issue: JiraIssue, metadata: Record<string, unknown>, extra: string[]) {
  const fields = issue.fields ?? {};
  return {
    key: issue.key,
    id: String(issue.id),
    summary: fields.summary ?? null,
    status: fields.status?.name ?? null,
    assignee: jiraUser(fields.assignee),
    updated: fields.updated ?? null,
    url: issueUrl(metadata, issue.key),
    ...(extra.length > 0 && {
      fields: Object.fromEntries(extra.map((name) => [name, fields[name] ?? null])),
    }),
  };
}

/** `search_issues`: one page of issues matching a JQL query, newest Jira search API first. */
export const searchIssues = defineAction({
  description:
    'Search Jira issues with JQL and return one page of key, summary, status, assignee, last update and link. ' +
    'Pass `next_cursor` back as `cursor` for the next page.',
  input,
  output,
  async run(ctx: ActionContext<AtlassianConfig>, params) {
    const extra = [...new Set(params.fields ?? [])].filter((name) => !BASE_FIELDS.includes(name));
    const page = await searchIssuesPage(ctx.api, (path) => `rest/api/3/${path}`, {
      jql: params.jql,
      limit: params.limit ?? DEFAULT_LIMIT,
      fields: [...BASE_FIELDS, ...extra].join(','),
      ...(params.cursor !== undefined && { cursor: params.cursor }),
    });
    return {
      issues: page.issues.map((issue) => summarize(issue, ctx.metadata, extra)),
      ...(page.nextCursor !== undefined && { next_cursor: page.nextCursor }),
    };
  },
});
