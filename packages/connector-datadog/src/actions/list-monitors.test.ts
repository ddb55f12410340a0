import { createOriginRewriter } from '@cfm/connector-sdk';
import { connectorErrorOf, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, datadogActionContext } from '../test/datadog-action-context.js';
import { type FakeDatadog, startFakeDatadog } from '../testing/index.js';
import { listMonitors } from './list-monitors.js';

describe('datadog action list_monitors against the fake Datadog', () => {
  let fake: FakeDatadog;
  const oauth = () => datadogActionContext(fake, fake.issueTokensDirectly().credentials);
  const expected = (index: number) => {
    const monitor = fake.monitors[index]!;
    return {
      id: monitor.id,
      name: monitor.name,
      type: monitor.type,
      overall_state: monitor.overall_state,
      tags: monitor.tags ?? [],
    };
  };

  beforeAll(async () => {
    fake = await startFakeDatadog();
  });
  afterAll(async () => {
    fake.rateLimitNext(0);
    await fake.close();
  });

  it('lists a page of monitors with id, name, type, overall state and tags', async () => {
    const before = fake.requests.length;
    const output = await listMonitors.run(oauth(), { limit: 4 });
    expect(output.monitors).toEqual([0, 1, 2, 3].map(expected));
    expect(output.next_cursor).toBeTypeOf('string');
    const calls = fake.requests.slice(before);
    expect(calls.map((request) => [request.path, request.query])).toEqual([
      ['/api/v1/monitor', { page: '0', page_size: '4' }],
      // A full page: one single-item look at the next page's first monitor.
      ['/api/v1/monitor', { page: '4', page_size: '1' }],
    ]);
    expect(calls[0]?.headers['authorization']).toBe('Bearer [redacted]');
  });

  it.each([
    [4, [4, 4, 4, 3]],
    [5, [5, 5, 5]],
  ])('pages by %i with next_cursor, the last page without one (%j)', async (limit, sizes) => {
    const context = oauth();
    const seen: number[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await listMonitors.run(context, { limit, ...(cursor !== undefined && { cursor }) });
      seen.push(...page.monitors.map((monitor) => monitor.id));
      pageSizes.push(page.monitors.length);
      cursor = page.next_cursor;
    } while (cursor !== undefined && pageSizes.length < 10);
    expect(pageSizes).toEqual(sizes);
    expect(seen).toEqual(fake.monitors.map((monitor) => monitor.id));
  });

  it('filters by name and by monitor tags', async () => {
    const byName = await listMonitors.run(oauth(), { name: 'monitor 1', limit: 100 });
    expect(byName.monitors.map((monitor) => monitor.name)).toEqual(
      fake.monitors.filter((monitor) => monitor.name.includes('monitor 1')).map((monitor) => monitor.name),
    );
    expect(byName.next_cursor).toBeUndefined();
    const byTags = await listMonitors.run(oauth(), { tags: ['team:web', 'env:prod'] });
    expect(byTags.monitors.map((monitor) => monitor.id)).toEqual([100_004, 100_010]);
    expect(lastRequestTo(fake, '/api/v1/monitor').query['monitor_tags']).toBe('team:web,env:prod');
  });

  it('sends API keys as DD-API-KEY and DD-APPLICATION-KEY in API-key mode', async () => {
    const output = await listMonitors.run(datadogActionContext(fake, apiKeys(fake)), { limit: 2 });
    expect(output.monitors).toEqual([expected(0), expected(1)]);
    const request = lastRequestTo(fake, '/api/v1/monitor');
    expect(request.headers['dd-api-key']).toBe(fake.apiKey);
    expect(request.headers['dd-application-key']).toBe(fake.applicationKey);
    expect(request.headers['authorization']).toBeUndefined();
  });

  it('calls the site the OAuth token was issued on, even when the config names another', async () => {
    const called: string[] = [];
    const rewrite = createOriginRewriter(fake.rewrite);
    const { credentials } = fake.issueTokensDirectly();
    const context = datadogActionContext(
      fake,
      { ...credentials, extra: { site: 'datadoghq.eu' } },
      {
        site: 'datadoghq.com',
        metadata: { site: 'datadoghq.eu' },
        rewrite: (url) => {
          called.push(url);
          return rewrite(url);
        },
      },
    );
    await listMonitors.run(context, { limit: 1 });
    expect(called[0]).toBe('https://api.datadoghq.eu/api/v1/monitor');
  });

  it('refuses a cursor it did not return as a config error, before calling Datadog', async () => {
    const before = fake.requests.length;
    for (const cursor of ['garbage', Buffer.from('{"p":0,"s":5000}').toString('base64url')]) {
      const error = await connectorErrorOf(listMonitors.run(oauth(), { cursor }));
      expect(error.reason).toBe('config');
    }
    expect(fake.requests.length).toBe(before);
  });

  it('maps a 400 {"errors":[…]} to reason "config" with Datadog\'s message', async () => {
    fake.failNext(1, 400, { errors: ['Invalid monitor_tags: a tag must not be empty'] });
    const error = await connectorErrorOf(listMonitors.run(oauth(), {}));
    expect(error).toMatchObject({ reason: 'config', status: 400 });
    expect(error.message).toBe(
      'Datadog monitor list was refused (HTTP 400): Invalid monitor_tags: a tag must not be empty',
    );
  });

  it('reports bad credentials (401, or 403 "Forbidden") as reason "auth", a missing permission as "permission"', async () => {
    fake.failNext(1, 401, { errors: ['Unauthorized'] });
    expect((await connectorErrorOf(listMonitors.run(oauth(), {}))).reason).toBe('auth');
    const wrongKey = await connectorErrorOf(
      listMonitors.run(
        datadogActionContext(fake, {
          type: 'api_key',
          values: { apiKey: 'dd-wrong-key-0123456789abcdef', applicationKey: 'x' },
        }),
        {},
      ),
    );
    expect(wrongKey).toMatchObject({ reason: 'auth', status: 403 });
    expect(wrongKey.message).not.toContain('dd-wrong-key-0123456789abcdef');
    fake.failNext(1, 403, { errors: ['Failed permission authorization checks'] });
    const denied = await connectorErrorOf(listMonitors.run(oauth(), {}));
    expect(denied).toMatchObject({ reason: 'permission', status: 403 });
  });

  it("surfaces Datadog's 429 as rate_limited with retryAfterMs from X-RateLimit-Reset", async () => {
    fake.rateLimitNext(1, {
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '42',
    });
    const error = await connectorErrorOf(listMonitors.run(oauth(), {}));
    expect(error).toMatchObject({
      reason: 'rate_limited',
      status: 429,
      retryable: true,
      retryAfterMs: 42_000,
      providerCode: 'Rate limit exceeded',
    });
  });
});
