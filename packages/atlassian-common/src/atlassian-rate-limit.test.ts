import { connectorErrorOf, rejectionOf } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProbe } from './test/fake-probe.js';
import { probeConnector } from './test/probe-connector.js';
import { probeContext } from './test/probe-context.js';
import type { FakeAtlassian } from './testing/index.js';

describe('an Atlassian connector under Atlassian rate limiting', () => {
  let fake: FakeAtlassian;

  beforeAll(async () => {
    fake = await startFakeProbe();
  });
  afterAll(async () => {
    fake.rateLimitNext(0);
    await fake.close();
  });

  function context(retries: number) {
    return probeContext(fake, fake.issueTokensDirectly().credentials, { retries, maxRetryDelayMs: 2_000 });
  }

  it('waits out a short Retry-After and then succeeds', async () => {
    const before = fake.requests.length;
    fake.rateLimitNext(1, { 'Retry-After': '1' });
    const result = await probeConnector.check(context(2));
    expect(result.identity.workspace).toBe('acme');
    // accessible-resources answered 429 once and was asked again.
    const paths = fake.requests.slice(before).map((request) => request.path);
    expect(paths.filter((path) => path === '/oauth/token/accessible-resources')).toHaveLength(2);
  });

  it('surfaces a Retry-After longer than the bound as rate_limited instead of waiting', async () => {
    fake.rateLimitNext(1, { 'Retry-After': '120' });
    const error = await connectorErrorOf(probeConnector.check(context(2)));
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
    const error = await connectorErrorOf(
      probeConnector.fetchSample?.(context(0), { limit: 5 }) ?? Promise.resolve(),
    );
    expect(error.reason).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThan(500_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(600_000);
  });

  it('gives up after the bounded number of retries', async () => {
    const before = fake.requests.length;
    fake.rateLimitNext(5, { 'Retry-After': '0' });
    const error = await connectorErrorOf(probeConnector.check(context(1)));
    expect(error.reason).toBe('rate_limited');
    expect(fake.requests.length - before).toBe(2);
    fake.rateLimitNext(0);
  });
});

describe('an Atlassian connector and a 503 with Retry-After', () => {
  it('waits the Retry-After of a 503 and then succeeds', async () => {
    let unavailable = 1;
    const fake = await startFakeProbe({
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
      const ctx = probeContext(fake, fake.issueTokensDirectly().credentials, { retries: 1 });
      expect((await probeConnector.check(ctx)).identity.workspace).toBe('acme');
      expect(unavailable).toBe(-1);
    } finally {
      await fake.close();
    }
  });

  it('surfaces a 503 whose Retry-After exceeds the bound as a retryable provider error', async () => {
    const fake = await startFakeProbe({
      routes: {
        'GET /ex/probe/:cloudId/myself': (_request, helpers) => {
          helpers.requireToken();
          return { status: 503, headers: { 'Retry-After': '300' }, body: 'Service Unavailable' };
        },
      },
    });
    try {
      const ctx = probeContext(fake, fake.issueTokensDirectly().credentials, {
        retries: 2,
        maxRetryDelayMs: 2_000,
      });
      const error = await rejectionOf(probeConnector.check(ctx));
      expect(error).toMatchObject({
        reason: 'provider',
        status: 503,
        retryable: true,
        retryAfterMs: 300_000,
      });
    } finally {
      await fake.close();
    }
  });
});
