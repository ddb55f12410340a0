import { type AtlassianConfig, atlassianRequest } from '@cfm/atlassian-common';
import type { ActionContext } from '@cfm/connector-sdk';
import { defineAction, Type } from '@cfm/connector-sdk';
import { webLink, wikiBase } from '../confluence-links.js';

interface PageBody {
  id?: string | number;
  title?: string;
  spaceId?: string | number;
  version?: { number?: number };
  body?: { storage?: { value?: string } };
  _links?: { webui?: string; base?: string };
}

const nullableString = Type.Union([Type.String(), Type.Null()]);

const input = Type.Object(
  {
    page_id: Type.String({
      // Confluence ids are numeric; anything path-like is refused before a request is made.
      pattern: '^[A-Za-z0-9_-]{1,64}$',
      description: 'The page id (`123456`), as `search_pages` returns it.',
    }),
  },
  { additionalProperties: false },
);

const output = Type.Object({
  id: Type.String(),
  title: Type.String(),
  space_id: nullableString,
  version: Type.Union([Type.Integer(), Type.Null()]),
  body_storage: Type.String({ description: 'The body in Confluence storage format (XHTML).' }),
  url: nullableString,
});

/** `get_page`: one page with its storage-format body, from the v2 API. */
export const getPage = defineAction({
  description:
    'Read one Confluence page by id: title, space id, version number, body in storage format (XHTML) and link.',
  input,
  output,
  async run(ctx: ActionContext<AtlassianConfig>, params) {
    const response = await atlassianRequest<PageBody>(
      ctx.api,
      { url: `wiki/api/v2/pages/${encodeURIComponent(params.page_id)}`, query: { 'body-format': 'storage' } },
      {
        operation: 'Confluence page read',
        notFound: `Confluence page "${params.page_id}" does not exist, is not a page, or this account cannot see it`,
      },
    );
    const page = response.body;
    const version = page.version?.number;
    return {
      id: String(page.id ?? params.page_id),
      title: page.title ?? '',
      space_id: page.spaceId === undefined || page.spaceId === null ? null : String(page.spaceId),
      version: typeof version === 'number' && Number.isInteger(version) ? version : null,
      body_storage: page.body?.storage?.value ?? '',
      url: webLink(wikiBase(page._links?.base, ctx.metadata), page._links?.webui),
    };
  },
});
