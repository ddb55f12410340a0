import { connectorErrorOf, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confluenceActionContext } from '../test/confluence-action-context.js';
import { type FakeConfluence, startFakeConfluence } from '../testing/index.js';
import { getPage } from './get-page.js';

describe('confluence action get_page against the fake Confluence', () => {
  let fake: FakeConfluence;

  beforeAll(async () => {
    fake = await startFakeConfluence();
  });
  afterAll(async () => {
    fake.rateLimitNext(0);
    await fake.close();
  });

  it('reads the page with its storage body, version and link from the v2 API', async () => {
    const page = fake.contents[4]!;
    const output = await getPage.run(confluenceActionContext(fake), { page_id: page.id });
    expect(output).toEqual({
      id: page.id,
      title: 'Page 5',
      space_id: page.spaceId,
      version: page.version,
      body_storage: '<p>Content of item 5.</p>',
      url: `https://acme.atlassian.net/wiki/spaces/SP2/pages/${page.id}/Page+5`,
    });
    const request = lastRequestTo(fake, `/ex/confluence/${fake.sites[0]!.id}/wiki/api/v2/pages/${page.id}`);
    expect(request.query['body-format']).toBe('storage');
  });

  it('reports a page Confluence does not know (404), or a blog post id, as a config error naming it', async () => {
    const blog = fake.contents.find((content) => content.type === 'blogpost')!;
    for (const pageId of ['999999', blog.id]) {
      const error = await connectorErrorOf(getPage.run(confluenceActionContext(fake), { page_id: pageId }));
      expect(error).toMatchObject({ reason: 'config', status: 404 });
      expect(error.message).toContain(`Confluence page "${pageId}" does not exist`);
    }
  });

  it('maps an id Confluence refuses (400 INVALID_REQUEST_PARAMETER) to reason "config"', async () => {
    const error = await connectorErrorOf(getPage.run(confluenceActionContext(fake), { page_id: 'abc' }));
    expect(error).toMatchObject({ reason: 'config', status: 400 });
    expect(error.message).toContain('is not the correct type');
  });

  it('reports an expired token as reason "auth"', async () => {
    const context = confluenceActionContext(fake);
    fake.expireAccessTokens();
    const error = await connectorErrorOf(getPage.run(context, { page_id: fake.contents[0]!.id }));
    expect(error).toMatchObject({ reason: 'auth', status: 401 });
  });

  it('waits out a short Retry-After, and reports a long one as rate_limited with retryAfterMs', async () => {
    const id = fake.contents[0]!.id;
    fake.rateLimitNext(1, { 'Retry-After': '1' });
    expect((await getPage.run(confluenceActionContext(fake, { retries: 1 }), { page_id: id })).id).toBe(id);
    fake.rateLimitNext(2, { 'Retry-After': '600' });
    const error = await connectorErrorOf(
      getPage.run(confluenceActionContext(fake, { retries: 1 }), { page_id: id }),
    );
    expect(error).toMatchObject({ reason: 'rate_limited', retryAfterMs: 600_000 });
    fake.rateLimitNext(0);
  });
});
