import { connectorErrorOf, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confluenceActionContext } from '../test/confluence-action-context.js';
import { type FakeConfluence, fakeSite, startFakeConfluence } from '../testing/index.js';
import { searchPages } from './search-pages.js';

describe('confluence action search_pages against the fake Confluence', () => {
  let fake: FakeConfluence;
  const searchPath = () => `/ex/confluence/${fake.sites[0]!.id}/wiki/rest/api/search`;

  beforeAll(async () => {
    fake = await startFakeConfluence();
  });
  afterAll(async () => {
    fake.rateLimitNext(0);
    await fake.close();
  });

  it('returns matching pages with space key, link and last modification', async () => {
    const output = await searchPages.run(confluenceActionContext(fake), {
      cql: 'type = page AND space = SP2 ORDER BY lastmodified DESC',
      limit: 3,
    });
    const expected = fake.contents.filter((content) => content.spaceKey === 'SP2' && content.type === 'page');
    expect(output.pages).toEqual(
      expected.slice(0, 3).map((content) => ({
        id: content.id,
        title: content.title,
        space_key: 'SP2',
        url: `https://acme.atlassian.net/wiki/spaces/SP2/pages/${content.id}/${content.title.replace(' ', '+')}`,
        last_modified: content.lastModified,
      })),
    );
    expect(output.next_cursor).toBeTypeOf('string');
    const request = lastRequestTo(fake, searchPath());
    expect(request.query).toMatchObject({ limit: '3', expand: 'content.space' });
    expect(request.query['cursor']).toBeUndefined();
  });

  it("pages with Confluence's cursor from _links.next until the last page, which has none", async () => {
    const context = confluenceActionContext(fake);
    const cql = 'type = page ORDER BY title ASC';
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await searchPages.run(context, {
        cql,
        limit: 14,
        ...(cursor !== undefined && { cursor }),
      });
      seen.push(...page.pages.map((result) => result.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== undefined && pages < 10);
    const allPages = fake.contents.filter((content) => content.type === 'page');
    expect(pages).toBe(Math.ceil(allPages.length / 14));
    expect(new Set(seen)).toEqual(new Set(allPages.map((content) => content.id)));
    expect(lastRequestTo(fake, searchPath()).query['cursor']).toBeTypeOf('string');
  });

  it('leaves out results that are not pages (blog posts)', async () => {
    const output = await searchPages.run(confluenceActionContext(fake), { cql: 'space = SP3', limit: 12 });
    const inSpace = fake.contents.filter((content) => content.spaceKey === 'SP3').slice(0, 12);
    expect(inSpace.some((content) => content.type === 'blogpost')).toBe(true);
    expect(output.pages.map((page) => page.id)).toEqual(
      inSpace.filter((content) => content.type === 'page').map((content) => content.id),
    );
  });

  it('maps CQL Confluence cannot parse (400) to reason "config" with its message', async () => {
    const error = await connectorErrorOf(
      searchPages.run(confluenceActionContext(fake), { cql: 'labelz = "x"' }),
    );
    expect(error).toMatchObject({ reason: 'config', status: 400, retryable: false });
    expect(error.message).toContain('Confluence search was refused (HTTP 400)');
    expect(error.message).toContain('Could not parse cql');
  });

  it('reports a revoked token as reason "auth" without the token in the message', async () => {
    const context = confluenceActionContext(fake);
    const token = context.credentials.type === 'oauth2' ? context.credentials.accessToken : '';
    fake.revokeToken(token);
    const error = await connectorErrorOf(searchPages.run(context, { cql: 'type = page' }));
    expect(error).toMatchObject({ reason: 'auth', status: 401 });
    expect(error.message).not.toContain(token);
  });

  it('reports a site the grant no longer covers (404) as a config error saying so', async () => {
    const context = confluenceActionContext(fake, { site: fakeSite('initech', []) });
    const error = await connectorErrorOf(searchPages.run(context, { cql: 'type = page' }));
    expect(error).toMatchObject({ reason: 'config', status: 404 });
    expect(error.message).toMatch(/site is not covered by this grant/);
  });

  it('surfaces a 429 as reason "rate_limited" with the Retry-After as retryAfterMs', async () => {
    fake.rateLimitNext(1, { 'Retry-After': '45' });
    const error = await connectorErrorOf(
      searchPages.run(confluenceActionContext(fake), { cql: 'type = page' }),
    );
    expect(error).toMatchObject({
      reason: 'rate_limited',
      status: 429,
      retryable: true,
      retryAfterMs: 45_000,
    });
  });
});
