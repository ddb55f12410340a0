import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceKeyHarness, startServiceKeyHarness } from '../service-keys/test/service-key-harness.js';

const DIALECTS = await testDialects();

/** A custom connector taking an API key; its check URL is never called here. */
const apiKeyConnector = (key: string) => ({
  key,
  name: key,
  auth: { type: 'api_key', fields: [{ name: 'apiKey', label: 'API key', in: 'header', param: 'x-api-key' }] },
  check: { url: 'http://127.0.0.1:9/me', identity: { account_id: 'id' } },
});

interface Listed {
  items: Array<{ id: string; connector_key: string; user?: { id: string; email: string; subject: string } }>;
  total: number;
}

for (const dialect of DIALECTS) {
  describe(`connections:read, user tokens vs service keys (${dialect})`, () => {
    let h: ServiceKeyHarness;
    let reader: string;
    let aliceConnection: string;
    let bobConnections: string[];

    beforeAll(async () => {
      h = await startServiceKeyHarness(dialect, { ALLOW_INSECURE_CONNECTOR_URLS: 'true' });
      for (const key of ['read-one', 'read-two']) {
        const declared = await h.call(h.adminToken, 'POST', '/api/connectors/', apiKeyConnector(key));
        expect(declared.statusCode, declared.body).toBe(201);
      }
      const create = async (token: string, connectorKey: string) => {
        const created = await h.call(token, 'POST', '/api/connections/', { connector_key: connectorKey });
        expect(created.statusCode, created.body).toBe(201);
        return created.json().id as string;
      };
      aliceConnection = await create(h.aliceToken, 'read-one');
      bobConnections = [await create(h.bobToken, 'read-one'), await create(h.bobToken, 'read-two')];
      reader = (await h.createKey(['connections:read'])).key;
    });
    afterAll(() => h?.close());

    it("lists every user's connections for a service key, each with its owner", async () => {
      const response = await h.call(reader, 'GET', '/api/connections/');
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json<Listed>();
      expect(body.total).toBe(3);
      const owners = Object.fromEntries(body.items.map((item) => [item.id, item.user?.email]));
      expect(owners).toEqual({
        [aliceConnection]: 'alice@example.com',
        [bobConnections[0]!]: 'bob@example.com',
        [bobConnections[1]!]: 'bob@example.com',
      });
      expect(body.items.find((item) => item.id === aliceConnection)?.user).toEqual({
        id: expect.any(String),
        email: 'alice@example.com',
        subject: 'sk|alice',
      });
    });

    it('counts the total beyond a full page, with each filter (the count joins what the filter names)', async () => {
      const total = async (query: string) => {
        const response = await h.call(reader, 'GET', `/api/connections/?limit=1${query}`);
        expect(response.statusCode, response.body).toBe(200);
        const body = response.json<Listed>();
        expect(body.items).toHaveLength(1);
        return body.total;
      };
      expect(await total('')).toBe(3);
      expect(await total('&user=BOB%40example.com')).toBe(2);
      expect(await total('&user=sk%7Cbob')).toBe(2);
      expect(await total('&connector=read-one')).toBe(2);
      expect(await total('&user=sk%7Cbob&connector=read-one')).toBe(1);
      expect(await total('&status=pending')).toBe(3);
      const pastEnd = await h.call(reader, 'GET', '/api/connections/?limit=1&offset=5&connector=read-one');
      expect(pastEnd.json<Listed>()).toMatchObject({ items: [], total: 2 });
    });

    it('filters by ?user= as an email (any case) or a JWT sub; an unknown user has no connections', async () => {
      const ids = async (user: string, extra = '') => {
        const response = await h.call(
          reader,
          'GET',
          `/api/connections/?user=${encodeURIComponent(user)}${extra}`,
        );
        expect(response.statusCode, response.body).toBe(200);
        const body = response.json<Listed>();
        expect(body.total).toBe(body.items.length);
        return body.items.map((item) => item.id).sort();
      };
      expect(await ids('alice@example.com')).toEqual([aliceConnection]);
      expect(await ids('ALICE@Example.com')).toEqual([aliceConnection]);
      expect(await ids('sk|bob')).toEqual([...bobConnections].sort());
      expect(await ids('sk|bob', '&connector=read-two')).toEqual([bobConnections[1]]);
      expect(await ids('nobody@example.com')).toEqual([]);
      expect(await ids("' or 1=1 --")).toEqual([]);
    });

    it("reads any user's connection by id for a service key", async () => {
      const response = await h.call(reader, 'GET', `/api/connections/${bobConnections[0]}`);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ id: bobConnections[0], user: { email: 'bob@example.com' } });
      const missing = await h.call(reader, 'GET', `/api/connections/${crypto.randomUUID()}`);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('CFM_CONNECTION_NOT_FOUND');
    });

    it('keeps a user token to its own connections, without an owner field, and refuses ?user=', async () => {
      const own = await h.call(h.aliceToken, 'GET', '/api/connections/');
      expect(own.statusCode).toBe(200);
      expect(own.json<Listed>().items.map((item) => item.id)).toEqual([aliceConnection]);
      expect(own.json<Listed>().items[0]).not.toHaveProperty('user');
      const other = await h.call(h.aliceToken, 'GET', `/api/connections/${bobConnections[0]}`);
      expect(other.statusCode).toBe(404);
      expect(other.json().code).toBe('CFM_CONNECTION_NOT_FOUND');
      for (const user of ['bob@example.com', 'alice@example.com']) {
        const filtered = await h.call(
          h.aliceToken,
          'GET',
          `/api/connections/?user=${encodeURIComponent(user)}`,
        );
        expect(filtered.statusCode, user).toBe(403);
        expect(filtered.json().code).toBe('CFM_FORBIDDEN');
        expect(filtered.body).not.toContain(bobConnections[0]);
      }
    });

    it('refuses keys without connections:read, and every key on the writing routes', async () => {
      const { key: proxyOnly } = await h.createKey(['connections:proxy']);
      const list = await h.call(proxyOnly, 'GET', '/api/connections/?user=bob@example.com');
      expect(list.statusCode).toBe(403);
      expect(list.json().code).toBe('CFM_SCOPE_MISSING');
      for (const [method, url] of [
        ['PUT', `/api/connections/${bobConnections[0]}`],
        ['DELETE', `/api/connections/${bobConnections[0]}`],
        ['POST', `/api/connections/${bobConnections[0]}/test`],
      ] as const) {
        const response = await h.call(
          reader,
          method,
          url,
          method === 'DELETE' ? undefined : { config_data: {} },
        );
        expect(response.statusCode, `${method} ${url}`).toBe(403);
        expect(response.json().code).toBe('CFM_FORBIDDEN');
      }
      expect((await h.call(h.bobToken, 'GET', `/api/connections/${bobConnections[0]}`)).statusCode).toBe(200);
    });
  });
}
