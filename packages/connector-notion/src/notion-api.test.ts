import { connectorErrorOf, lastRequestTo, rejectionOf } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector, { NOTION_VERSION } from './index.js';
import { notionFlow } from './test/notion-flow.js';
import { type FakeNotion, startFakeNotion } from './testing/index.js';

describe('notion API calls', () => {
  let fake: FakeNotion;
  beforeAll(async () => {
    fake = await startFakeNotion();
  });
  afterAll(() => fake.close());

  it('check() reads users/me with Notion-Version and names the bot and workspace', async () => {
    const flow = notionFlow(fake);
    const result = await connector.check(flow.context(await flow.connect()));
    const request = lastRequestTo(fake, '/v1/users/me');
    expect(request.headers['notion-version']).toBe(NOTION_VERSION);
    expect(request.headers['authorization']).toBe('Bearer [redacted]');
    expect(result.identity).toEqual({
      accountId: fake.botId,
      displayName: 'Fake Integration',
      email: fake.owner.email,
      workspace: fake.workspace.name,
    });
    expect(result.metadata).toMatchObject({ botId: fake.botId, workspaceId: fake.workspace.id });
  });

  it('check() maps the {object:"error", code:"unauthorized"} 401 to reason auth', async () => {
    const flow = notionFlow(fake);
    const tokens = await flow.connect();
    const bogus = { credentials: { ...tokens.credentials, accessToken: 'secret_not-a-real-token' } };
    const error = await connectorErrorOf(connector.check(flow.context(bogus)));
    expect(error).toMatchObject({ reason: 'auth', status: 401, providerCode: 'unauthorized' });
    expect(error.message).not.toContain('secret_not-a-real-token');
  });

  it('fetchSample() searches with page_size = limit and reads titles of pages and databases', async () => {
    const flow = notionFlow(fake);
    const sample = await connector.fetchSample?.(flow.context(await flow.connect()), { limit: 2 });
    const request = lastRequestTo(fake, '/v1/search');
    expect(request.method).toBe('POST');
    expect(request.body).toEqual({ page_size: 2 });
    expect(sample?.kind).toBe('pages');
    expect(sample?.items).toEqual([
      expect.objectContaining({
        object: 'page',
        title: 'Roadmap',
        lastEditedTime: '2025-01-10T09:00:00.000Z',
      }),
      expect.objectContaining({
        object: 'database',
        title: 'Tasks',
        lastEditedTime: '2025-01-09T09:00:00.000Z',
      }),
    ]);
    const capped = await connector.fetchSample?.(flow.context(await flow.connect()), { limit: 500 });
    expect(lastRequestTo(fake, '/v1/search').body).toEqual({ page_size: 100 });
    expect(capped?.items).toHaveLength(4);
  });

  it('waits out a 429 Retry-After and then succeeds', async () => {
    const flow = notionFlow(fake);
    const context = flow.context(await flow.connect(), { retries: 2 });
    fake.rateLimitNext(1, { 'Retry-After': '0' });
    const result = await connector.check(context);
    expect(result.identity.accountId).toBe(fake.botId);
  });

  it('reports a 429 it cannot wait out as rate_limited with the delay Notion asked for', async () => {
    const flow = notionFlow(fake);
    const context = flow.context(await flow.connect(), { retries: 2, maxRetryDelayMs: 1000 });
    fake.rateLimitNext(3, { 'Retry-After': '120' });
    try {
      const error = await rejectionOf(connector.fetchSample?.(context, { limit: 1 }) ?? Promise.resolve());
      expect(error).toMatchObject({
        reason: 'rate_limited',
        status: 429,
        retryAfterMs: 120_000,
        retryable: true,
      });
    } finally {
      fake.rateLimitNext(0);
    }
  });

  it('reports a 429 from the token endpoint as rate_limited', async () => {
    const { oauth, connect } = notionFlow(fake);
    const tokens = await connect();
    fake.rateLimitNext(1, { 'Retry-After': '5' });
    try {
      const error = await rejectionOf(oauth.refresh({ credentials: tokens.credentials }));
      expect(error).toMatchObject({ reason: 'rate_limited', retryAfterMs: 5000 });
    } finally {
      fake.rateLimitNext(0);
    }
  });
});
