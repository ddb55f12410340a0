import { ConnectorError, createConnectorContext, createOriginRewriter } from '@cfm/connector-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jiraConnector } from './jira-connector.js';
import { type FakeJira, startFakeJira } from './testing/index.js';

describe('jira connector under Atlassian rate limiting', () => {
  let fake: FakeJira;

  beforeAll(async () => {
    fake = await startFakeJira();
  });
  afterAll(async () => {
    fake.rateLimitNext(0);
    await fake.close();
  });

  function context(retries: number) {
    return createConnectorContext<{ site?: string }>(jiraConnector, {
      config: {},
      credentials: fake.issueTokensDirectly().credentials,
      rewriteUrl: createOriginRewriter(new Map(Object.entries(fake.originOverrides))),
      retries,
      maxRetryDelayMs: 2_000,
    });
  }

  async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
    const error = await promise.then(
      () => new Error('expected a rejection'),
      (caught: unknown) => caught,
    );
    if (!ConnectorError.is(error)) throw error;
    return error;
  }

  it('waits out a short Retry-After and then succeeds', async () => {
    const before = fake.requests.length;
    fake.rateLimitNext(1, { 'Retry-After': '1' });
    const result = await jiraConnector.check(context(2));
    expect(result.identity.workspace).toBe('acme');
    // accessible-resources answered 429 once and was asked again.
    const paths = fake.requests.slice(before).map((request) => request.path);
    expect(paths.filter((path) => path === '/oauth/token/accessible-resources')).toHaveLength(2);
  });

  it('surfaces a Retry-After longer than the bound as rate_limited instead of waiting', async () => {
    fake.rateLimitNext(1, { 'Retry-After': '120' });
    const error = await rejection(jiraConnector.check(context(2)));
    expect(error).toMatchObject({
      reason: 'rate_limited',
      status: 429,
      retryable: true,
      retryAfterMs: 120_000,
    });
  });

  it('reads X-RateLimit-Reset (ISO time) when Retry-After is absent', async () => {
    const reset = new Date(Date.now() + 600_000).toISOString();
    fake.rateLimitNext(1, { 'X-RateLimit-Reset': reset });
    const error = await rejection(jiraConnector.fetchSample?.(context(0), { limit: 5 }) ?? Promise.resolve());
    expect(error.reason).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThan(500_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(600_000);
  });

  it('gives up after the bounded number of retries', async () => {
    const before = fake.requests.length;
    fake.rateLimitNext(5, { 'Retry-After': '0' });
    const error = await rejection(jiraConnector.check(context(1)));
    expect(error.reason).toBe('rate_limited');
    expect(fake.requests.length - before).toBe(2);
    fake.rateLimitNext(0);
  });
});

describe('jira connector and a 503 with Retry-After', () => {
  it('waits the Retry-After of a 503 and then succeeds', async () => {
    let unavailable = 1;
    const fake = await startFakeJira({
      routes: {
        'GET /oauth/token/accessible-resources': (_request, helpers) => {
          helpers.requireToken();
          if (unavailable-- > 0)
            return { status: 503, headers: { 'Retry-After': '1' }, body: 'Service Unavailable' };
          return { status: 200, body: fake.sites };
        },
      },
    });
    try {
      const ctx = createConnectorContext<{ site?: string }>(jiraConnector, {
        config: {},
        credentials: fake.issueTokensDirectly().credentials,
        rewriteUrl: createOriginRewriter(fake.rewrite),
        retries: 1,
      });
      expect((await jiraConnector.check(ctx)).identity.workspace).toBe('acme');
      expect(unavailable).toBe(-1);
    } finally {
      await fake.close();
    }
  });
});
