import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, tokenFor } from '../../test/helpers.js';

const DIALECTS = await testDialects();
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/connectors', import.meta.url));
const GOOD_KEY = 'k3y-value-that-must-stay-secret-91b2';

/** A provider answering `GET /me` with an identity when the `x-api-key` header is right. */
async function startProvider(): Promise<{ server: Server; url: string; seenKeys: string[] }> {
  const seenKeys: string[] = [];
  const server = createServer((request, response) => {
    const key = String(request.headers['x-api-key'] ?? '');
    seenKeys.push(key);
    if (request.url !== '/me') return void response.writeHead(404).end();
    if (key !== GOOD_KEY)
      return void response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad_key"}');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ data: { user: { id: 42, name: 'Ada', mail: 'ada@example.com' } } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seenKeys };
}

const apiKeyConnector = (key: string, checkUrl: string) => ({
  key,
  name: key,
  auth: { type: 'api_key', fields: [{ name: 'apiKey', label: 'API key', in: 'header', param: 'x-api-key' }] },
  check: {
    url: checkUrl,
    identity: { account_id: 'data.user.id', display_name: 'data.user.name', email: 'data.user.mail' },
  },
});

for (const dialect of DIALECTS) {
  describe(`connections API (${dialect})`, () => {
    let test: TestApp;
    let provider: Awaited<ReturnType<typeof startProvider>>;
    let alice: string;
    let bob: string;
    let admin: string;
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const inject = (
      token: string,
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      payload?: unknown,
    ) =>
      test.app.inject({
        method,
        url,
        headers: as(token),
        ...(payload !== undefined && { payload: payload as object }),
      });

    beforeAll(async () => {
      provider = await startProvider();
      test = await createTestApp(dialect, {
        env: { CONNECTORS_DIR: FIXTURES, ALLOW_INSECURE_CONNECTOR_URLS: 'true' },
      });
      alice = await tokenFor({ email: 'alice@example.com' });
      bob = await tokenFor({ email: 'bob@example.com' });
      admin = await tokenFor({ email: 'root@example.com', role: 'admin' });
      for (const key of ['keyed', 'extra-one', 'extra-two']) {
        const response = await inject(
          admin,
          'POST',
          '/api/connectors',
          apiKeyConnector(key, `${provider.url}/me`),
        );
        expect(response.statusCode, response.body).toBe(201);
      }
    });

    afterAll(async () => {
      await test?.close();
      await new Promise((resolve) => provider?.server.close(resolve));
    });

    it('401 without a token', async () => {
      expect((await test.app.inject({ method: 'GET', url: '/api/connections' })).statusCode).toBe(401);
    });

    it('POST: 201 pending; 400 listing every failing config field; 404 unknown connector; 409 when not loaded', async () => {
      const invalid = await inject(alice, 'POST', '/api/connections/', {
        connector_key: 'fixture-good',
        config_data: { site: 'Not Valid!', limit: 0 },
      });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().code).toBe('CFM_CONFIG_INVALID');
      const fields = invalid
        .json()
        .details.map((detail: { field: string }) => detail.field)
        .sort();
      expect(fields).toEqual(['config_data/limit', 'config_data/region', 'config_data/site']);

      const created = await inject(alice, 'POST', '/api/connections', {
        connector_key: 'fixture-good',
        config_data: { site: 'acme', region: 'eu' },
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).toMatchObject({
        connector_key: 'fixture-good',
        config_data: { site: 'acme', region: 'eu' },
        status: 'pending',
        status_reason: null,
        has_credentials: false,
        expires_at: null,
        identity: null,
        last_tested_at: null,
      });

      const unknown = await inject(alice, 'POST', '/api/connections', { connector_key: 'nope-nope' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().code).toBe('CFM_CONNECTOR_NOT_FOUND');
      const broken = await inject(alice, 'POST', '/api/connections', { connector_key: 'cfm-fixture-throws' });
      expect(broken.statusCode).toBe(409);
      expect(broken.json()).toMatchObject({
        code: 'CFM_CONNECTOR_NOT_LOADED',
        message: expect.stringMatching(/boom at import/),
      });
    });

    it('409 for a second connection to the same connector, also when requests race', async () => {
      const second = await inject(alice, 'POST', '/api/connections', {
        connector_key: 'fixture-good',
        config_data: { site: 'other', region: 'us' },
      });
      expect(second.statusCode).toBe(409);
      expect(second.json().code).toBe('CFM_CONNECTION_EXISTS');

      const racing = await Promise.all(
        Array.from({ length: 4 }, () =>
          inject(bob, 'POST', '/api/connections', {
            connector_key: 'extra-two',
            credentials: { type: 'api_key', values: { apiKey: 'x' } },
          }),
        ),
      );
      expect(racing.map((response) => response.statusCode).sort()).toEqual([201, 409, 409, 409]);
      const count = await test.handle.db
        .selectFrom('credentials')
        .innerJoin('connections', 'connections.id', 'credentials.connection_id')
        .innerJoin('connectors', 'connectors.id', 'connections.connector_id')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('connectors.key', '=', 'extra-two')
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(1);
    });

    it('409 for a disabled connector', async () => {
      expect(
        (
          await inject(admin, 'PUT', '/api/connectors/extra-one', {
            ...apiKeyConnector('x', `${provider.url}/me`),
            key: undefined,
            enabled: false,
          })
        ).statusCode,
      ).toBe(200);
      const response = await inject(alice, 'POST', '/api/connections', { connector_key: 'extra-one' });
      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('CFM_CONNECTOR_DISABLED');
      expect(
        (
          await inject(admin, 'PUT', '/api/connectors/extra-one', {
            enabled: true,
            ...apiKeyConnector('x', `${provider.url}/me`),
            key: undefined,
          })
        ).statusCode,
      ).toBe(200);
    });

    it('API-key credentials: checked against the fields, sealed, never returned; then tested end to end', async () => {
      const wrongFields = await inject(alice, 'POST', '/api/connections', {
        connector_key: 'keyed',
        credentials: { type: 'api_key', values: { token: GOOD_KEY } },
      });
      expect(wrongFields.statusCode).toBe(400);
      expect(wrongFields.json().code).toBe('CFM_CREDENTIALS_INVALID');
      expect(
        wrongFields
          .json()
          .details.map((detail: { field: string }) => detail.field)
          .sort(),
      ).toEqual(['credentials/values/apiKey', 'credentials/values/token']);
      const basic = await inject(alice, 'POST', '/api/connections', {
        connector_key: 'keyed',
        credentials: { type: 'basic', username: 'a', password: 'b' },
      });
      expect(basic.statusCode).toBe(400);
      const rows = await test.handle.db
        .selectFrom('connections')
        .innerJoin('connectors', 'connectors.id', 'connections.connector_id')
        .select('connections.id')
        .where('connectors.key', '=', 'keyed')
        .execute();
      expect(rows).toEqual([]);

      const created = await inject(alice, 'POST', '/api/connections', {
        connector_key: 'keyed',
        credentials: { type: 'api_key', values: { apiKey: GOOD_KEY } },
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).toMatchObject({ status: 'pending', has_credentials: true });
      expect(created.body).not.toContain(GOOD_KEY);
      const stored = await test.handle.db
        .selectFrom('credentials')
        .selectAll()
        .where('connection_id', '=', created.json().id)
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(stored)).not.toContain(GOOD_KEY);

      const tested = await inject(alice, 'POST', `/api/connections/${created.json().id}/test`);
      expect(tested.statusCode, tested.body).toBe(200);
      expect(tested.json()).toMatchObject({
        success: true,
        identity: { account_id: '42', display_name: 'Ada', email: 'ada@example.com' },
        sample_data: null,
      });
      expect(provider.seenKeys).toContain(GOOD_KEY);
      const after = await inject(alice, 'GET', `/api/connections/${created.json().id}`);
      expect(after.json()).toMatchObject({
        status: 'active',
        identity: { account_id: '42' },
        last_tested_at: expect.any(String),
      });
      expect(after.body).not.toContain(GOOD_KEY);
    });

    it('test: no credentials is an answer, not an error; a refused key marks the connection error', async () => {
      const list = await inject(alice, 'GET', '/api/connections?connector=fixture-good');
      const id = list.json().items[0].id;
      const tested = await inject(alice, 'POST', `/api/connections/${id}/test`);
      expect(tested.statusCode).toBe(200);
      expect(tested.json()).toEqual({
        success: false,
        message: 'No credentials: connect the account first',
        identity: null,
        sample_data: null,
      });
      const refused = await inject(bob, 'POST', '/api/connections', {
        connector_key: 'keyed',
        credentials: { type: 'api_key', values: { apiKey: 'wrong' } },
      });
      const outcome = await inject(bob, 'POST', `/api/connections/${refused.json().id}/test`);
      expect(outcome.json()).toMatchObject({ success: false });
      expect((await inject(bob, 'GET', `/api/connections/${refused.json().id}`)).json()).toMatchObject({
        status: 'error',
      });
    });

    it("another user's connection is always 404", async () => {
      const mine = (await inject(alice, 'GET', '/api/connections')).json().items[0].id;
      for (const [method, url, payload] of [
        ['GET', `/api/connections/${mine}`, undefined],
        ['PUT', `/api/connections/${mine}`, { config_data: {} }],
        ['DELETE', `/api/connections/${mine}`, undefined],
        ['POST', `/api/connections/${mine}/test`, undefined],
      ] as const) {
        const response = await inject(bob, method, url, payload);
        expect(response.statusCode, `${method} ${url}`).toBe(404);
        expect(response.json().code).toBe('CFM_CONNECTION_NOT_FOUND');
      }
      expect((await inject(alice, 'GET', '/api/connections/not-a-uuid')).statusCode).toBe(400);
    });

    it('GET list: pagination and filters', async () => {
      const carol = await tokenFor({ email: 'carol@example.com' });
      for (const key of ['keyed', 'extra-one', 'extra-two', 'acme-keys']) {
        expect((await inject(carol, 'POST', '/api/connections', { connector_key: key })).statusCode).toBe(
          201,
        );
      }
      const page = await inject(carol, 'GET', '/api/connections?limit=3&offset=0');
      expect(page.json()).toMatchObject({ total: 4, limit: 3, offset: 0 });
      expect(page.json().items).toHaveLength(3);
      const rest = await inject(carol, 'GET', '/api/connections/?limit=3&offset=3');
      expect(rest.json().items).toHaveLength(1);
      const ids = [...page.json().items, ...rest.json().items].map((item: { id: string }) => item.id);
      expect(new Set(ids).size).toBe(4);
      expect((await inject(carol, 'GET', '/api/connections')).json()).toMatchObject({
        limit: 20,
        offset: 0,
        total: 4,
      });

      await test.handle.db
        .updateTable('connections')
        .set({ status: 'active' })
        .where('id', '=', ids[0]!)
        .execute();
      const active = await inject(carol, 'GET', '/api/connections?status=active');
      expect(active.json()).toMatchObject({ total: 1, items: [{ id: ids[0], status: 'active' }] });
      const byConnector = await inject(carol, 'GET', '/api/connections?connector=acme-keys');
      expect(byConnector.json()).toMatchObject({ total: 1, items: [{ connector_key: 'acme-keys' }] });
      for (const query of ['limit=0', 'limit=101', 'offset=-1', 'status=bogus', 'extra=1']) {
        expect((await inject(carol, 'GET', `/api/connections?${query}`)).statusCode, query).toBe(400);
      }
    });

    it('PUT config_data: validated (400), saved (200); DELETE: 204 and credentials go with it', async () => {
      const id = (await inject(alice, 'GET', '/api/connections?connector=fixture-good')).json().items[0].id;
      const invalid = await inject(alice, 'PUT', `/api/connections/${id}`, { config_data: { site: 'ok' } });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json()).toMatchObject({
        code: 'CFM_CONFIG_INVALID',
        details: [{ field: 'config_data/region' }],
      });
      const saved = await inject(alice, 'PUT', `/api/connections/${id}`, {
        config_data: { site: 'ok', region: 'us' },
      });
      expect(saved.statusCode).toBe(200);
      expect(saved.json().config_data).toEqual({ site: 'ok', region: 'us' });

      const keyed = (await inject(alice, 'GET', '/api/connections?connector=keyed')).json().items[0].id;
      expect((await inject(alice, 'DELETE', `/api/connections/${keyed}`)).statusCode).toBe(204);
      expect((await inject(alice, 'GET', `/api/connections/${keyed}`)).statusCode).toBe(404);
      expect((await inject(alice, 'DELETE', `/api/connections/${keyed}`)).statusCode).toBe(404);
      const credentials = await test.handle.db
        .selectFrom('credentials')
        .select('id')
        .where('connection_id', '=', keyed)
        .execute();
      expect(credentials).toEqual([]);
    });
  });
}
