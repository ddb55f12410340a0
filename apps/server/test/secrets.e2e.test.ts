import type { FakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customConnectorBody } from '../src/test/custom-connector-body.js';
import { type ApiClient, createSignedClient } from './support/api-client.js';
import { PACKAGED_KEYS, type PackagedFakes, startPackagedFakes } from './support/connector-fakes.js';
import { createCustomConnector } from './support/custom-connectors.js';
import { dumpDatabase } from './support/database-dump.js';
import {
  authorizeInBrowser,
  connect,
  createConnection,
  revoke,
  testConnection,
} from './support/oauth-driver.js';
import { codeVerifiersIn, type RecordingProxy, startRecordingProxy } from './support/recording-proxy.js';
import { leakedSecrets, type Secret, searchableText, searchTerms } from './support/secret-search.js';
import {
  freePort,
  generateServerSecrets,
  type ServerProcess,
  startServerProcess,
} from './support/server-process.js';

const DIALECTS = await testDialects();
const CUSTOM = 'acme-secrets';

/** Swaps one origin in an overrides text for another (whole entries only). */
function reroute(overrides: string, from: string, to: string): string {
  return overrides
    .split(',')
    .map((entry) => (entry.endsWith(`=${from}`) ? `${entry.slice(0, -from.length)}${to}` : entry))
    .join(',');
}

