import type { AddressInfo } from 'node:net';
import { type FakeOAuth2Provider, startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiClient, createApiClient, createSignedClient } from '../../../test/support/api-client.js';
import { connect } from '../../../test/support/oauth-driver.js';
import { recordAuditEvent } from '../../services/audit/audit-log.js';
import { customConnectorBody } from '../../test/custom-connector-body.js';
import { createTestApp, type TestApp } from '../../test/helpers.js';

const DIALECTS = await testDialects();
const API_KEY_SECRET = `api-key-that-must-stay-secret-${crypto.randomUUID()}`;

interface AuditEvent {
  id: string;
  occurred_at: string;
  actor: { type: string; id: string | null; label: string };
  action: string;
  connection_id: string | null;
  connector_key: string | null;
  outcome: string;
  status_code: number | null;
  detail: Record<string, unknown>;
  request_id: string | null;
}

interface Page {
  items: AuditEvent[];
  next_cursor: string | null;
}

for (const dialect of DIALECTS) {
  describe(`the audit trail of credential-affecting actions (${dialect})`, () => {
    let test: TestApp;
    let provider: FakeOAuth2Provider;
    let admin: ApiClient;
    let alice: ApiClient;
    let baseUrl: string;
    const secrets: string[] = [API_KEY_SECRET];
    let events: AuditEvent[] = [];
    let connected: string;
    let serviceKeyId: string;

    /** Every page of the trail, newest first. */
    async function allEvents(client: ApiClient): Promise<AuditEvent[]> {
      const collected: AuditEvent[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
        const page = await client.get<Page>(`/api/audit-events?limit=7${query}`);
        expect(page.status, page.text).toBe(200);
        collected.push(...page.body.items);
        cursor = page.body.next_cursor;
      } while (cursor !== null);
      return collected;
    }

    beforeAll(async () => {
      provider = await startFakeOAuth2Provider({
        clientId: 'audit-client',
        clientSecret: `audit-${crypto.randomUUID()}`,
      });
      secrets.push(provider.clientSecret);
      test = await createTestApp(dialect, { env: { ALLOW_INSECURE_CONNECTOR_URLS: 'true' } });
      await test.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}`;
      const secret = test.config.jwt.secret;
      admin = await createSignedClient(baseUrl, secret, {
        subject: 'audit|admin',
        email: 'admin@example.com',
        role: 'admin',
      });
      alice = await createSignedClient(baseUrl, secret, {
        subject: 'audit|alice',
        email: 'alice@example.com',
      });
      secrets.push(admin.token, alice.token);

      // Connectors: an OAuth one (with a client secret) and an API-key one.
      expect(
        (await admin.post('/api/connectors/', customConnectorBody('audited', provider.url, provider))).status,
      ).toBe(201);
      const { key: _key, ...declaration } = customConnectorBody('audited', provider.url, provider);
      const updated = await admin.request('PUT', '/api/connectors/audited', {
        body: { ...declaration, description: 'Changed' },
      });
      expect(updated.status, updated.text).toBe(200);
      const keyed = await admin.post('/api/connectors/', {
        key: 'audited-key',
        name: 'Audited key',
        auth: {
          type: 'api_key',
          fields: [{ name: 'apiKey', label: 'API key', in: 'header', param: 'x-api-key' }],
        },
        check: { url: `${provider.url}/api/me`, identity: { account_id: 'id' } },
      });
      expect(keyed.status, keyed.text).toBe(201);

      // Alice: connect, test, revoke, delete; an API-key connection; a failed connect.
      const flow = await connect(alice, 'audited', provider);
      connected = flow.connectionId;
      secrets.push(flow.approval.code, flow.authorization.state);
      expect((await alice.post(`/api/connections/${connected}/test`)).status).toBe(200);
      expect((await alice.delete(`/api/oauth/audited/revoke/${connected}`)).status).toBe(204);
      expect((await alice.delete(`/api/connections/${connected}`)).status).toBe(204);
      const withKey = await alice.post('/api/connections/', {
        connector_key: 'audited-key',
        credentials: { type: 'api_key', values: { apiKey: API_KEY_SECRET } },
      });
      expect(withKey.status, withKey.text).toBe(201);
      const refused = await alice.post('/api/oauth/audited/callback', {
        code: 'stolen-code-123',
        state: 'forged.state',
      });
      expect(refused.status).toBe(400);
      secrets.push('stolen-code-123');

      // A service key: created, used, revoked, then presented again.
      const created = await admin.post<{ id: string; key: string }>('/api/service-keys', {
        name: 'auditor',
        scopes: ['connections:read'],
      });
      expect(created.status).toBe(201);
      serviceKeyId = created.body.id;
      secrets.push(created.body.key);
      const service = createApiClient(baseUrl, created.body.key);
      expect((await service.get('/api/connections/?user=alice@example.com')).status).toBe(200);
      expect((await admin.delete(`/api/service-keys/${serviceKeyId}`)).status).toBe(204);
      expect((await service.get('/api/connections/')).status).toBe(401);

      expect((await admin.delete('/api/connectors/audited-key')).status).toBe(204);
      secrets.push(...provider.tokens.map((record) => record.value));
      // The service key's use is noted in the background.
      await vi.waitFor(async () =>
        expect((await allEvents(admin)).filter((event) => event.action === 'service_key.use')).toHaveLength(
          2,
        ),
      );
      events = await allEvents(admin);
    });
    afterAll(async () => {
      await test?.close();
      await provider?.close();
    });

    const find = (action: string, outcome = 'success') => {
      const found = events.filter((event) => event.action === action && event.outcome === outcome);
      expect(found, `${action} ${outcome}`).toHaveLength(1);
      return found[0]!;
    };

    it('records who did what to which connection, with the request id', () => {
      const aliceActor = { type: 'user', id: expect.any(String), label: 'alice@example.com' };
      const adminActor = { type: 'user', id: expect.any(String), label: 'admin@example.com' };
      expect(find('connection.connect')).toMatchObject({
        actor: aliceActor,
        connection_id: connected,
        connector_key: 'audited',
        status_code: 200,
        detail: { status: 'active' },
        request_id: expect.any(String),
      });
      expect(find('connection.connect', 'failure')).toMatchObject({
        actor: aliceActor,
        connector_key: 'audited',
        status_code: 400,
        detail: { error_code: 'CFM_OAUTH_STATE_INVALID' },
      });
      expect(find('connection.test')).toMatchObject({ actor: aliceActor, connection_id: connected });
      expect(find('connection.revoke')).toMatchObject({
        actor: aliceActor,
        connection_id: connected,
        detail: { provider_revoked: true },
      });
      expect(find('connection.delete')).toMatchObject({ actor: aliceActor, connection_id: connected });
      expect(find('connection.create')).toMatchObject({
        connector_key: 'audited-key',
        detail: { sealed: true },
      });
      expect(events.filter((event) => event.action === 'connector.create')).toHaveLength(2);
      expect(find('connector.update')).toMatchObject({
        actor: adminActor,
        detail: { fields: expect.arrayContaining(['auth', 'description']) },
      });
      expect(find('connector.delete')).toMatchObject({ actor: adminActor, connector_key: 'audited-key' });
      expect(find('service_key.create')).toMatchObject({
        actor: adminActor,
        detail: { service_key_id: serviceKeyId, name: 'auditor', scopes: ['connections:read'] },
      });
      expect(find('service_key.revoke')).toMatchObject({ actor: adminActor });
      const serviceActor = { type: 'service', id: serviceKeyId, label: 'auditor' };
      expect(find('service_key.use')).toMatchObject({ actor: serviceActor, detail: { method: 'GET' } });
      expect(find('service_key.use', 'failure')).toMatchObject({
        actor: serviceActor,
        status_code: 401,
        detail: { reason: 'revoked' },
      });
      // Newest first.
      const times = events.map((event) => Date.parse(event.occurred_at));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('never stores a secret: no token, key, client secret, code or state in any row', async () => {
      const rows = await test.handle.db.selectFrom('audit_events').selectAll().execute();
      expect(rows.length).toBe(events.length);
      const text = JSON.stringify(rows);
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThan(8);
        expect(text.includes(secret), `a secret (${secret.slice(0, 6)}…) is in audit_events`).toBe(false);
      }
    });

    it('filters by connection, action, actor and time', async () => {
      const byConnection = await admin.get<Page>(`/api/audit-events?connection_id=${connected}`);
      expect(new Set(byConnection.body.items.map((event) => event.action))).toEqual(
        new Set(['connection.connect', 'connection.test', 'connection.revoke', 'connection.delete']),
      );
      const byAction = await admin.get<Page>('/api/audit-events?action=connector.create');
      expect(byAction.body.items.map((event) => event.connector_key).sort()).toEqual([
        'audited',
        'audited-key',
      ]);
      const byActor = await admin.get<Page>(`/api/audit-events?actor_id=${serviceKeyId}`);
      expect(byActor.body.items.map((event) => event.action)).toEqual(['service_key.use', 'service_key.use']);
      const since = await admin.get<Page>(
        `/api/audit-events?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      );
      expect(since.body).toEqual({ items: [], next_cursor: null });
    });
  });

  describe(`GET /api/audit-events paging and access (${dialect})`, () => {
    let test: TestApp;
    let admin: ApiClient;
    let baseUrl: string;
    const connectionId = crypto.randomUUID();

    beforeAll(async () => {
      test = await createTestApp(dialect);
      await test.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}`;
      admin = await createSignedClient(baseUrl, test.config.jwt.secret, {
        subject: 'page|admin',
        email: 'pager@example.com',
        role: 'admin',
      });
      // 25 events, many within one millisecond: the id breaks ties, so no page repeats or skips one.
      await Promise.all(
        Array.from({ length: 25 }, (_, index) =>
          recordAuditEvent(test.handle.db, {
            action: index % 2 === 0 ? 'connection.proxy' : 'connection.token',
            outcome: 'success',
            actor: { type: 'service', id: 'svc', label: 'svc' },
            connectionId: index < 5 ? connectionId : null,
            detail: { index },
          }),
        ),
      );
    });
    afterAll(() => test?.close());

    it('pages newest first with a cursor, each event exactly once', async () => {
      const seen: AuditEvent[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
        const page = await admin.get<Page>(`/api/audit-events?limit=10${query}`);
        expect(page.status, page.text).toBe(200);
        sizes.push(page.body.items.length);
        seen.push(...page.body.items);
        cursor = page.body.next_cursor;
      } while (cursor !== null);
      expect(sizes).toEqual([10, 10, 5]);
      expect(new Set(seen.map((event) => event.detail['index'])).size).toBe(25);
      // Newest first; ties within a millisecond are ordered by id (in the database's collation).
      const times = seen.map((event) => Date.parse(event.occurred_at));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      const filtered = await admin.get<Page>(
        `/api/audit-events?connection_id=${connectionId}&action=connection.proxy`,
      );
      expect(filtered.body.items.map((event) => event.detail['index']).sort()).toEqual([0, 2, 4]);
    });

    it('refuses a forged cursor and an unbounded limit', async () => {
      const forged = await admin.get('/api/audit-events?cursor=bm90LWEtY3Vyc29y');
      expect(forged.status).toBe(400);
      expect(forged.body).toMatchObject({ code: 'CFM_BAD_REQUEST' });
      for (const limit of ['0', '201', '1e9', '-1']) {
        const response = await admin.get(`/api/audit-events?limit=${limit}`);
        expect(response.status, limit).toBe(400);
        expect(response.body).toMatchObject({ code: 'CFM_VALIDATION' });
      }
    });

    it('answers admins only: 401 anonymous, 403 users and service keys', async () => {
      const anonymous = await fetch(`${baseUrl}/api/audit-events`);
      expect(anonymous.status).toBe(401);
      const user = await createSignedClient(baseUrl, test.config.jwt.secret, {
        subject: 'page|user',
        email: 'u@example.com',
      });
      expect((await user.get('/api/audit-events')).status).toBe(403);
      const created = await admin.post<{ key: string }>('/api/service-keys', {
        name: 'all-scopes',
        scopes: [
          'connections:read',
          'connections:proxy',
          'connections:token',
          'connections:actions',
          'metrics:read',
        ],
      });
      const service = createApiClient(baseUrl, created.body.key);
      const refused = await service.get('/api/audit-events');
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'CFM_FORBIDDEN' });
    });
  });
}
