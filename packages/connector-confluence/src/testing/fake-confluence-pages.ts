import {
  decodeFakeCursor,
  encodeFakeCursor,
  type FakeAtlassianSite,
  pageSizeOf,
  requireSite,
  siteOf,
} from '@cfm/atlassian-common/testing';
import type { FakeResponse, FakeRouteHandler, FakeRouteRequest } from '@cfm/connector-sdk/testing/fakes';
import { type CqlSubject, parseCql, runCql } from './fake-cql.js';

/** A page or blog post of the fake Confluence. */
export interface FakeConfluenceContent {
  id: string;
  type: 'page' | 'blogpost';
  title: string;
  spaceId: string;
  spaceKey: string;
  /** Storage format (XHTML). */
  body: string;
  version: number;
  /** ISO-8601. */
  createdAt: string;
  lastModified: string;
}

export interface FakeConfluencePagesState {
  sites: FakeAtlassianSite[];
  contents: FakeConfluenceContent[];
  authorId: string;
}

/** 36 items over spaces SP1–SP3, every sixth a blog post; the lower the id, the more recently modified. */
export function defaultContents(now: number = Date.now()): FakeConfluenceContent[] {
  return Array.from({ length: 36 }, (_, index) => {
    const blog = index % 6 === 5;
    const modified = now - index * 3_600_000;
    return {
      id: String(200_000 + index),
      type: blog ? 'blogpost' : 'page',
      title: blog ? `Blog post ${index + 1}` : `Page ${index + 1}`,
      spaceId: String(98_000 + (index % 3)),
      spaceKey: `SP${(index % 3) + 1}`,
      body: `<p>Content of item ${index + 1}.</p>`,
      version: 1 + (index % 4),
      createdAt: new Date(modified - 7 * 86_400_000).toISOString(),
      lastModified: new Date(modified).toISOString(),
    };
  });
}

function subjectOf(content: FakeConfluenceContent): CqlSubject {
  return {
    id: content.id,
    type: content.type,
    spaceKey: content.spaceKey,
    title: content.title,
    text: content.body.replace(/<[^>]+>/g, ' '),
    lastModified: Date.parse(content.lastModified),
    created: Date.parse(content.createdAt),
  };
}

function slug(title: string): string {
  return encodeURIComponent(title.replace(/ /g, '+')).replace(/%2B/g, '+');
}

/** The web UI path, relative to `<site>/wiki`, as Confluence links it. */
function webui(content: FakeConfluenceContent): string {
  if (content.type === 'page')
    return `/spaces/${content.spaceKey}/pages/${content.id}/${slug(content.title)}`;
  const day = content.createdAt.slice(0, 10).replace(/-/g, '/');
  return `/spaces/${content.spaceKey}/blog/${day}/${content.id}/${slug(content.title)}`;
}

/** Confluence's v1 error shape (`BadRequestException` messages included). */
function v1Error(status: number, message: string): FakeResponse {
  return {
    status,
    body: {
      statusCode: status,
      data: { authorized: true, valid: false, allowedInReadOnlyMode: true, errors: [], successful: false },
      message: `com.atlassian.confluence.api.service.exceptions.BadRequestException: ${message}`,
    },
  };
}

/** Confluence's v2 error shape. */
function v2Error(status: number, code: string, title: string): FakeResponse {
  return { status, body: { errors: [{ status, code, title, detail: null }] } };
}

function siteFor(
  state: FakeConfluencePagesState,
  request: FakeRouteRequest,
): FakeAtlassianSite | FakeResponse {
  return requireSite(state.sites, request) ?? (siteOf(state.sites, request) as FakeAtlassianSite);
}

/**
 * `GET /wiki/rest/api/search?cql=…&limit=…&cursor=…`: v1 search results (`content`, `url`, `lastModified`,
 * `resultGlobalContainer`; `content.space` with `expand=content.space`), paged by a cursor in `_links.next`.
 */
