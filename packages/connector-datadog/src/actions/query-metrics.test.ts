import { connectorErrorOf, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, datadogActionContext } from '../test/datadog-action-context.js';
import { type FakeDatadog, fakeMetricValue, startFakeDatadog } from '../testing/index.js';
import { queryMetrics } from './query-metrics.js';

describe('datadog action query_metrics against the fake Datadog', () => {
  let fake: FakeDatadog;
  const oauth = () => datadogActionContext(fake, fake.issueTokensDirectly().credentials);
  const from = 1_735_689_600; // 2025-01-01T00:00:00Z
  const to = from + 300;

  beforeAll(async () => {
    fake = await startFakeDatadog();
  });
  afterAll(async () => {
    fake.rateLimitNext(0);
    await fake.close();
  });

  it('returns a series per host with [unix seconds, value] points', async () => {
    const output = await queryMetrics.run(oauth(), {
      query: 'avg:system.cpu.user{env:prod} by {host}',
      from,
      to,
    });
    const timestamps = [0, 60, 120, 180, 240, 300].map((offset) => from + offset);
    expect(output.series).toEqual(
      ['web-1', 'web-2'].map((host) => ({
        metric: 'system.cpu.user',
        scope: `host:${host}`,
        points: timestamps.map((at) => [at, fakeMetricValue('system.cpu.user', host, at)]),
      })),
    );
    expect(lastRequestTo(fake, '/api/v1/query').query).toEqual({
      query: 'avg:system.cpu.user{env:prod} by {host}',
      from: String(from),
      to: String(to),
    });
  });

  it('answers no series for a metric Datadog has no data for, and works with API keys', async () => {
    const output = await queryMetrics.run(datadogActionContext(fake, apiKeys(fake)), {
      query: 'avg:no.such.metric{*}',
      from,
      to,
    });
    expect(output.series).toEqual([]);
    expect(lastRequestTo(fake, '/api/v1/query').headers['dd-api-key']).toBe(fake.apiKey);
  });

  it.each([
    ['an unparsable query', { query: 'avg(system.cpu.user', from, to }, 'Error parsing query'],
    [
      'a range ending before it starts',
      { query: 'avg:system.load.1{*}', from: to, to: from },
      "'from' parameter",
    ],
  ])('maps Datadog refusing %s (400) to reason "config" with its message', async (_label, input, text) => {
    const error = await connectorErrorOf(queryMetrics.run(oauth(), input));
    expect(error).toMatchObject({ reason: 'config', status: 400, retryable: false });
    expect(error.message).toContain(text);
  });

  it('reports a revoked token (403 "Forbidden") and a 401 as reason "auth"', async () => {
    const context = oauth();
    const token = context.credentials.type === 'oauth2' ? context.credentials.accessToken : '';
    fake.revokeToken(token);
    const revoked = await connectorErrorOf(
      queryMetrics.run(context, { query: 'avg:system.load.1{*}', from, to }),
    );
    expect(revoked).toMatchObject({ reason: 'auth', status: 403 });
    expect(revoked.message).not.toContain(token);
    fake.failNext(1, 401, { errors: ['Unauthorized'] });
    const unauthorized = await connectorErrorOf(
      queryMetrics.run(oauth(), { query: 'avg:system.load.1{*}', from, to }),
    );
    expect(unauthorized).toMatchObject({ reason: 'auth', status: 401 });
  });

  it('reports a 404 as a config error', async () => {
    fake.failNext(1, 404, { errors: ['Not Found'] });
    const error = await connectorErrorOf(
      queryMetrics.run(oauth(), { query: 'avg:system.load.1{*}', from, to }),
    );
    expect(error).toMatchObject({ reason: 'config', status: 404 });
  });

  it('waits out a short X-RateLimit-Reset, and reports a long one as rate_limited with retryAfterMs', async () => {
    const query = { query: 'avg:system.load.1{*}', from, to };
    fake.rateLimitNext(1, { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1' });
    const retried = await queryMetrics.run(datadogActionContext(fake, apiKeys(fake), { retries: 1 }), query);
    expect(retried.series).toHaveLength(1);
    fake.rateLimitNext(2, { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '90' });
    const error = await connectorErrorOf(
      queryMetrics.run(datadogActionContext(fake, apiKeys(fake), { retries: 1 }), query),
    );
    expect(error).toMatchObject({ reason: 'rate_limited', retryAfterMs: 90_000 });
    fake.rateLimitNext(0);
  });
});
