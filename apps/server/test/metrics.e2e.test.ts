import { type FakeOAuth2Provider, startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customConnectorBody } from '../src/test/custom-connector-body.js';
import { type ApiClient, createSignedClient } from './support/api-client.js';
import { createCustomConnector } from './support/custom-connectors.js';
import { authorize, connect, testConnection } from './support/oauth-driver.js';
import { generateServerSecrets, type ServerProcess, startServerProcess } from './support/server-process.js';

const DIALECTS = await testDialects();
const KEY = 'acme-metrics';

/** The value of one series in a Prometheus text answer (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

for (const dialect of DIALECTS) {
  describe(`GET /metrics on the built server (${dialect})`, () => {
    let database: TestDatabase | undefined;
    let server: ServerProcess | undefined;
    let provider: FakeOAuth2Provider;
    let admin: ApiClient;
    let user: ApiClient;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      provider = await startFakeOAuth2Provider({
        clientId: 'metrics-client',
        clientSecret: `metrics-${crypto.randomUUID()}`,
      });
      const secrets = generateServerSecrets();
      server = await startServerProcess({
        env: {
          DATABASE_URL: database.url,
          ...secrets,
          METRICS_ENABLED: 'true',
          ALLOW_INSECURE_CONNECTOR_URLS: 'true',
        },
      });
      admin = await createSignedClient(server.url, secrets.JWT_SECRET, {
        subject: `e2e|metrics-admin-${dialect}`,
        email: 'ops@example.com',
        role: 'admin',
      });
      user = await createSignedClient(server.url, secrets.JWT_SECRET, {
        subject: `e2e|metrics-user-${dialect}`,
        email: 'user@example.com',
      });
    });

    afterAll(async () => {
      await server?.stop();
      await provider?.close();
      await database?.drop();
    });

    it('answers admins only', async () => {
      const anonymous = await fetch(`${server?.url}/metrics`);
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { code: string }).code).toBe('CFM_AUTH_REQUIRED');
      const forbidden = await user.get('/metrics');
      expect(forbidden.status).toBe(403);
      expect(forbidden.body['code']).toBe('CFM_FORBIDDEN');
    });

    it('counts a real OAuth flow, its refresh and a replayed callback, and leaks no secret', async () => {
      await createCustomConnector(admin, customConnectorBody(KEY, provider.url, provider));
      const { connectionId, approval } = await connect(user, KEY, provider);
      provider.expireAccessTokens();
      const tested = await testConnection(user, connectionId);
      expect(tested.success, tested.message).toBe(true);
      expect(provider.counts.refresh).toBe(1);
      const replayed = await user.post(`/api/oauth/${KEY}/callback`, {
        code: approval.code,
        state: approval.state,
      });
      expect(replayed.status).toBe(400);
      const started = await authorize(user, KEY);

      const scraped = await admin.get<string>('/metrics');
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = scraped.text;
      expect(sample(text, `cfm_oauth_completions_total{connector="${KEY}",outcome="success"}`)).toBe(1);
      expect(
        sample(text, `cfm_oauth_completions_total{connector="${KEY}",outcome="${replayed.body['code']}"}`),
      ).toBe(1);
      expect(sample(text, `cfm_token_refreshes_total{connector="${KEY}",outcome="success"}`)).toBe(1);
      expect(
        sample(
          text,
          'cfm_http_request_duration_seconds_count{route="/api/oauth/:connector/callback",method="POST",status_class="2xx"}',
        ),
      ).toBe(1);
      expect(text).toContain('cfm_connector_load_status{connector="slack",status="loaded"} 1');
      expect(text.includes('cfm_db_pool_connections ')).toBe(dialect === 'postgres');
      for (const secret of [
        provider.clientSecret,
        approval.code,
        approval.state,
        started.state,
        admin.token,
        user.token,
        ...provider.tokens.map((token) => token.value),
      ]) {
        expect(text).not.toContain(secret);
      }
    });
  });
}
