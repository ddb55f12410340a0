import { type AtlassianConfig, atlassianRequest } from '@cfm/atlassian-common';
import type { ActionContext } from '@cfm/connector-sdk';
import { defineAction, Type } from '@cfm/connector-sdk';
import { cursorOfNextLink, webLink, wikiBase } from '../confluence-links.js';

const DEFAULT_LIMIT = 25;
const nullableString = Type.Union([Type.String(), Type.Null()]);

interface SearchResult {
  content?: {
    id?: string | number;
    type?: string;
    title?: string;
    space?: { key?: string };
    _links?: { webui?: string };
  };
  title?: string;
  url?: string;
  lastModified?: string;
  resultGlobalContainer?: { displayUrl?: string };
}

interface SearchBody {
  results?: SearchResult[];
  _links?: { base?: string; next?: string };
}

const input = Type.Object(
  {
    cql: Type.String({
      minLength: 1,
      maxLength: 10_000,
      description:
        'A CQL query, e.g. `type = page AND space = DOCS AND text ~ "onboarding"`. Results that are not pages ' +
        '(blog posts, attachments) are left out, so add `type = page` for full pages of results.',
    }),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_LIMIT, description: 'Results per page.' }),
    ),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 4096, description: 'The `next_cursor` of the previous page.' }),
    ),
  },
  { additionalProperties: false },
);

const output = Type.Object({
  pages: Type.Array(
    Type.Object({
      id: Type.String(),
      title: Type.String(),
      space_key: nullableString,
      url: nullableString,
      last_modified: nullableString,
    }),
  ),
  next_cursor: Type.Optional(Type.String({ description: 'Present only when there are more results.' })),
});

function spaceKeyOf(result: SearchResult): string | null {
  const key = result.content?.space?.key;
  if (typeof key === 'string') return key;
  // Without the space expanded, the container link names it: `/spaces/KEY`.
  const match = /^\/spaces\/([^/?#]+)/.exec(result.resultGlobalContainer?.displayUrl ?? '');
  return match ? decodeURIComponent(match[1] as string) : null;
}

/** `search_pages`: one page of CQL search results that are Confluence pages. */
export const searchPages = defineAction({
  description:
    'Search Confluence with CQL and return one page of matching pages: id, title, space key, link and last ' +
    'modification. Pass `next_cursor` back as `cursor` for the next page.',
  input,
  output,
  async run(ctx: ActionContext<AtlassianConfig>, params) {
    const response = await atlassianRequest<SearchBody>(
      ctx.api,
      {
        url: 'wiki/rest/api/search',
        query: {
          cql: params.cql,
          limit: params.limit ?? DEFAULT_LIMIT,
          expand: 'content.space',
          ...(params.cursor !== undefined && { cursor: params.cursor }),
        },
      },
      { operation: 'Confluence search' },
    );
    const base = wikiBase(response.body._links?.base, ctx.metadata);
    const results = Array.isArray(response.body.results) ? response.body.results : [];
    const pages = results
      .filter((result) => result.content?.type === 'page' && result.content.id !== undefined)
      .map((result) => ({
        id: String(result.content?.id),
        title: result.content?.title ?? result.title ?? '',
        space_key: spaceKeyOf(result),
        url: webLink(base, result.url ?? result.content?._links?.webui),
        last_modified: result.lastModified ?? null,
      }));
    const next = cursorOfNextLink(response.body._links?.next);
    return { pages, ...(next !== undefined && { next_cursor: next }) };
  },
});
