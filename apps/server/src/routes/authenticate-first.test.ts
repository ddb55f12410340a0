import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, tokenFor } from '../test/helpers.js';

const DIALECTS = await testDialects();

/**
 * Authentication and authorization come before the body is parsed and validated: a caller without
 * the right learns nothing of a route's schema (no `details`), and pays for no parsing.
 */
for (const dialect of DIALECTS) {
  describe(`authenticate, then authorize, then validate (${dialect})`, () => {
    let test: TestApp;
    let alice: string;

    beforeAll(async () => {
      test = await createTestApp(dialect, {
        prepare: (app) => {
          app.get(
            '/test/cached-user-on-request',
            { onRequest: app.authenticate, config: { cachedUser: true } },
            async (request) => request.user,
          );
        },
      });
      alice = await tokenFor({ email: 'alice@example.com', subject: 'alice' });
    });

    afterAll(async () => {
      await test?.close();
    });

    const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, payload: string, token?: string) =>
      test.app.inject({
        method,
        url,
        headers: {
          'content-type': 'application/json',
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
        },
        payload,
      });

    it('an anonymous caller gets 401 whatever the body: bad, malformed, too deep', async () => {
      const bodies = [
        '{"connector_key":5,"bogus":true}',
        '{"connector_key":',
        `${'['.repeat(500)}${']'.repeat(500)}`,
      ];
      for (const body of bodies) {
        for (const [method, url] of [
          ['POST', '/api/connections/'],
          ['PUT', '/api/connections/00000000-0000-4000-8000-000000000000'],
          ['POST', '/api/connectors/'],
          ['PUT', '/api/connectors/acme'],
        ] as const) {
          const response = await send(method, url, body);
          expect(response.statusCode, `${method} ${url} ${response.body}`).toBe(401);
          expect(response.json()).toMatchObject({ code: 'CFM_AUTH_REQUIRED' });
          expect(response.json()).not.toHaveProperty('details');
        }
      }
    });

    it('a bad path parameter is not validated for an anonymous caller either', async () => {
      const response = await test.app.inject({ method: 'GET', url: '/api/connections/not-a-uuid' });
      expect(response.statusCode, response.body).toBe(401);
    });

    it('a non-admin gets 403 on the admin routes whatever the body', async () => {
      for (const [method, url] of [
        ['POST', '/api/connectors/'],
        ['PUT', '/api/connectors/acme'],
        ['DELETE', '/api/connectors/acme'],
      ] as const) {
        const response = await send(method, url, '{"key":"Not A Key!","auth":{"type":"nonsense"}}', alice);
        expect(response.statusCode, `${method} ${url} ${response.body}`).toBe(403);
        expect(response.json()).toMatchObject({ code: 'CFM_FORBIDDEN' });
      }
    });

    it('an authenticated caller still gets the validation details', async () => {
      const response = await send('POST', '/api/connections/', '{"connector_key":5}', alice);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'CFM_VALIDATION',
        details: [{ field: 'body/connector_key', message: 'must be string' }],
      });
    });

    it('route config (cachedUser) is read in onRequest', async () => {
      const authorization = `Bearer ${await tokenFor({ email: 'cached@example.com', subject: 'cached' })}`;
      const cached = () =>
        test.app.inject({ method: 'GET', url: '/test/cached-user-on-request', headers: { authorization } });
      const first = (await cached()).json().id;
      await test.handle.db.deleteFrom('users').where('subject', '=', 'cached').execute();
      // Only a cache hit answers the deleted row's id: without the route config it would be upserted anew.
      expect((await cached()).json().id).toBe(first);
    });
  });
}
