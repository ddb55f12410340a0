import { type AtlassianConfig, atlassianRequest } from '@cfm/atlassian-common';
import type { ActionContext } from '@cfm/connector-sdk';
import { ConnectorError, defineAction, Type } from '@cfm/connector-sdk';
import { textToAdf } from '../adf.js';
import { issueUrl, issueUrlSchema } from '../jira-issue.js';

/** The scope creating issues needs; a deployment enables it as an optional scope of the connector. */
export const JIRA_WRITE_SCOPE = 'write:jira-work';

const input = Type.Object(
  {
    project_key: Type.String({
      pattern: '^[A-Za-z][A-Za-z0-9_]*$',
      maxLength: 255,
      description: 'The key of the project to create the issue in (`DEMO`).',
    }),
    summary: Type.String({ minLength: 1, maxLength: 255, description: 'The one-line title.' }),
    issue_type: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        default: 'Task',
        description: 'The issue type name as the project names it (`Task`, `Bug`, `Story`).',
      }),
    ),
    description: Type.Optional(
      Type.String({
        maxLength: 32_767,
        description: 'Plain text; blank lines separate paragraphs (sent as an Atlassian Document).',
      }),
    ),
  },
  { additionalProperties: false },
);

const output = Type.Object({
  id: Type.String(),
  key: Type.String(),
  url: issueUrlSchema,
});

/** `create_issue`: a new issue from plain text; needs `write:jira-work`. */
export const createIssue = defineAction({
  description:
    'Create a Jira issue in a project with a summary, an issue type (default Task) and an optional plain-text ' +
    'description. Needs the write:jira-work scope.',
  readOnly: false,
  input,
  output,
  async run(ctx: ActionContext<AtlassianConfig>, params) {
    const description = params.description?.trim() ? textToAdf(params.description) : undefined;
    const response = await atlassianRequest<{ id?: unknown; key?: unknown }>(
      ctx.api,
      {
        method: 'POST',
        url: 'rest/api/3/issue',
        json: {
          fields: {
            project: { key: params.project_key },
            summary: params.summary,
            issuetype: { name: params.issue_type ?? 'Task' },
            ...(description !== undefined && { description }),
          },
        },
        // Creating is not idempotent: a retried POST after a lost answer could create the issue twice.
        retries: 0,
      },
      { operation: 'Jira issue creation' },
    );
    const { id, key } = response.body;
    if (typeof key !== 'string' || (typeof id !== 'string' && typeof id !== 'number')) {
      throw new ConnectorError('Jira answered the issue creation without an id and key', {
        reason: 'provider',
        status: response.status,
      });
    }
    return { id: String(id), key, url: issueUrl(ctx.metadata, key) };
  },
});