for (const dialect of DIALECTS) {
  describe(`no secret leaves the vault (${dialect})`, () => {
    let database: TestDatabase | undefined;
    let fakes: PackagedFakes | undefined;
    let custom: FakeOAuth2Provider | undefined;
    const proxies: RecordingProxy[] = [];
    let server: ServerProcess | undefined;
    const clients: ApiClient[] = [];
    const codes: string[] = [];
    const locations: string[] = [];
    /** The GET callback's browser-binding cookies (`name=value`): they belong in no log and no row. */
    const bindingCookies: string[] = [];
    let flowCompleted = false;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      fakes = await startPackagedFakes();
      custom = await startFakeOAuth2Provider({
        clientId: 'secrets-client',
        clientSecret: `custom-secret-${crypto.randomUUID()}`,
      });
      // The fakes redact `code_verifier`: these pass-throughs keep the verifiers the server sent.
      const datadogProxy = await startRecordingProxy(fakes.byKey.datadog.fake.url);
      const customProxy = await startRecordingProxy(custom.url);
      proxies.push(datadogProxy, customProxy);
      const secrets = generateServerSecrets();
      // Providers redirect to the API's GET callback (the POST callback still works for the user).
      const port = await freePort();
      server = await startServerProcess({
        port,
        env: {
          OAUTH_REDIRECT_URI: `http://127.0.0.1:${port}/api/oauth/{connector}/callback`,
          DATABASE_URL: database.url,
          ...secrets,
          ...fakes.env,
          CONNECTOR_ORIGIN_OVERRIDES: reroute(
            fakes.env['CONNECTOR_ORIGIN_OVERRIDES'] ?? '',
            fakes.byKey.datadog.fake.url,
            datadogProxy.url,
          ),
          ALLOW_INSECURE_CONNECTOR_URLS: 'true',
        },
      });
      for (const subject of ['secrets-user', 'secrets-keys', 'secrets-admin']) {
        clients.push(
          await createSignedClient(server.url, secrets.JWT_SECRET, {
            subject: `e2e|${subject}`,
            email: `${subject}@example.com`,
            role: subject === 'secrets-admin' ? 'admin' : 'user',
          }),
        );
      }
    });

    afterAll(async () => {
      await server?.stop();
      await fakes?.close();
      await custom?.close();
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await database?.drop();
    });

    function terms(): Map<string, string> {
      if (!fakes || !custom) throw new Error('the fakes did not start');
      const providers = [...Object.values(fakes.byKey).map(({ fake }) => fake), custom];
      const secrets: Secret[] = [];
      for (const provider of providers) {
        secrets.push({ kind: 'client secret', value: provider.clientSecret });
        for (const token of provider.tokens)
          secrets.push({ kind: `${token.kind} token`, value: token.value });
      }
      for (const code of codes) secrets.push({ kind: 'authorization code', value: code });
      const verifiers = codeVerifiersIn(proxies.flatMap((proxy) => proxy.bodies));
      // Datadog (PKCE required) and the custom connector (PKCE by default) each exchanged at least once.
      expect(verifiers.length).toBeGreaterThanOrEqual(2);
      for (const verifier of verifiers) secrets.push({ kind: 'PKCE verifier', value: verifier });
      const datadog = fakes.byKey.datadog.fake as FakeOAuth2Provider & {
        apiKey: string;
        applicationKey: string;
      };
      secrets.push(
        { kind: 'API key', value: datadog.apiKey },
        { kind: 'application key', value: datadog.applicationKey },
      );
      for (const client of clients) secrets.push({ kind: 'API JWT', value: client.token });
      return searchTerms(secrets);
    }

    it('runs every kind of flow: OAuth with refresh, a GET callback, a custom connector, an API key', async () => {
      if (!fakes || !custom || !server) throw new Error('setup failed');
      const [user, keys, admin] = clients as [ApiClient, ApiClient, ApiClient];
      for (const key of PACKAGED_KEYS) {
        const { fake, config } = fakes.byKey[key];
        const { connectionId, approval } = await connect(
          user,
          key,
          fake,
          config === undefined ? {} : { config },
        );
        codes.push(approval.code);
        expect((await testConnection(user, connectionId)).success).toBe(true);
        fake.expireAccessTokens();
        expect((await testConnection(user, connectionId)).success).toBe(true);
      }
      expect(fakes.byKey.jira.fake.tokens.some((token) => token.kind === 'refresh')).toBe(true);

      // The browser-facing GET callback, success and provider refusal: both redirect to the front end.
      const notion = fakes.byKey.notion.fake;
      const started = await authorizeInBrowser(user, 'notion');
      bindingCookies.push(started.cookie);
      const approval = await notion.approve(started.authorization_url);
      codes.push(approval.code);
      const query = new URLSearchParams({ code: approval.code, state: approval.state });
      const success = await user.request('GET', `/api/oauth/notion/callback?${query}`, {
        redirect: 'manual',
        headers: { cookie: started.cookie },
      });
      expect(success.status).toBe(302);
      const slackStarted = await authorizeInBrowser(user, 'slack');
      bindingCookies.push(slackStarted.cookie);
      const denied = await fakes.byKey.slack.fake.deny(slackStarted.authorization_url);
      const refusal = new URLSearchParams({ error: denied.error ?? '', state: denied.state ?? '' });
      const failure = await user.request('GET', `/api/oauth/slack/callback?${refusal}`, {
        redirect: 'manual',
        headers: { cookie: slackStarted.cookie },
      });
      expect(failure.status).toBe(302);
      for (const response of [success, failure]) locations.push(response.headers.get('location') ?? '');
      expect(new URL(locations[0] ?? '').searchParams.get('status')).toBe('success');
      expect(new URL(locations[1] ?? '').searchParams.get('status')).toBe('error');

      // A custom connector with a client secret, through the recording pass-through.
      await createCustomConnector(admin, customConnectorBody(CUSTOM, proxies[1]?.url ?? '', custom));
      const customConnection = await connect(user, CUSTOM, custom);
      codes.push(customConnection.approval.code);
      custom.expireAccessTokens();
      expect((await testConnection(user, customConnection.connectionId)).success).toBe(true);
      expect(custom.counts.refresh).toBe(1);

      // API-key credentials (Datadog's second auth method) for another user.
      const datadog = fakes.byKey.datadog.fake as FakeOAuth2Provider & {
        apiKey: string;
        applicationKey: string;
      };
      const keyed = await createConnection(
        keys,
        'datadog',
        { site: 'datadoghq.com' },
        {
          type: 'api_key',
          values: { apiKey: datadog.apiKey, applicationKey: datadog.applicationKey },
        },
      );
      const keyedTest = await testConnection(keys, keyed.id);
      expect(keyedTest.success, keyedTest.message).toBe(true);

      // And a disconnect, whose provider call carries a token too.
      const slackConnection = (
        await user.get<{ items: { id: string; connector_key: string }[] }>('/api/connections/')
      ).body.items.find((item) => item.connector_key === 'slack');
      await revoke(user, 'slack', slackConnection?.id ?? 'missing');
      flowCompleted = true;
    });

    it('(a) no secret in any column of any row of any table', async () => {
      expect(flowCompleted).toBe(true);
      const dump = await dumpDatabase(database?.url ?? '');
      for (const table of ['users', 'connectors', 'connections', 'credentials', 'oauth_states']) {
        expect(dump.tables).toContain(table);
      }
      // Sealed credentials are there (5 OAuth connections left plus the API key), just not readable.
      expect(dump.rows['credentials']?.length).toBeGreaterThanOrEqual(6);
      const all = terms();
      // Tokens (access and refresh, current and rotated), seven client secrets, codes, verifiers, keys, JWTs.
      expect(all.size).toBeGreaterThan(3 * 40);
      expect(leakedSecrets(searchableText(dump.rows), all)).toEqual([]);
      const text = JSON.stringify(dump.rows);
      for (const cookie of bindingCookies) expect(text).not.toContain(cookie.split('=')[1]);
    });

    it('(b) no secret in the server logs at debug level', () => {
      expect(flowCompleted).toBe(true);
      const logs = server?.logs() ?? '';
      expect(logs).toContain('"level":20');
      expect(leakedSecrets(logs, terms())).toEqual([]);
      expect(bindingCookies).toHaveLength(2);
      for (const cookie of bindingCookies) expect(logs).not.toContain(cookie.split('=')[1]);
    });

    it('(c) no secret in any API response body or header', () => {
      expect(flowCompleted).toBe(true);
      const exchanges = clients.flatMap((client) => client.recorded);
      expect(exchanges.length).toBeGreaterThan(20);
      const all = terms();
      const leaks = exchanges.flatMap((exchange) =>
        leakedSecrets(`${JSON.stringify(exchange.headers)}\n${exchange.text}`, all).map(
          (leak) => `${exchange.method} ${exchange.path}: ${leak}`,
        ),
      );
      expect(leaks).toEqual([]);
    });

    it('(d) no secret in the Location of the GET callback redirect', () => {
      expect(flowCompleted).toBe(true);
      expect(locations).toHaveLength(2);
      for (const location of locations) {
        expect(location.startsWith(`${server?.env['FRONTEND_BASE_URL']}/oauth/callback?status=`)).toBe(true);
        expect(new URL(location).searchParams.has('code')).toBe(location.includes('status=error'));
        for (const cookie of bindingCookies) expect(location).not.toContain(cookie.split('=')[1]);
      }
      expect(leakedSecrets(locations.join('\n'), terms())).toEqual([]);
    });
  });
}
