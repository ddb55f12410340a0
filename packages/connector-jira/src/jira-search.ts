import { atlassianRequest } from '@cfm/atlassian-common';
import type { HttpClient } from '@cfm/connector-sdk';
import { ConnectorError } from '@cfm/connector-sdk';
import type { JiraIssue } from './jira-issue.js';

/** Cursors of the legacy endpoint carry its offset; the current endpoint's `nextPageToken` passes as it is. */
const LEGACY_CURSOR = /^legacy:(\d{1,9})$/;

export interface SearchParams {
  jql: string;
  limit: number;
  /** Comma-separated field ids. */
  fields: string;
  cursor?: string;
}

export interface SearchPage {
  issues: JiraIssue[];
  /** Present only when Jira says there is more. */
  nextCursor?: string;
}

const OPERATION = 'Jira issue search';

/**
 * One page of `GET /rest/api/3/search/jql` (the enhanced search, paged by `nextPageToken`). A deployment
 * without it answers 404: then the legacy `GET /rest/api/3/search` (paged by `startAt`, same `issues`) is used,
 * and its cursor says so. `urlOf('search/jql')` builds the URL: relative for `ctx.api`, absolute for `ctx.http`.
 */
export async function searchIssuesPage(
  http: HttpClient,
  urlOf: (path: string) => string,
  params: SearchParams,
): Promise<SearchPage> {
  const legacyOffset = params.cursor === undefined ? undefined : LEGACY_CURSOR.exec(params.cursor)?.[1];
  if (legacyOffset !== undefined) return legacySearch(http, urlOf, params, Number(legacyOffset));
  try {
    const response = await atlassianRequest<{
      issues?: JiraIssue[];
      nextPageToken?: string;
      isLast?: boolean;
    }>(
      http,
      {
        url: urlOf('search/jql'),
        query: {
          jql: params.jql,
          maxResults: params.limit,
          fields: params.fields,
          ...(params.cursor !== undefined && { nextPageToken: params.cursor }),
        },
      },
      { operation: OPERATION },
    );
    const { issues, nextPageToken, isLast } = response.body;
    const more = typeof nextPageToken === 'string' && nextPageToken !== '' && isLast !== true;
    return { issues: Array.isArray(issues) ? issues : [], ...(more && { nextCursor: nextPageToken }) };
  } catch (error) {
    // `search/jql` replaced `search` in 2025; a deployment without it answers 404. A page token only the
    // current endpoint issued cannot continue on the legacy one.
    if (!ConnectorError.is(error) || error.status !== 404 || params.cursor !== undefined) throw error;
  }
  return legacySearch(http, urlOf, params, 0);
}

async function legacySearch(
  http: HttpClient,
  urlOf: (path: string) => string,
  params: SearchParams,
  startAt: number,
): Promise<SearchPage> {
  const response = await atlassianRequest<{ issues?: JiraIssue[]; startAt?: number; total?: number }>(
    http,
    {
      url: urlOf('search'),
      query: { jql: params.jql, maxResults: params.limit, fields: params.fields, startAt },
    },
    { operation: OPERATION },
  );
  const issues = Array.isArray(response.body.issues) ? response.body.issues : [];
  const next = startAt + issues.length;
  const total = response.body.total;
  const more = issues.length > 0 && typeof total === 'number' && next < total;
  return { issues, ...(more && { nextCursor: `legacy:${next}` }) };
}
