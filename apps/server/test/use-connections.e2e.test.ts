import { readFileSync } from 'node:fs';
import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startFakeApiServer } from '../src/routes/connection-use/test/fake-api-server.js';
import { customConnectorBody } from '../src/test/custom-connector-body.js';
import { type ApiClient, createApiClient, createSignedClient } from './support/api-client.js';
import { type PackagedFakes, startPackagedFakes } from './support/connector-fakes.js';
import { connect } from './support/oauth-driver.js';
import { generateServerSecrets, type ServerProcess, startServerProcess } from './support/server-process.js';

const DIALECTS = await testDialects();

/** Kilobytes of a process's resident memory from /proc. */
function memoryOf(pid: number, field: 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN);
}

for (const dialect of DIALECTS) {
  // The issue's "done when": a back-end service with a service key uses a user's connections.
  describe(`a back-end service uses a user's connections through the built server (${dialect})`, () => {
    let database: TestDatabase | undefined;
    let fakes: PackagedFakes | undefined;
    let server: ServerProcess | undefined;
    let user: ApiClient;
    let service: ApiClient;
    const connections: Record<string, string> = {};

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      fakes = await startPackagedFakes();
      const secrets = generateServerSecrets();
      server = await startServerProcess({ env: { DATABASE_URL: database.url, ...secrets, ...fakes.env } });
      user = await createSignedClient(server.url, secrets.JWT_SECRET, {
        subject: `e2e|use-${dialect}`,
        email: `use-${dialect}@example.com`,
      });
      const admin = await createSignedClient(server.url, secrets.JWT_SECRET, {
        subject: `e2e|use-admin-${dialect}`,
        email: `use-admin-${dialect}@example.com`,
        role: 'admin',
      });
      for (const key of ['slack', 'jira', 'notion', 'confluence', 'figma', 'datadog'] as const) {
        const { fake, config } = fakes.byKey[key];
        connections[key] = (
          await connect(user, key, fake, config === undefined ? {} : { config })
        ).connectionId;
      }
      const created = await admin.post<{ key: string }>('/api/service-keys', {
        name: `backend-${dialect}`,
        scopes: ['connections:read', 'connections:proxy', 'connections:token', 'connections:actions'],
      });
      expect(created.status, created.text).toBe(201);
      service = createApiClient(server.url, created.body.key);
    });

    afterAll(async () => {
      await server?.stop();
      await fakes?.close();
      await database?.drop();
    });

    it("lists the user's connections by email", async () => {
      onTestFailed(() => console.error(server?.problems()));
      const response = await service.get<{ items: Array<{ id: string; connector_key: string }> }>(
        `/api/connections/?user=${encodeURIComponent(`use-${dialect}@example.com`)}`,
      );
      expect(response.status, response.text).toBe(200);
      expect(response.body.items.map((item) => item.connector_key).sort()).toEqual([
        'confluence',
        'datadog',
        'figma',
        'jira',
        'notion',
        'slack',
      ]);
    });

    it("calls Slack's auth.test through the proxy", async () => {
      const response = await service.post<{ ok: boolean; team_id?: string }>(
        `/api/connections/${connections['slack']}/proxy/auth.test`,
      );
      expect(response.status, response.text).toBe(200);
      expect(response.body.ok).toBe(true);
    });

    it("calls Jira's myself through the proxy", async () => {
      const response = await service.get<{ accountId: string }>(
        `/api/connections/${connections['jira']}/proxy/rest/api/3/myself`,
      );
      expect(response.status, response.text).toBe(200);
      expect(typeof response.body.accountId).toBe('string');
    });

    it('gets a fresh Notion token that Notion accepts', async () => {
      const response = await service.get<{ access_token: string; connector_key: string }>(
        `/api/connections/${connections['notion']}/token`,
      );
      expect(response.status, response.text).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.body.connector_key).toBe('notion');
      const notion = fakes!.byKey.notion.fake;
      expect(
        notion.tokens.some(
          (record) => record.value === response.body.access_token && record.state === 'active',
        ),
      ).toBe(true);
      // A user token never gets a provider token.
      const refused = await user.get(`/api/connections/${connections['notion']}/token`);
      expect(refused.status).toBe(403);
      expect(refused.text).not.toContain(response.body.access_token);
    });

    it("reaches each of the six providers' who-am-I through the proxy, and hands out each one's token", async () => {
      const whoAmI: Record<string, { method: 'GET' | 'POST'; path: string }> = {
        slack: { method: 'POST', path: 'auth.test' },
        jira: { method: 'GET', path: 'rest/api/3/myself' },
        confluence: { method: 'GET', path: 'wiki/rest/api/user/current' },
        notion: { method: 'GET', path: 'v1/users/me' },
        figma: { method: 'GET', path: 'v1/me' },
        datadog: { method: 'GET', path: 'api/v1/validate' },
      };
      for (const [key, call] of Object.entries(whoAmI)) {
        const response = await service.request(
          call.method,
          `/api/connections/${connections[key]}/proxy/${call.path}`,
        );
        expect(response.status, `${key}: ${response.text.slice(0, 300)}`).toBe(200);
        const token = await service.get<{ access_token: string; connector_key: string }>(
          `/api/connections/${connections[key]}/token`,
        );
        expect(token.status, `${key}: ${token.text.slice(0, 300)}`).toBe(200);
        expect(token.body.connector_key).toBe(key);
      }
    });

    it('lets a front end ask for optional scopes, and only those', async () => {
      const asked = await user.get<{ authorization_url: string }>(
        '/api/oauth/slack/authorize?scopes=chat:write',
      );
      expect(asked.status, asked.text).toBe(200);
      const scope = new URL(asked.body.authorization_url).searchParams.get('scope') ?? '';
      expect(scope.split(',')).toEqual(expect.arrayContaining(['channels:read', 'chat:write']));
      const refused = await user.get<{ code: string; details: Array<{ message: string }> }>(
        '/api/oauth/slack/authorize?scopes=admin',
      );
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('CFM_VALIDATION');
      expect(refused.body.details[0]?.message).toContain('chat:write');
      const listed = await user.get<{ optional_scopes: string[] }>('/api/connectors/slack');
      expect(listed.body.optional_scopes).toContain('chat:write');
    });

    it("runs Jira's search_issues", async () => {
      const response = await service.post<{ data: { issues: Array<{ key: string }>; next_cursor?: string } }>(
        `/api/connections/${connections['jira']}/actions/search_issues`,
        { jql: 'project = DEMO order by updated DESC', limit: 5 },
      );
      expect(response.status, response.text).toBe(200);
      // The fake holds 30 DEMO issues, DEMO-30 the most recently updated.
      expect(response.body.data.issues.map((issue) => issue.key)).toEqual([
        'DEMO-30',
        'DEMO-29',
        'DEMO-28',
        'DEMO-27',
        'DEMO-26',
      ]);
      expect(typeof response.body.data.next_cursor).toBe('string');
      const invalid = await service.post<{ code: string; details: Array<{ field: string }> }>(
        `/api/connections/${connections['jira']}/actions/search_issues`,
        { limit: 'ten', extra: true },
      );
      expect(invalid.status).toBe(400);
      expect(invalid.body.code).toBe('CFM_VALIDATION');
      expect(invalid.body.details.map((detail) => detail.field).sort()).toEqual(
        expect.arrayContaining(['body/jql', 'body/limit']),
      );
      const unknown = await service.post(`/api/connections/${connections['jira']}/actions/drop_database`, {});
      expect(unknown.status).toBe(404);
      expect((unknown.body as { code: string }).code).toBe('CFM_ACTION_NOT_FOUND');
    });

    it('lists the actions with their schemas on GET /api/connectors/{key}', async () => {
      const response = await user.get<{
        actions: Array<{ name: string; read_only: boolean; input_schema: object }>;
      }>('/api/connectors/jira');
      expect(response.status).toBe(200);
      const names = response.body.actions.map((action) => action.name);
      expect(names).toEqual(expect.arrayContaining(['create_issue', 'get_issue', 'search_issues']));
      expect(response.body.actions.find((action) => action.name === 'create_issue')?.read_only).toBe(false);
    });
  });
}

