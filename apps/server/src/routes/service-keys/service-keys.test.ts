import { createHash, randomUUID } from 'node:crypto';
import { createDatabase, type DatabaseHandle } from '@cfm/db';
import { testDialects } from '@cfm/db/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../app.js';
import { generateServiceKey } from '../../services/service-keys/service-key-secret.js';
import { SERVICE_SCOPES } from '../../services/service-keys/service-scopes.js';
import { testConfig } from '../../test/helpers.js';
import { type ServiceKeyHarness, startServiceKeyHarness } from './test/service-key-harness.js';

const DIALECTS = await testDialects();
const INVALID_TOKEN = /^Bearer error="invalid_token"/;

for (const dialect of DIALECTS) {
  describe(`service keys: lifecycle (${dialect})`, () => {
    let h: ServiceKeyHarness;
    let other: { app: FastifyInstance; handle: DatabaseHandle } | undefined;

    beforeAll(async () => {
      h = await startServiceKeyHarness(dialect);
    });
    afterAll(async () => {
      await other?.app.close();
      await other?.handle.close();
      await h?.close();
    });

    it('shows a new key once, stores only its hash, and never lists the key or the hash', async () => {
      const created = await h.call(h.adminToken, 'POST', '/api/service-keys', {
        name: 'billing',
        scopes: ['connections:proxy', 'connections:read'],
        expires_in_days: 90,
      });
      expect(created.statusCode, created.body).toBe(201);
      const body = created.json();
      expect(Object.keys(body).sort()).toEqual([
        'created_at',
        'expires_at',
        'id',
        'key',
        'key_prefix',
        'name',
        'scopes',
      ]);
      expect(body.key).toMatch(/^cfm_sk_[A-Za-z0-9_-]{43}$/);
      expect(body.key_prefix).toBe(body.key.slice(0, 12));
      expect(body.scopes).toEqual(['connections:proxy', 'connections:read']);
      const days = (Date.parse(body.expires_at) - Date.parse(body.created_at)) / 86_400_000;
      expect(days).toBe(90);

      const row = await h.test.handle.db
        .selectFrom('service_keys')
        .selectAll()
        .where('id', '=', body.id)
        .executeTakeFirstOrThrow();
      const hash = createHash('sha256').update(body.key).digest('hex');
      expect(row.key_hash).toBe(hash);
      expect(JSON.stringify(row)).not.toContain(body.key.slice(7));

      const listed = await h.call(h.adminToken, 'GET', '/api/service-keys');
      expect(listed.statusCode).toBe(200);
      expect(listed.body).not.toContain(body.key.slice(7));
      expect(listed.body).not.toContain(hash);
      const item = listed.json().items.find((key: { id: string }) => key.id === body.id);
      const admin = await h.test.handle.db
        .selectFrom('users')
        .select('id')
        .where('subject', '=', 'sk|root')
        .executeTakeFirstOrThrow();
      expect(item).toEqual({
        id: body.id,
        name: 'billing',
        scopes: ['connections:proxy', 'connections:read'],
        key_prefix: body.key_prefix,
        status: 'active',
        created_by: admin.id,
        created_at: body.created_at,
        expires_at: body.expires_at,
        revoked_at: null,
        last_used_at: null,
      });
    });

    it('refuses bad bodies with 400 CFM_VALIDATION', async () => {
      const bodies = [
        { name: 'x', scopes: ['connections:everything'] },
        { name: 'x', scopes: [] },
        { name: 'x', scopes: ['connections:read', 'connections:read'] },
        { name: 'x', scopes: ['connections:read'], expires_in_days: 0 },
        { name: 'line\nbreak', scopes: ['connections:read'] },
        { name: 'x', scopes: ['connections:read'], created_by: 'someone' },
      ];
      for (const body of bodies) {
        const response = await h.call(h.adminToken, 'POST', '/api/service-keys', body);
        expect(response.statusCode, JSON.stringify(body)).toBe(400);
        expect(response.json().code).toBe('CFM_VALIDATION');
      }
    });

    it('works until revoked, then is refused at once, also by another server on the same database', async () => {
      const { id, key } = await h.createKey(['connections:read']);
      const handle = createDatabase(h.test.config.databaseUrl);
      other = {
        handle,
        app: await buildApp(testConfig({ DATABASE_URL: h.test.config.databaseUrl }), {
          logStream: false,
          database: handle,
        }),
      };
      const apps = [h.test.app, other.app];
      for (const app of apps) {
        const response = await app.inject({
          url: '/api/connections/',
          headers: { authorization: `Bearer ${key}` },
        });
        expect(response.statusCode, response.body).toBe(200);
      }

      expect((await h.call(h.adminToken, 'DELETE', `/api/service-keys/${id}`)).statusCode).toBe(204);
      for (const app of apps) {
        const response = await app.inject({
          url: '/api/connections/',
          headers: { authorization: `Bearer ${key}` },
        });
        expect(response.statusCode).toBe(401);
        expect(response.json().code).toBe('CFM_SERVICE_KEY_REVOKED');
        expect(response.headers['www-authenticate']).toMatch(INVALID_TOKEN);
      }

      // Revoking again changes nothing; an unknown id is a 404.
      const listedBefore = (await h.call(h.adminToken, 'GET', '/api/service-keys')).json();
      expect((await h.call(h.adminToken, 'DELETE', `/api/service-keys/${id}`)).statusCode).toBe(204);
      const listedAfter = (await h.call(h.adminToken, 'GET', '/api/service-keys')).json();
      const revoked = listedAfter.items.find((item: { id: string }) => item.id === id);
      expect(revoked.status).toBe('revoked');
      expect(revoked.revoked_at).toBe(
        listedBefore.items.find((item: { id: string }) => item.id === id).revoked_at,
      );
      const unknown = await h.call(h.adminToken, 'DELETE', `/api/service-keys/${randomUUID()}`);
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().code).toBe('CFM_SERVICE_KEY_NOT_FOUND');
    });

    it('refuses an expired key with 401 CFM_SERVICE_KEY_EXPIRED', async () => {
      const { id, key } = await h.createKey(['connections:read'], { expires_in_days: 1 });
      expect((await h.call(key, 'GET', '/api/connections/')).statusCode).toBe(200);
      await h.test.handle.db
        .updateTable('service_keys')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('id', '=', id)
        .execute();
      const response = await h.call(key, 'GET', '/api/connections/');
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('CFM_SERVICE_KEY_EXPIRED');
      expect(response.headers['www-authenticate']).toMatch(INVALID_TOKEN);
      const listed = (await h.call(h.adminToken, 'GET', '/api/service-keys')).json();
      expect(listed.items.find((item: { id: string }) => item.id === id).status).toBe('expired');
    });

    it('records the last use at most once a minute (and one service_key.use event)', async () => {
      const { id, key } = await h.createKey(['connections:read']);
      for (let attempt = 0; attempt < 5; attempt++) {
        expect((await h.call(key, 'GET', '/api/connections/')).statusCode).toBe(200);
      }
      const lastUsed = async () =>
        (
          await h.test.handle.db
            .selectFrom('service_keys')
            .select('last_used_at')
            .where('id', '=', id)
            .executeTakeFirstOrThrow()
        ).last_used_at;
      await vi.waitFor(async () => expect(await lastUsed()).toBeInstanceOf(Date));
      const first = await lastUsed();
      await h.call(key, 'GET', '/api/connections/');
      // Let a (wrong) background write land before checking that none happened.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await lastUsed()).toEqual(first);
      const uses = await h.test.handle.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'service_key.use')
        .where('actor_id', '=', id)
        .execute();
      expect(uses).toHaveLength(1);
      expect(uses[0]).toMatchObject({ actor_type: 'service', outcome: 'success', detail: { method: 'GET' } });
    });
  });

  describe(`service keys: scopes and abuse (${dialect})`, () => {
    let h: ServiceKeyHarness;
    beforeAll(async () => {
      h = await startServiceKeyHarness(dialect);
    });
    afterAll(() => h?.close());

    const missing = randomUUID();
    /** One request per scope-guarded route, and what it answers once authorized (no such connection). */
    const ROUTES = [
      { scope: 'connections:read', method: 'GET', url: '/api/connections/', granted: 200 },
      { scope: 'connections:read', method: 'GET', url: `/api/connections/${missing}`, granted: 404 },
      {
        scope: 'connections:proxy',
        method: 'GET',
        url: `/api/connections/${missing}/proxy/v1/me`,
        granted: 404,
      },
      {
        scope: 'connections:proxy',
        method: 'POST',
        url: `/api/connections/${missing}/proxy/v1/me`,
        granted: 404,
      },
      { scope: 'connections:token', method: 'GET', url: `/api/connections/${missing}/token`, granted: 404 },
      {
        scope: 'connections:actions',
        method: 'POST',
        url: `/api/connections/${missing}/actions/do_it`,
        granted: 404,
      },
      { scope: 'metrics:read', method: 'GET', url: '/test/metrics-like', granted: 200 },
    ] as const;

    it('each scope grants its routes and only those (403 CFM_SCOPE_MISSING naming the scope)', async () => {
      for (const scope of SERVICE_SCOPES) {
        const { key } = await h.createKey([scope]);
        for (const route of ROUTES) {
          const response = await h.call(
            key,
            route.method,
            route.url,
            route.method === 'POST' ? {} : undefined,
          );
          const where = `${scope} → ${route.method} ${route.url}: ${response.body}`;
          if (route.scope === scope) {
            expect(response.statusCode, where).toBe(route.granted);
          } else {
            expect(response.statusCode, where).toBe(403);
            expect(response.json().code, where).toBe('CFM_SCOPE_MISSING');
            expect(response.json().message, where).toContain(route.scope);
          }
        }
      }
    });

    it('keeps user tokens as they were: own routes yes, token route and admin routes no', async () => {
      const token = await h.call(h.aliceToken, 'GET', `/api/connections/${missing}/token`);
      expect(token.statusCode).toBe(403);
      expect(token.json()).toMatchObject({ code: 'CFM_FORBIDDEN' });
      expect(token.json().message).toContain('connections:token');
      expect((await h.call(h.aliceToken, 'GET', `/api/connections/${missing}/proxy/v1/me`)).statusCode).toBe(
        404,
      );
      expect((await h.call(h.aliceToken, 'GET', '/test/metrics-like')).statusCode).toBe(403);
      expect((await h.call(h.adminToken, 'GET', '/test/metrics-like')).json()).toEqual({ principal: 'user' });
      for (const url of ['/api/service-keys', '/api/audit-events']) {
        const response = await h.call(h.aliceToken, 'GET', url);
        expect(response.statusCode, url).toBe(403);
        expect(response.json().code).toBe('CFM_FORBIDDEN');
      }
      // A bad JWT on a service-only route is still a 401, not a 403.
      const bad = await h.call(`${h.aliceToken}x`, 'GET', `/api/connections/${missing}/token`);
      expect(bad.statusCode).toBe(401);
      expect(bad.json().code).toBe('CFM_TOKEN_INVALID');
    });

    it('never lets a service key reach admin or user-only routes, whatever its scopes', async () => {
      const { id, key } = await h.createKey([...SERVICE_SCOPES]);
      const requests = [
        ['GET', '/api/service-keys'],
        ['POST', '/api/service-keys', { name: 'escalate', scopes: ['connections:token'] }],
        ['DELETE', `/api/service-keys/${id}`],
        ['GET', '/api/audit-events'],
        // Refused before its (invalid) body is looked at.
        ['POST', '/api/connectors/', { nonsense: true }],
        ['GET', '/api/me'],
        ['POST', '/api/connections/', { connector_key: 'slack' }],
        ['DELETE', `/api/connections/${missing}`],
        ['GET', '/api/connectors/'],
      ] as const;
      for (const [method, url, payload] of requests) {
        const response = await h.call(key, method, url, payload);
        expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(403);
        expect(response.json().code).toBe('CFM_FORBIDDEN');
      }
      const admin = await h.call(key, 'GET', '/api/service-keys');
      expect(admin.json().message).toContain('admin');
      const { key: proxyKey } = await h.createKey(['connections:proxy']);
      for (const url of ['/test/stacked-admin', '/test/stacked-user']) {
        const response = await h.call(proxyKey, 'GET', url);
        expect(response.statusCode, url).toBe(403);
        expect(response.json().code).toBe('CFM_FORBIDDEN');
      }
      expect((await h.call(h.adminToken, 'GET', '/test/stacked-admin')).statusCode).toBe(200);
      expect((await h.call(h.aliceToken, 'GET', '/test/stacked-admin')).statusCode).toBe(403);
      expect((await h.call(h.aliceToken, 'GET', '/test/stacked-user')).statusCode).toBe(200);
      // Still usable: nothing above revoked it.
      expect((await h.call(key, 'GET', '/api/connections/')).statusCode).toBe(200);
    });

    it('refuses malformed, truncated, forged and huge keys with 401 and never a 5xx', async () => {
      const { key } = await h.createKey(['connections:read']);
      const cases: Array<[authorization: string, code: string]> = [
        [`Bearer ${generateServiceKey()}`, 'CFM_SERVICE_KEY_INVALID'], // right prefix and shape, wrong bytes
        [`Bearer ${key.slice(0, -1)}`, 'CFM_SERVICE_KEY_INVALID'], // truncated
        [`Bearer ${key}A`, 'CFM_SERVICE_KEY_INVALID'], // one character too many
        [`Bearer ${key.slice(0, 20)}`, 'CFM_SERVICE_KEY_INVALID'],
        ['Bearer cfm_sk_', 'CFM_SERVICE_KEY_INVALID'],
        [`Bearer cfm_sk_${'$'.repeat(43)}`, 'CFM_SERVICE_KEY_INVALID'], // not base64url
        [`Bearer ${key.replace('cfm_sk_', 'cfm_pk_')}`, 'CFM_TOKEN_INVALID'], // another format: a (bad) JWT
        [`Bearer sk_live_${key.slice(7)}`, 'CFM_TOKEN_INVALID'],
        [`Bearer ${key.toUpperCase()}`, 'CFM_TOKEN_INVALID'], // CFM_SK_…: not our prefix
        [`Basic ${Buffer.from(`${key}:`).toString('base64')}`, 'CFM_AUTH_REQUIRED'],
        [`Bearer cfm_sk_${'A'.repeat(12_000)}`, 'CFM_SERVICE_KEY_INVALID'],
        [`Bearer ${'A'.repeat(12_000)}`, 'CFM_TOKEN_INVALID'],
      ];
      for (const [authorization, code] of cases) {
        const started = performance.now();
        const response = await h.test.app.inject({ url: '/api/connections/', headers: { authorization } });
        const label = authorization.slice(0, 40);
        expect(response.statusCode, label).toBe(401);
        expect(response.json().code, label).toBe(code);
        expect(response.body, label).not.toContain(key.slice(7));
        expect(performance.now() - started, label).toBeLessThan(1000);
      }
      // The real key still works after all that.
      expect((await h.call(key, 'GET', '/api/connections/')).statusCode).toBe(200);
    });

    it('answers a header too large for the HTTP server with 431, not a crash', async () => {
      await h.test.app.listen({ port: 0, host: '127.0.0.1' });
      const address = h.test.app.server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${address.port}/api/connections/`, {
        headers: { authorization: `Bearer cfm_sk_${'A'.repeat(64 * 1024)}` },
      });
      expect(response.status).toBe(431);
      const { key } = await h.createKey(['connections:read']);
      const after = await fetch(`http://127.0.0.1:${address.port}/api/connections/`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(after.status).toBe(200);
    });
  });
}
