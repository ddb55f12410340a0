import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '../production/metrics.js';
import { createTestApp, type TestApp, tokenFor } from '../test/helpers.js';

const DIALECTS = await testDialects();

/** The value of one series in a Prometheus text answer (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('GET /metrics when METRICS_ENABLED is not set', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp('sqlite');
  });
  afterAll(() => test?.close());

  it('is an unknown route, even for an admin', async () => {
    const admin = await tokenFor({ email: 'root@example.com', role: 'admin' });
    const response = await test.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'CFM_ROUTE_NOT_FOUND' });
  });
});

for (const dialect of DIALECTS) {
  describe(`GET /metrics with METRICS_ENABLED=true (${dialect})`, () => {
    let test: TestApp;
    let admin: string;
    const scrape = async () => {
      const response = await test.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(response.statusCode).toBe(200);
      return response;
    };

    beforeAll(async () => {
      test = await createTestApp(dialect, { env: { METRICS_ENABLED: 'true' } });
      admin = await tokenFor({ email: 'ops@example.com', role: 'admin' });
    });
    afterAll(() => test?.close());

    it('refuses callers without a token (401) and users who are not admins (403)', async () => {
      const anonymous = await test.app.inject({ method: 'GET', url: '/metrics' });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toMatchObject({ code: 'CFM_AUTH_REQUIRED' });
      const user = await tokenFor({ email: 'someone@example.com' });
      const forbidden = await test.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${user}` },
      });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json()).toMatchObject({ code: 'CFM_FORBIDDEN' });
      expect(forbidden.body).not.toContain('cfm_http_request_duration_seconds');
    });

    it('counts requests per route pattern, method and status class, never per raw URL', async () => {
      const before = await scrape();
      const healthz =
        'cfm_http_request_duration_seconds_count{route="/healthz",method="GET",status_class="2xx"}';
      const unmatched =
        'cfm_http_request_duration_seconds_count{route="unmatched",method="GET",status_class="4xx"}';
      for (let index = 0; index < 3; index++) await test.app.inject({ method: 'GET', url: '/healthz' });
      await test.app.inject({ method: 'GET', url: '/no/such/route/raw-url-marker' });
      const user = await tokenFor({ email: 'lister@example.com' });
      await test.app.inject({
        method: 'GET',
        url: '/api/connections/00000000-0000-4000-8000-000000000000',
        headers: { authorization: `Bearer ${user}` },
      });

      const after = await scrape();
      expect(after.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(sample(after.body, healthz) - sample(before.body, healthz)).toBe(3);
      expect(sample(after.body, unmatched) - sample(before.body, unmatched)).toBe(1);
      expect(after.body).toContain(
        'cfm_http_request_duration_seconds_count{route="/api/connections/:id",method="GET",status_class="4xx"} 1',
      );
      expect(after.body).toContain('cfm_http_request_duration_seconds_bucket{le="0.005",route="/healthz"');
      // A word, not digits: a number could appear in any sample value (CPU seconds, memory).
      expect(after.body).not.toContain('raw-url-marker');
      expect(after.body).not.toContain('00000000-0000-4000-8000-000000000000');
    });

    it('shows each connector package and its load status, and the PostgreSQL pool', async () => {
      const { body } = await scrape();
      for (const key of ['jira', 'confluence', 'slack', 'notion', 'figma', 'datadog']) {
        expect(body).toContain(`cfm_connector_load_status{connector="${key}",status="loaded"} 1`);
      }
      expect(body.includes('cfm_db_pool_connections ')).toBe(dialect === 'postgres');
      expect(body).toContain('process_resident_memory_bytes');
    });

    it('exposes the counters other code increments (OAuth completions, token refreshes)', async () => {
      const series = 'cfm_token_refreshes_total{connector="metrics-test",outcome="rejected"}';
      const before = sample((await scrape()).body, series);
      metrics.tokenRefreshes.inc({ connector: 'metrics-test', outcome: 'rejected' });
      expect(sample((await scrape()).body, series)).toBe(before + 1);

      // A callback with a forged state: counted under the connector it named, with its error code.
      const user = await tokenFor({ email: 'oauth@example.com' });
      const scraped = (await scrape()).body;
      const callback = await test.app.inject({
        method: 'POST',
        url: '/api/oauth/slack/callback',
        headers: { authorization: `Bearer ${user}` },
        payload: { code: 'not-a-real-code', state: 'forged-state' },
      });
      expect(callback.statusCode).toBe(400);
      const code = callback.json().code as string;
      const completions = `cfm_oauth_completions_total{connector="slack",outcome="${code}"}`;
      expect(sample((await scrape()).body, completions) - sample(scraped, completions)).toBe(1);
    });

    it('answers a service key with the scope metrics:read, and refuses one without it', async () => {
      const create = async (scopes: string[]) => {
        const response = await test.app.inject({
          method: 'POST',
          url: '/api/service-keys/',
          headers: { authorization: `Bearer ${admin}` },
          payload: { name: `prometheus-${scopes.join('-')}`, scopes },
        });
        expect(response.statusCode, response.body).toBe(201);
        return response.json().key as string;
      };
      const scrapeWith = (key: string) =>
        test.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${key}` } });
      const allowed = await scrapeWith(await create(['metrics:read']));
      expect(allowed.statusCode).toBe(200);
      expect(allowed.body).toContain('cfm_http_request_duration_seconds');
      const refused = await scrapeWith(await create(['connections:read']));
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'CFM_SCOPE_MISSING' });
    });

    it('is not part of the OpenAPI document', () => {
      const paths = test.app.swagger().paths as Record<string, unknown>;
      expect(Object.keys(paths)).not.toContain('/metrics');
    });
  });
}