describe('the proxy streams a 50 MB download with bounded memory (server process, SQLite)', () => {
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  const closers: Array<() => Promise<void>> = [];

  afterAll(async () => {
    await server?.stop();
    for (const close of closers) await close();
    await database?.drop();
  });

  it('answers all 50 MB while the server grows by far less', async () => {
    const provider = await startFakeOAuth2Provider({
      clientId: 'big-client',
      clientSecret: `big-${crypto.randomUUID()}`,
    });
    closers.push(() => provider.close());
    const api = await startFakeApiServer(provider);
    closers.push(() => api.close());
    database = await createTestDatabase('sqlite');
    const secrets = generateServerSecrets();
    server = await startServerProcess({
      env: {
        DATABASE_URL: database.url,
        ...secrets,
        ALLOW_INSECURE_CONNECTOR_URLS: 'true',
        LOG_LEVEL: 'info',
      },
    });
    const admin = await createSignedClient(server.url, secrets.JWT_SECRET, {
      subject: 'e2e|big-admin',
      email: 'big-admin@example.com',
      role: 'admin',
    });
    const declared = await admin.post('/api/connectors/', {
      ...customConnectorBody('big-api', provider.url, provider),
      api: { base_url: `${api.url}/v1` },
    });
    expect(declared.status, declared.text).toBe(201);
    const { connectionId } = await connect(admin, 'big-api', provider);
    // Warm up once so the baseline includes the code paths' own memory.
    const warm = await fetch(`${server.url}/api/connections/${connectionId}/proxy/big?mib=1`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    await warm.arrayBuffer();
    const before = memoryOf(server.pid, 'VmRSS');
    const response = await fetch(`${server.url}/api/connections/${connectionId}/proxy/big?mib=50`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(response.status).toBe(200);
    let bytes = 0;
    let held = Number.NaN;
    for await (const chunk of response.body!) {
      if (bytes === 0) {
        // Stop reading after the first chunk: a proxy that buffers would now pull the whole 50 MB from the
        // provider into memory; one that streams waits for us, holding only its socket buffers.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        held = memoryOf(server.pid, 'VmRSS') - before;
      }
      bytes += (chunk as Uint8Array).length;
    }
    expect(bytes).toBe(50 * 1024 * 1024);
    // The whole body is 51,200 kB; streaming keeps the server's growth to buffers.
    expect(held).toBeLessThan(20 * 1024);
  });
});
