import {
  type FakeAtlassian,
  type FakeAtlassianOptions,
  type FakeAtlassianSite,
  fakeSite,
  requireSite,
  startFakeAtlassian,
} from '@cfm/atlassian-common/testing';
import type { FakeRouteHandler } from '@cfm/connector-sdk/testing/fakes';
import {
  defaultContents,
  type FakeConfluenceContent,
  getPageRoute,
  searchRoute,
} from './fake-confluence-pages.js';

const CONFLUENCE_SITE_SCOPES = [
  'read:confluence-content.all',
  'read:confluence-space.summary',
  'search:confluence',
  'read:confluence-user',
];

/** The `GET /wiki/rest/api/user/current` answer (`email` is empty when the profile hides it). */
export interface FakeConfluenceUser {
  type: string;
  accountId: string;
  accountType: string;
  email: string | null;
  publicName: string;
  displayName: string;
}

export interface FakeConfluenceSpace {
  id: string;
  key: string;
  name: string;
  type: 'global' | 'personal';
  status: 'current' | 'archived';
}

export interface FakeConfluenceOptions extends FakeAtlassianOptions {
  user?: Partial<FakeConfluenceUser>;
  /** Default: 30 global spaces. */
  spaces?: FakeConfluenceSpace[];
  /** Default true; false models a deployment that only has the v1 `GET /wiki/rest/api/space`. */
  v2Spaces?: boolean;
  /** Pages and blog posts for search and `pages/{id}`. Default: 36 over SP1–SP3, every sixth a blog post. */
  contents?: FakeConfluenceContent[];
}

export interface FakeConfluence extends FakeAtlassian {
  readonly user: FakeConfluenceUser;
  readonly spaces: FakeConfluenceSpace[];
  readonly contents: FakeConfluenceContent[];
}

function defaultSpaces(): FakeConfluenceSpace[] {
  return Array.from({ length: 30 }, (_, index) => ({
    id: String(98_000 + index),
    key: `SP${index + 1}`,
    name: `Space ${index + 1}`,
    type: 'global',
    status: 'current',
  }));
}

function limitOf(query: Record<string, string>, max: number): number {
  return Math.max(1, Math.min(max, Number(query['limit'] ?? 25)));
}

/**
 * A fake Confluence Cloud behind a fake Atlassian authorization server: `user/current`, v2 `spaces` (and
 * the v1 `space` list), v1 `search` (a CQL subset, cursor paging in `_links.next`), v2 `pages/{id}` (storage
 * bodies), accessible-resources, with Atlassian's token endpoint quirks and Confluence's v1 and v2 errors.
 *
 * @example
 * ```ts
 * const fake = await startFakeConfluence({ sites: [fakeSite('acme', [])] });
 * const rewriteUrl = createOriginRewriter(fake.rewrite);
 * ```
 */
export async function startFakeConfluence(options: FakeConfluenceOptions = {}): Promise<FakeConfluence> {
  const {
    user: userOverrides,
    spaces: givenSpaces,
    v2Spaces = true,
    contents: givenContents,
    ...rest
  } = options;
  const sites = rest.sites ?? [fakeSite('acme', CONFLUENCE_SITE_SCOPES)];
  const spaces = givenSpaces ?? defaultSpaces();
  const user: FakeConfluenceUser = {
    type: 'known',
    accountId: '5b10a2844c20165700ede21g',
    accountType: 'atlassian',
    email: 'mia.krystof@example.com',
    publicName: 'mia',
    displayName: 'Mia Krystof',
    ...userOverrides,
  };

  const pages = { sites, contents: givenContents ?? defaultContents(), authorId: user.accountId };

  const siteOf = (cloudId: string | undefined) =>
    sites.find((site) => site.id === cloudId) as FakeAtlassianSite;

  const v2: FakeRouteHandler = (request, helpers) => {
    helpers.requireToken();
    const missing = requireSite(sites, request);
    if (missing) return missing;
    if (!v2Spaces)
      return { status: 404, body: { errors: [{ status: 404, code: 'NOT_FOUND', title: 'Not Found' }] } };
    const limit = limitOf(request.query, 250);
    const results = spaces.slice(0, limit).map((space) => ({ ...space, authorId: user.accountId }));
    const next = limit < spaces.length ? `/wiki/api/v2/spaces?cursor=eyJpZCI6MX0&limit=${limit}` : undefined;
    const base = `${siteOf(request.params['cloudId']).url}/wiki`;
    return { status: 200, body: { results, _links: { base, ...(next && { next }) } } };
  };

  const v1: FakeRouteHandler = (request, helpers) => {
    helpers.requireToken();
    const missing = requireSite(sites, request);
    if (missing) return missing;
    const limit = limitOf(request.query, 100);
    const results = spaces.slice(0, limit).map((space) => ({
      id: Number(space.id),
      key: space.key,
      name: space.name,
      type: space.type,
      status: space.status,
      _links: { webui: `/spaces/${space.key}` },
    }));
    const base = `${siteOf(request.params['cloudId']).url}/wiki`;
    return { status: 200, body: { results, start: 0, limit, size: results.length, _links: { base } } };
  };

  const fake = await startFakeAtlassian({
    ...rest,
    sites,
    routes: {
      'GET /ex/confluence/:cloudId/wiki/rest/api/user/current': (request, helpers) => {
        helpers.requireToken();
        const missing = requireSite(sites, request);
        if (missing) return missing;
        const profilePicture = {
          path: `/wiki/aa-avatar/${user.accountId}`,
          width: 48,
          height: 48,
          isDefault: false,
        };
        return {
          status: 200,
          body: { ...user, profilePicture, _links: { base: siteOf(request.params['cloudId']).url } },
        };
      },
      'GET /ex/confluence/:cloudId/wiki/api/v2/spaces': v2,
      'GET /ex/confluence/:cloudId/wiki/rest/api/space': v1,
      'GET /ex/confluence/:cloudId/wiki/rest/api/search': searchRoute(pages),
      'GET /ex/confluence/:cloudId/wiki/api/v2/pages/:id': getPageRoute(pages),
      ...rest.routes,
    },
  });
  return Object.assign(fake, { user, spaces, contents: pages.contents });
}
