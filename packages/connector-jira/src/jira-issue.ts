import { storedSiteUrl } from '@cfm/atlassian-common';
import { Type } from '@cfm/connector-sdk';

/** A user as Jira's v3 API embeds it (`assignee`, `reporter`). */
export interface JiraUserField {
  accountId?: string;
  displayName?: string | null;
}

/** An issue as Jira's v3 API returns it, with the fields the actions ask for. */
export interface JiraIssue {
  id: string;
  key: string;
  fields?: {
    summary?: string;
    description?: unknown;
    status?: { name?: string } | null;
    assignee?: JiraUserField | null;
    reporter?: JiraUserField | null;
    created?: string;
    updated?: string;
    [field: string]: unknown;
  };
}

const nullableString = Type.Union([Type.String(), Type.Null()]);

/** `{ account_id, display_name }`, or null when nobody is assigned. */
export const jiraUserSchema = Type.Union([
  Type.Object({ account_id: Type.String(), display_name: nullableString }),
  Type.Null(),
]);

/** The browse URL of the issue (`https://acme.atlassian.net/browse/DEMO-1`), null before the first check. */
export const issueUrlSchema = Type.Union([Type.String(), Type.Null()], {
  description: 'The issue in the Jira web app; null when the connection has not stored its site URL yet.',
});

export function jiraUser(user: JiraUserField | null | undefined): {
  account_id: string;
  display_name: string | null;
} | null {
  if (!user || typeof user.accountId !== 'string') return null;
  return { account_id: user.accountId, display_name: user.displayName ?? null };
}

/** `<site>/browse/<KEY>` from the site URL `check` stored. */
export function issueUrl(metadata: Record<string, unknown>, key: string): string | null {
  const site = storedSiteUrl(metadata);
  return site === null ? null : `${site}/browse/${encodeURIComponent(key)}`;
}

/** Jira issue keys (`DEMO-42`, any case) or numeric ids: nothing that could change the request path. */
export const ISSUE_KEY_PATTERN = '^([A-Za-z][A-Za-z0-9_]*-[0-9]+|[0-9]+)$';