export function searchRoute(state: FakeConfluencePagesState): FakeRouteHandler {
  return (request, helpers) => {
    helpers.requireToken();
    const site = siteFor(state, request);
    if (!('id' in site)) return site;
    const cql = request.query['cql'];
    if (cql === undefined || cql.trim() === '') return v1Error(400, 'cql query parameter is required');
    const query = parseCql(cql);
    if (!query) return v1Error(400, `Could not parse cql : ${cql}`);
    const limit = pageSizeOf(request.query['limit'], 25, 100);
    const cursor = request.query['cursor'];
    const offset = cursor === undefined ? 0 : decodeFakeCursor(cursor);
    if (offset === undefined) return v1Error(400, 'Invalid cursor');
    const matched = runCql(query, state.contents, subjectOf);
    const page = matched.slice(offset, offset + limit);
    const withSpace = (request.query['expand'] ?? '').split(',').includes('content.space');
    const results = page.map((content) => ({
      content: {
        id: content.id,
        type: content.type,
        status: 'current',
        title: content.title,
        ...(withSpace && {
          space: {
            id: Number(content.spaceId),
            key: content.spaceKey,
            name: `Space ${content.spaceKey.slice(2)}`,
          },
        }),
        _links: { webui: webui(content), self: `${site.url}/wiki/rest/api/content/${content.id}` },
        _expandable: withSpace ? {} : { space: `/rest/api/space/${content.spaceKey}` },
      },
      title: content.title,
      excerpt: content.body.replace(/<[^>]+>/g, ''),
      url: webui(content),
      resultGlobalContainer: {
        title: `Space ${content.spaceKey.slice(2)}`,
        displayUrl: `/spaces/${content.spaceKey}`,
      },
      breadcrumbs: [],
      entityType: 'content',
      lastModified: content.lastModified,
      friendlyLastModified: 'recently',
      score: 1,
    }));
    const next = offset + page.length;
    const nextLink =
      next < matched.length
        ? `/rest/api/search?next=true&cursor=${encodeFakeCursor(next)}&limit=${limit}&start=${next}&cql=${encodeURIComponent(cql)}`
        : undefined;
    return {
      status: 200,
      body: {
        results,
        start: offset,
        limit,
        size: results.length,
        totalSize: matched.length,
        cqlQuery: cql,
        searchDuration: 12,
        _links: { base: `${site.url}/wiki`, context: '/wiki', ...(nextLink && { next: nextLink }) },
      },
    };
  };
}

/** `GET /wiki/api/v2/pages/:id?body-format=storage`: pages only (a blog post's id is a 404), v2 errors. */
export function getPageRoute(state: FakeConfluencePagesState): FakeRouteHandler {
  return (request, helpers) => {
    helpers.requireToken();
    const site = siteFor(state, request);
    if (!('id' in site)) return site;
    const id = request.params['id'] ?? '';
    if (!/^\d+$/.test(id)) {
      return v2Error(
        400,
        'INVALID_REQUEST_PARAMETER',
        `Provided value {${id}} for 'id' is not the correct type. Expected type is ContentId`,
      );
    }
    const page = state.contents.find((content) => content.id === id && content.type === 'page');
    if (!page) return v2Error(404, 'NOT_FOUND', 'Not Found');
    const format = request.query['body-format'];
    const body = format === 'storage' ? { storage: { representation: 'storage', value: page.body } } : {};
    return {
      status: 200,
      body: {
        id: page.id,
        status: 'current',
        title: page.title,
        spaceId: page.spaceId,
        parentId: null,
        parentType: null,
        position: 0,
        authorId: state.authorId,
        ownerId: state.authorId,
        lastOwnerId: null,
        createdAt: page.createdAt,
        version: {
          createdAt: page.lastModified,
          message: '',
          number: page.version,
          minorEdit: false,
          authorId: state.authorId,
        },
        body,
        _links: {
          webui: webui(page),
          editui: `/pages/resumedraft.action?draftId=${page.id}`,
          tinyui: `/x/${page.id}`,
          base: `${site.url}/wiki`,
        },
      },
    };
  };
}
