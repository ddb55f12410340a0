import type { Credentials } from '@cfm/connector-sdk';
import { createApiClient, createOriginRewriter } from '@cfm/connector-sdk';
import { connectorErrorOf, contextFor, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATADOG_SITES, type DatadogSite, datadogConnector } from './index.js';
import { type FakeDatadog, startFakeDatadog } from './testing/index.js';

describe('datadog check and sample against the fake Datadog', () => {
  let fake: FakeDatadog;
  let noUserFake: FakeDatadog;

  beforeAll(async () => {
    fake = await startFakeDatadog();
    noUserFake = await startFakeDatadog({ user: null });
  });
  afterAll(async () => {
    await Promise.all([fake?.close(), noUserFake?.close()]);
  });

  const context = (
    credentials: Credentials,
    options: { retries?: number; on?: FakeDatadog; site?: DatadogSite } = {},
  ) =>
    contextFor(datadogConnector, {
      config: { site: options.site ?? 'us5.datadoghq.com' },
      credentials,
      rewrite: (options.on ?? fake).rewrite,
      retries: options.retries ?? 0,
      maxRetryDelayMs: 2000,
    });
  const keys = (apiKey: string, applicationKey: string): Credentials => ({
    type: 'api_key',
    values: { apiKey, applicationKey },
  });

  it('offers every Datadog site in the config schema, US1 by default', () => {
    const site = datadogConnector.configSchema.properties.site as unknown as {
      anyOf: Array<{ const: string }>;
      default: string;
    };
    expect(site.anyOf.map((option) => option.const)).toEqual([...DATADOG_SITES]);
    expect(site.default).toBe('datadoghq.com');
  });

  it('API-key mode: validates with DD-API-KEY and DD-APPLICATION-KEY headers and names the user', async () => {
    const result = await datadogConnector.check(context(keys(fake.apiKey, fake.applicationKey)));
    expect(result.identity).toMatchObject({
      accountId: '3b1f7f7e-0000-4000-8000-00000000feed',
      displayName: 'Fake Operator',
      email: 'op@example.com',
      site: 'https://us5.datadoghq.com',
    });
    expect(result.metadata).toMatchObject({ site: 'us5.datadoghq.com' });
    const validate = lastRequestTo(fake, '/api/v1/validate');
    expect(validate.headers['dd-api-key']).toBe(fake.apiKey);
    expect(validate.headers['dd-application-key']).toBe(fake.applicationKey);
    expect(validate.headers['authorization']).toBeUndefined();
  });

  it('API-key mode: a bad key gets 403 {"errors":["Forbidden"]}, reported as reason "auth"', async () => {
    const error = await connectorErrorOf(
      datadogConnector.check(context(keys('wrong-api-key', fake.applicationKey))),
    );
    expect(error.reason).toBe('auth');
    expect(error.status).toBe(403);
    expect(error.providerCode).toBe('Forbidden');
    expect(error.message).not.toContain('wrong-api-key');
  });

  it('OAuth mode: a bad bearer token is reason "auth", not "permission"', async () => {
    const error = await connectorErrorOf(
      datadogConnector.check(context({ type: 'oauth2', accessToken: 'not-a-token' })),
    );
    expect(error.reason).toBe('auth');
    expect(error.status).toBe(403);
  });

  it('falls back to the site as account id when current_user is not readable', async () => {
    const { credentials } = noUserFake.issueTokensDirectly();
    const result = await datadogConnector.check(
      context(credentials, { on: noUserFake, site: 'datadoghq.eu' }),
    );
    expect(result.identity.accountId).toBe('datadoghq.eu');
    expect(result.identity.site).toBe('https://app.datadoghq.eu');
  });

  it('fetchSample() lists at most `limit` monitors with id, name, type and overall state', async () => {
    const { credentials } = fake.issueTokensDirectly();
    const sample = await datadogConnector.fetchSample?.(context(credentials), { limit: 2 });
    expect(sample).toEqual({
      kind: 'monitors',
      items: [
        { id: 100000, name: 'Fake monitor 1', type: 'metric alert', overallState: 'Alert' },
        { id: 100001, name: 'Fake monitor 2', type: 'log alert', overallState: 'OK' },
      ],
    });
    const request = lastRequestTo(fake, '/api/v1/monitor');
    expect(request.query).toEqual({ page_size: '2', page: '0' });
  });

  it('waits out a short X-RateLimit-Reset and then succeeds', async () => {
    const { credentials } = fake.issueTokensDirectly();
    fake.rateLimitNext(1, {
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Period': '10',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '1',
    });
    const before = fake.requests.length;
    const result = await datadogConnector.check(context(credentials, { retries: 1 }));
    expect(result.identity.accountId).toBe('3b1f7f7e-0000-4000-8000-00000000feed');
    // 429, the retried validate, then current_user.
    expect(fake.requests.slice(before).map((request) => request.path)).toEqual([
      '/api/v1/validate',
      '/api/v1/validate',
      '/api/v2/current_user',
    ]);
  });

  it('reports a long X-RateLimit-Reset as rate_limited with retryAfterMs, without waiting for it', async () => {
    const { credentials } = fake.issueTokensDirectly();
    fake.rateLimitNext(5, { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '42' });
    try {
      const error = await connectorErrorOf(datadogConnector.check(context(credentials, { retries: 2 })));
      expect(error.reason).toBe('rate_limited');
      expect(error.retryAfterMs).toBe(42_000);
      expect(error.retryable).toBe(true);
    } finally {
      fake.rateLimitNext(0);
    }
  });

  describe('the api descriptor (the proxy base URL)', () => {
    const client = (credentials: Credentials, called: string[]) => {
      const rewrite = createOriginRewriter(fake.rewrite);
      return createApiClient(datadogConnector, {
        config: { site: 'us5.datadoghq.com' },
        metadata: {},
        credentials,
        rewriteUrl: (url) => {
          called.push(url);
          return rewrite(url);
        },
        retries: 0,
      });
    };

    it('is https://api.{site}, the site from the connection config', () => {
      expect(datadogConnector.api?.baseUrl).toBe('https://api.{site}');
    });

    it('OAuth: api/v1/validate reaches the configured site with the Bearer token', async () => {
      const called: string[] = [];
      const response = await client(fake.issueTokensDirectly().credentials, called).get('api/v1/validate');
      expect(response.body).toEqual({ valid: true });
      expect(called).toEqual(['https://api.us5.datadoghq.com/api/v1/validate']);
      const request = lastRequestTo(fake, '/api/v1/validate');
      expect(request.headers['authorization']).toBe('Bearer [redacted]');
      expect(request.headers['dd-api-key']).toBeUndefined();
    });

    it('API-key mode: api/v1/validate carries DD-API-KEY and DD-APPLICATION-KEY, and fails without them', async () => {
      const called: string[] = [];
      const api = client(keys(fake.apiKey, fake.applicationKey), called);
      expect((await api.get('api/v1/validate')).body).toEqual({ valid: true });
      const request = lastRequestTo(fake, '/api/v1/validate');
      expect(request.headers['dd-api-key']).toBe(fake.apiKey);
      expect(request.headers['dd-application-key']).toBe(fake.applicationKey);
      expect(request.headers['authorization']).toBeUndefined();
      expect(called).toEqual(['https://api.us5.datadoghq.com/api/v1/validate']);
      const refused = await connectorErrorOf(api.get('api/v1/validate', { auth: false }));
      expect(refused.status).toBe(403);
    });
  });
});
