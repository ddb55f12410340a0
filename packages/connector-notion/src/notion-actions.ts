import { ConnectorError, defineAction, Type } from '@cfm/connector-sdk';
import { notionAction } from './notion-api.js';
import { type NotionObject, type NotionSearchBody, titleOf } from './notion-objects.js';

const NOTION_ID = '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$';

const nullableTitle = Type.Union([Type.String(), Type.Null()], {
  description: 'Plain-text title; null when untitled',
});

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string') {
    throw new ConnectorError(`Notion answered ${what} without it`, { reason: 'provider' });
  }
  return value;
}

/** `POST /v1/search`: what the integration can see, by title, a page at a time. */
export const search = defineAction({
  description:
    'Search the Notion pages and databases shared with the integration by title. Pass next_cursor back as ' +
    'cursor for the next page; it is absent on the last one.',
  input: Type.Object(
    {
      query: Type.Optional(
        Type.String({ maxLength: 2000, description: 'Text to find in titles; all when absent' }),
      ),
      filter_type: Type.Optional(
        Type.Union([Type.Literal('page'), Type.Literal('database')], {
          description: 'Only pages, or only databases',
        }),
      ),
      limit: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 100, description: 'Results per page (default 100)' }),
      ),
      cursor: Type.Optional(Type.String({ minLength: 1, description: 'next_cursor of the previous page' })),
    },
    { additionalProperties: false },
  ),
  output: Type.Object({
    results: Type.Array(
      Type.Object({
        id: Type.String(),
        object: Type.Union([Type.Literal('page'), Type.Literal('database')]),
        title: nullableTitle,
        url: Type.String(),
        last_edited_time: Type.String({ description: 'ISO-8601 instant' }),
      }),
    ),
    next_cursor: Type.Optional(Type.String({ description: 'Present when there are more results' })),
  }),
  async run(ctx, input) {
    const body = await notionAction('search', () =>
      ctx.api.post<NotionSearchBody>('/v1/search', {
        json: {
          ...(input.query !== undefined && { query: input.query }),
          ...(input.filter_type !== undefined && {
            filter: { property: 'object', value: input.filter_type },
          }),
          ...(input.cursor !== undefined && { start_cursor: input.cursor }),
          page_size: input.limit ?? 100,
        },
      }),
    );
    if (!Array.isArray(body.results)) {
      throw new ConnectorError('Notion search answered without results', { reason: 'provider' });
    }
    const results = body.results
      // Other object types may come with later API versions; this output names pages and databases only.
      .filter(
        (result): result is NotionObject & { object: 'page' | 'database' } =>
          result.object === 'page' || result.object === 'database',
      )
      .map((result) => ({
        id: result.id,
        object: result.object,
        title: titleOf(result),
        url: requireString(result.url, 'a search result url'),
        last_edited_time: requireString(result.last_edited_time, 'a search result last_edited_time'),
      }));
    const more = body.has_more === true && typeof body.next_cursor === 'string' && body.next_cursor !== '';
    return { results, ...(more && { next_cursor: body.next_cursor as string }) };
  },
});

/** `GET /v1/pages/{page_id}`: one page's title and properties (not its content blocks). */
export const getPage = defineAction({
  description:
    "Read a Notion page's title, URL and properties (as Notion's property objects; not the page content). " +
    'The page must be shared with the integration.',
  input: Type.Object(
    { page_id: Type.String({ pattern: NOTION_ID, description: 'The page id, with or without dashes' }) },
    { additionalProperties: false },
  ),
  output: Type.Object({
    id: Type.String(),
    title: nullableTitle,
    url: Type.String(),
    properties: Type.Record(Type.String(), Type.Unknown(), {
      description: "Property name → Notion's property value object (type, and the value under that type)",
    }),
    last_edited_time: Type.String({ description: 'ISO-8601 instant' }),
  }),
  async run(ctx, input) {
    const page = await notionAction('pages.retrieve', () =>
      ctx.api.get<NotionObject>(`/v1/pages/${encodeURIComponent(input.page_id)}`),
    );
    if (page.object !== 'page') {
      throw new ConnectorError('Notion answered pages.retrieve without a page', { reason: 'provider' });
    }
    return {
      id: page.id,
      title: titleOf(page),
      url: requireString(page.url, 'the page url'),
      properties: (page.properties ?? {}) as Record<string, unknown>,
      last_edited_time: requireString(page.last_edited_time, 'the page last_edited_time'),
    };
  },
});
