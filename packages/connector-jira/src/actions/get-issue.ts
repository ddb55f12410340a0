import { type AtlassianConfig, atlassianRequest } from '@cfm/atlassian-common';
import type { ActionContext } from '@cfm/connector-sdk';
import { defineAction, Type } from '@cfm/connector-sdk';
import { adfToText } from '../adf.js';
import {
  ISSUE_KEY_PATTERN,
  issueUrl,
  issueUrlSchema,
  type JiraIssue,
  jiraUser,
  jiraUserSchema,
} from '../jira-issue.js';

const FIELDS = 'summary,description,status,assignee,reporter,created,updated';
const nullableString = Type.Union([Type.String(), Type.Null()]);

const input = Type.Object(
  {
    issue_key: Type.String({
      pattern: ISSUE_KEY_PATTERN,
      maxLength: 255,
      description: 'The issue key (`DEMO-42`) or numeric id.',
    }),
  },
  { additionalProperties: false },
);

const output = Type.Object({
  key: Type.String(),
  id: Type.String(),
  summary: nullableString,
  description: Type.Union([Type.String(), Type.Null()], {
    description: 'The description as plain text (converted from the Atlassian Document Format).',
  }),
  status: nullableString,
  assignee: jiraUserSchema,
  reporter: jiraUserSchema,
  created: nullableString,
  updated: nullableString,
  url: issueUrlSchema,
});

/** `get_issue`: one issue by key, its description as plain text. */
export const getIssue = defineAction({
  description:
    'Read one Jira issue by key (or id): summary, description as plain text, status, assignee, reporter, ' +
    'created and updated times, and its link.',
  input,
  output,
  async run(ctx: ActionContext<AtlassianConfig>, params) {
    const response = await atlassianRequest<JiraIssue>(
      ctx.api,
      { url: `rest/api/3/issue/${encodeURIComponent(params.issue_key)}`, query: { fields: FIELDS } },
      {
        operation: 'Jira issue read',
        notFound: `Jira issue "${params.issue_key}" does not exist or this account cannot see it`,
      },
    );
    const issue = response.body;
    const fields = issue.fields ?? {};
    return {
      key: issue.key,
      id: String(issue.id),
      summary: fields.summary ?? null,
      description: adfToText(fields.description),
      status: fields.status?.name ?? null,
      assignee: jiraUser(fields.assignee),
      reporter: jiraUser(fields.reporter),
      created: fields.created ?? null,
      updated: fields.updated ?? null,
      url: issueUrl(ctx.metadata, issue.key),
    };
  },
});
