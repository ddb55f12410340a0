import type { ActionContext } from '@cfm/connector-sdk';
import { connectorErrorOf, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector, { NOTION_VERSION } from './index.js';
import { getPage, search } from './notion-actions.js';
import { notionFlow } from './test/notion-flow.js';
import { type FakeNotion, type FakeNotionPage, startFakeNotion } from './testing/index.js';

const PAGES: FakeNotionPage[] = [
  {
    object: 'page',
    id: '0b5e1e7a-1111-4c1d-8a2b-000000000001',
    title: 'Q3 roadmap',
    last_edited_time: '2025-03-03T10:00:00.000Z',
  },
  {
    object: 'database',
    id: '0b5e1e7a-1111-4c1d-8a2b-000000000002',
    title: 'Roadmap items',
    last_edited_time: '2025-03-02T10:00:00.000Z',
  },
  {
    object: 'page',
    id: '0b5e1e7a-1111-4c1d-8a2b-000000000003',
    title: 'Retro notes',
    last_edited_time: '2025-03-01T10:00:00.000Z',
  },
];
const [roadmap, roadmapItems, retro] = PAGES as [FakeNotionPage, FakeNotionPage, FakeNotionPage];

it('declares its actions under their snake_case names, both read-only', () => {
  expect(connector.actions).toEqual({ search, get_page: getPage });
  expect([search.readOnly, getPage.readOnly]).toEqual([true, true]);
});

describe('notion actions against the fake Notion', () => {
  let fake: FakeNotion;
  beforeAll(async () => {
    fake = await startFakeNotion({ pages: PAGES });
  });
  afterAll(() => fake.close());

  async function connected(): Promise<ActionContext> {
    const flow = notionFlow(fake);
    return flow.actionContext(await flow.connect());
  }

  describe('search', () => {
    it('posts to /v1/search with Notion-Version and the token, and maps pages and databases', async () => {
      const output = await search.run(await connected(), {});
      const request = lastRequestTo(fake, '/v1/search');
      expect(request.method).toBe('POST');
      expect(request.headers['notion-version']).toBe(NOTION_VERSION);
      expect(request.headers['authorization']).toBe('Bearer [redacted]');
      expect(request.body).toEqual({ page_size: 100 });
      expect(output).toEqual({
        results: PAGES.map((page) => ({
          id: page.id,
          object: page.object,
          title: page.title,
          url: `https://www.notion.so/${page.id.replaceAll('-', '')}`,
          last_edited_time: page.last_edited_time,
        })),
      });
    });

    it('sends query and filter_type as Notion names them', async () => {
      const ctx = await connected();
      const pagesOnly = await search.run(ctx, { query: 'ROADMAP', filter_type: 'page' });
      expect(lastRequestTo(fake, '/v1/search').body).toEqual({
        query: 'ROADMAP',
        filter: { property: 'object', value: 'page' },
        page_size: 100,
      });
      expect(pagesOnly.results.map((result) => result.title)).toEqual([roadmap.title]);
      const databases = await search.run(ctx, { filter_type: 'database' });
      expect(databases.results.map((result) => result.id)).toEqual([roadmapItems.id]);
    });

    it("pages with limit and Notion's next_cursor, which the last page does not have", async () => {
      const ctx = await connected();
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await search.run(ctx, { limit: 2, ...(cursor !== undefined && { cursor }) });
        const sent = lastRequestTo(fake, '/v1/search').body as Record<string, unknown>;
        expect(sent['page_size']).toBe(2);
        expect(sent['start_cursor']).toBe(cursor);
        seen.push(...page.results.map((result) => result.id));
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor !== undefined && pages < 5);
      expect(pages).toBe(2);
      expect(seen).toEqual(PAGES.map((page) => page.id));
    });

    it('maps an invalid cursor (400 validation_error) to reason config', async () => {
      const error = await connectorErrorOf(search.run(await connected(), { cursor: 'not-a-cursor' }));
      expect(error).toMatchObject({ reason: 'config', status: 400, providerCode: 'validation_error' });
    });
  });

  describe('get_page', () => {
    it('reads /v1/pages/{id} and returns title, url, the raw properties and last_edited_time', async () => {
      const compact = retro.id.replaceAll('-', '');
      const output = await getPage.run(await connected(), { page_id: compact });
      const request = lastRequestTo(fake, `/v1/pages/${compact}`);
      expect(request.method).toBe('GET');
      expect(request.headers['notion-version']).toBe(NOTION_VERSION);
      expect(output).toMatchObject({
        id: retro.id,
        title: retro.title,
        url: `https://www.notion.so/${compact}`,
        last_edited_time: retro.last_edited_time,
      });
      expect(output.properties['Name']).toMatchObject({
        type: 'title',
        title: [{ plain_text: retro.title }],
      });
      expect(output.properties['Status']).toMatchObject({ type: 'select', select: { name: 'Active' } });
    });

    it('maps object_not_found (404) and a database id (400 validation_error) to reason config', async () => {
      const ctx = await connected();
      const missing = await connectorErrorOf(
        getPage.run(ctx, { page_id: '0b5e1e7a-1111-4c1d-8a2b-0000000000ff' }),
      );
      expect(missing).toMatchObject({ reason: 'config', status: 404, providerCode: 'object_not_found' });
      const database = await connectorErrorOf(getPage.run(ctx, { page_id: roadmapItems.id }));
      expect(database).toMatchObject({ reason: 'config', status: 400, providerCode: 'validation_error' });
    });
  });

  describe('failures every action shares', () => {
    it('maps 401 unauthorized to reason auth, never echoing the token', async () => {
      const flow = notionFlow(fake);
      const tokens = await flow.connect();
      const bogus = 'secret_notion-token-that-is-not-valid';
      const ctx = flow.actionContext({ credentials: { ...tokens.credentials, accessToken: bogus } });
      for (const run of [() => search.run(ctx, {}), () => getPage.run(ctx, { page_id: roadmap.id })]) {
        const error = await connectorErrorOf(run());
        expect(error).toMatchObject({ reason: 'auth', status: 401, providerCode: 'unauthorized' });
        expect(error.message).not.toContain(bogus);
      }
    });

    it('maps 429 rate_limited to reason rate_limited with the Retry-After Notion sent', async () => {
      const ctx = await connected();
      fake.rateLimitNext(1, { 'Retry-After': '7' });
      try {
        const error = await connectorErrorOf(getPage.run(ctx, { page_id: roadmap.id }));
        expect(error).toMatchObject({
          reason: 'rate_limited',
          status: 429,
          providerCode: 'rate_limited',
          retryAfterMs: 7000,
          retryable: true,
        });
      } finally {
        fake.rateLimitNext(0);
      }
    });
  });
});
