import { randomUUID } from 'node:crypto';
import type { FakeResponse, FakeRouteRequest } from '@cfm/connector-sdk/testing/fakes';
import type { FakeNotionPage } from './fake-notion.js';

/** Notion's API error body: `{ object: "error", status, code, message }` (plus a `request_id`). */
export function notionError(status: number, code: string, message: string): FakeResponse {
  return { status, body: { object: 'error', status, code, message, request_id: randomUUID() } };
}

function validationError(message: string): FakeResponse {
  return notionError(400, 'validation_error', message);
}

function richText(content: string) {
  return [{ type: 'text', text: { content, link: null }, plain_text: content, href: null }];
}

/** Notion takes ids with or without dashes and answers them dashed. */
function compactId(id: string): string {
  return id.replaceAll('-', '').toLowerCase();
}

const UUID = /^[0-9a-f]{32}$/;

/** A page or database as the API returns it: databases carry `title`, pages a `title` property. */
function notionObject(page: FakeNotionPage, botId: string) {
  const common = {
    object: page.object,
    id: page.id,
    created_time: '2024-12-01T09:00:00.000Z',
    last_edited_time: page.last_edited_time,
    created_by: { object: 'user', id: botId },
    last_edited_by: { object: 'user', id: botId },
    cover: null,
    icon: null,
    parent: { type: 'workspace', workspace: true },
    archived: false,
    url: `https://www.notion.so/${compactId(page.id)}`,
  };
  if (page.object === 'database') return { ...common, title: richText(page.title), properties: {} };
  return {
    ...common,
    properties: {
      Status: { id: 'aBcD', type: 'select', select: { id: 'sel-1', name: 'Active', color: 'green' } },
      Name: { id: 'title', type: 'title', title: richText(page.title) },
    },
    public_url: null,
  };
}

function bodyOf(request: FakeRouteRequest): Record<string, unknown> {
  return typeof request.body === 'object' && request.body !== null && !Array.isArray(request.body)
    ? (request.body as Record<string, unknown>)
    : {};
}

/** The fake's `POST /v1/search` and `GET /v1/pages/{id}`, with Notion's validation and error shapes. */
export function notionApiRoutes(pages: readonly FakeNotionPage[], botId: string) {
  function search(request: FakeRouteRequest): FakeResponse {
    const body = bodyOf(request);
    const pageSize = body['page_size'] ?? 100;
    if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      return validationError('body.page_size should be an integer between 1 and 100.');
    }
    const query = body['query'];
    if (query !== undefined && typeof query !== 'string') {
      return validationError(`body.query should be a string, instead was \`${JSON.stringify(query)}\`.`);
    }
    const filter = body['filter'];
    let only: string | undefined;
    if (filter !== undefined) {
      const { property, value } = (typeof filter === 'object' && filter !== null ? filter : {}) as Record<
        string,
        unknown
      >;
      if (property !== 'object' || (value !== 'page' && value !== 'database')) {
        return validationError(
          'body.filter.value should be `"page"` or `"database"`, and body.filter.property should be `"object"`.',
        );
      }
      only = value;
    }
    const matching = pages.filter(
      (page) =>
        (only === undefined || page.object === only) &&
        (query === undefined || page.title.toLowerCase().includes(query.toLowerCase())),
    );
    let start = 0;
    const cursor = body['start_cursor'];
    if (cursor !== undefined) {
      // Notion's cursors are the id of the first result of the next page.
      start = matching.findIndex((page) => typeof cursor === 'string' && page.id === cursor);
      if (start < 0) return validationError(`start_cursor provided is invalid: ${String(cursor)}`);
    }
    const following = matching[start + pageSize];
    return {
      status: 200,
      body: {
        object: 'list',
        results: matching.slice(start, start + pageSize).map((page) => notionObject(page, botId)),
        next_cursor: following ? following.id : null,
        has_more: following !== undefined,
        type: 'page_or_database',
        page_or_database: {},
        request_id: randomUUID(),
      },
    };
  }

  function retrievePage(request: FakeRouteRequest): FakeResponse {
    const requested = request.params['page_id'] ?? '';
    if (!UUID.test(compactId(requested))) {
      return validationError(
        `path failed validation: path.page_id should be a valid uuid, instead was \`"${requested}"\`.`,
      );
    }
    const found = pages.find((page) => compactId(page.id) === compactId(requested));
    if (found?.object === 'database') {
      return validationError(
        `Provided ID ${found.id} is a database, not a page. Use the retrieve database API instead, \`/v1/databases/${found.id}\`.`,
      );
    }
    if (!found) {
      return notionError(
        404,
        'object_not_found',
        `Could not find page with ID: ${requested}. Make sure the relevant pages and databases are shared with your integration.`,
      );
    }
    return { status: 200, body: { ...notionObject(found, botId), request_id: randomUUID() } };
  }

  return { search, retrievePage };
}
