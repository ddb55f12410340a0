import type { FakeAtlassianSite } from '@cfm/atlassian-common/testing';
import { adfToText } from '../adf.js';
import type { JqlSubject } from './fake-jql.js';

/** A user as issues embed it. */
export interface FakeJiraUserRef {
  accountId: string;
  displayName: string;
}

export interface FakeJiraIssue {
  id: string;
  key: string;
  summary: string;
  status: string;
  /** Jira's timestamp format, e.g. `2025-01-31T09:15:00.000+0000`. */
  updated: string;
  /** Default: a day before `updated`. */
  created?: string;
  /** Default `Task`. */
  issueType?: string;
  /** An Atlassian Document Format document, or null. */
  description?: unknown;
  assignee?: FakeJiraUserRef | null;
  reporter?: FakeJiraUserRef | null;
  priority?: string;
  labels?: string[];
}

export interface FakeJiraProject {
  key: string;
  name: string;
  /** Issue type names the project offers. */
  issueTypes: string[];
}

/** Jira answers every error of its REST API in this shape. */
export function jiraError(status: number, errorMessages: string[], errors: Record<string, string> = {}) {
  return { status, body: { errorMessages, errors } };
}

/** `2025-01-31T09:15:00.000+0000`, as Jira writes instants. */
export function jiraTime(instant: number): string {
  return new Date(instant).toISOString().replace('Z', '+0000');
}

/** Milliseconds of a Jira timestamp (`+0000` is not an ISO offset for every parser). */
export function jiraInstant(value: string): number {
  return Date.parse(value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
}

export function paragraphs(...texts: string[]) {
  return {
    type: 'doc',
    version: 1,
    content: texts.map((text) => ({ type: 'paragraph', content: [{ type: 'text', text }] })),
  };
}

/** 30 issues in project DEMO, DEMO-30 the most recently updated, all within the last 30 hours. */
export function defaultIssues(user: FakeJiraUserRef, now: number = Date.now()): FakeJiraIssue[] {
  const statuses = ['To Do', 'In Progress', 'Done'];
  return Array.from({ length: 30 }, (_, index) => {
    const updated = now - (29 - index) * 3_600_000;
    return {
      id: String(10_000 + index),
      key: `DEMO-${index + 1}`,
      summary: `Demo issue ${index + 1}`,
      status: statuses[index % statuses.length] as string,
      updated: jiraTime(updated),
      created: jiraTime(updated - 86_400_000),
      issueType: index % 4 === 0 ? 'Bug' : 'Task',
      description: paragraphs(`Steps for demo issue ${index + 1}.`, 'Expected: it works.'),
      assignee: index % 3 === 0 ? null : user,
      reporter: user,
      priority: 'Medium',
      labels: index % 2 === 0 ? ['backend'] : [],
    };
  });
}

export function subjectOf(issue: FakeJiraIssue): JqlSubject {
  const updated = jiraInstant(issue.updated);
  return {
    key: issue.key,
    project: issue.key.split('-')[0] as string,
    status: issue.status,
    issueType: issue.issueType ?? 'Task',
    assignee: issue.assignee?.accountId ?? null,
    reporter: issue.reporter?.accountId ?? null,
    created: issue.created ? jiraInstant(issue.created) : updated - 86_400_000,
    updated,
    summary: issue.summary,
    text: `${issue.summary}\n${adfToText(issue.description) ?? ''}`,
  };
}

function userBody(user: FakeJiraUserRef | null | undefined) {
  if (!user) return null;
  return { accountId: user.accountId, displayName: user.displayName, active: true, accountType: 'atlassian' };
}

/** Every field the fake knows, as Jira's v3 API renders it. */
function allFields(issue: FakeJiraIssue): Record<string, unknown> {
  const updated = jiraInstant(issue.updated);
  return {
    summary: issue.summary,
    status: { name: issue.status, id: String(issue.status.length) },
    updated: issue.updated,
    created: issue.created ?? jiraTime(updated - 86_400_000),
    issuetype: { name: issue.issueType ?? 'Task' },
    project: { key: issue.key.split('-')[0] },
    description: issue.description ?? null,
    assignee: userBody(issue.assignee),
    reporter: userBody(issue.reporter),
    priority: { name: issue.priority ?? 'Medium' },
    labels: issue.labels ?? [],
  };
}

/**
 * An issue as the v3 API answers it, with the `fields` asked for (`*all` / `*navigable`: every one; unknown
 * field ids are left out, as Jira does).
 */
export function issueBody(
  site: FakeAtlassianSite,
  issue: FakeJiraIssue,
  fields: string[],
): Record<string, unknown> {
  const all = allFields(issue);
  const every = fields.includes('*all') || fields.includes('*navigable');
  const picked = Object.fromEntries(Object.entries(all).filter(([name]) => every || fields.includes(name)));
  const self = `https://api.atlassian.com/ex/jira/${site.id}/rest/api/3/issue/${issue.id}`;
  return { id: issue.id, key: issue.key, self, fields: picked };
}

function isAdfNode(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const node = value as { type?: unknown; text?: unknown; content?: unknown };
  if (typeof node.type !== 'string') return false;
  if (node.type === 'text' && (typeof node.text !== 'string' || node.text === '')) return false;
  return node.content === undefined || (Array.isArray(node.content) && node.content.every(isAdfNode));
}

/** Jira v3 takes rich text only as an ADF document: `{ type: 'doc', version: 1, content: [...] }`. */
export function isAdfDocument(value: unknown): boolean {
  const doc = value as { type?: unknown; version?: unknown; content?: unknown } | null;
  return (
    doc?.type === 'doc' && doc.version === 1 && Array.isArray(doc.content) && doc.content.every(isAdfNode)
  );
}
