import { generateKeyPairSync } from 'node:crypto';
import { testDialects } from '@cfm/db/testing';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_JWT_SECRET, type TestApp, tokenFor } from '../test/helpers.js';

const DIALECTS = await testDialects();
const secretKey = new TextEncoder().encode(TEST_JWT_SECRET);
const inOneHour = () => Math.floor(Date.now() / 1000) + 3600;

for (const dialect of DIALECTS) {
  describe(dialect, () => {
    let test: TestApp;
    const me = (authorization?: string) =>
      test.app.inject({
        method: 'GET',
        url: '/api/me',
        headers: authorization === undefined ? {} : { authorization },
      });

    beforeAll(async () => {
      test = await createTestApp(dialect, {
        prepare: (app) => {
          app.get('/test/admin-only', { preHandler: app.requireAdmin }, async (request) => ({
            role: request.user?.role,
          }));
          app.get(
            '/test/cached-user',
            { preHandler: app.authenticate, config: { cachedUser: true } },
            async (request) => request.user,
          );
        },
      });
    });
    afterAll(() => test?.close());

    it('accepts a valid token, creates the user and answers /api/me', async () => {
      const response = await me(`Bearer ${await tokenFor({ email: 'Ada@Example.com', subject: 'ada' })}`);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email: 'ada@example.com',
        role: 'user',
      });
      const rows = await test.handle.db
        .selectFrom('users')
        .selectAll()
        .where('subject', '=', 'ada')
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.id).toBe(body.id);
    });

    it('keeps the email and role in sync with the claims', async () => {
      const first = await me(`Bearer ${await tokenFor({ email: 'old@example.com', subject: 'sync' })}`);
      const second = await me(
        `Bearer ${await tokenFor({ email: 'new@example.com', subject: 'sync', role: 'admin' })}`,
      );
      expect(second.json()).toEqual({ id: first.json().id, email: 'new@example.com', role: 'admin' });
    });

    it('answers 409 CFM_EMAIL_CONFLICT when another subject holds the email', async () => {
      await me(`Bearer ${await tokenFor({ email: 'shared@example.com', subject: 'one' })}`);
      const response = await me(`Bearer ${await tokenFor({ email: 'shared@example.com', subject: 'two' })}`);
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({
        statusCode: 409,
        code: 'CFM_EMAIL_CONFLICT',
        error: 'Conflict',
      });
    });

    it('survives concurrent first requests of one user', async () => {
      const token = await tokenFor({ email: 'burst@example.com', subject: 'burst' });
      const responses = await Promise.all(Array.from({ length: 8 }, () => me(`Bearer ${token}`)));
      expect(responses.map((response) => response.statusCode)).toEqual(Array(8).fill(200));
      expect(new Set(responses.map((response) => response.json().id)).size).toBe(1);
    });

    it('cachedUser routes: a user row deleted meanwhile breaks nothing, and is re-created', async () => {
      const authorization = `Bearer ${await tokenFor({ email: 'gone@example.com', subject: 'gone' })}`;
      const cached = () =>
        test.app.inject({ method: 'GET', url: '/test/cached-user', headers: { authorization } });
      const first = (await me(authorization)).json().id;
      expect((await cached()).json()).toMatchObject({ id: first, subject: 'gone' });
      await test.handle.db.deleteFrom('users').where('subject', '=', 'gone').execute();
      // Served from the cache: the old id, whose rows went with it; a read just finds nothing.
      expect((await cached()).json().id).toBe(first);
      const list = await test.app.inject({
        method: 'GET',
        url: '/api/connections',
        headers: { authorization },
      });
      expect(list.statusCode).toBe(200);
      expect(list.json()).toMatchObject({ items: [], total: 0 });
      // A route that reads the row re-creates it, and cached routes follow the new row at once.
      const second = (await me(authorization)).json().id;
      expect(second).not.toBe(first);
      expect((await cached()).json().id).toBe(second);
      const rows = await test.handle.db
        .selectFrom('users')
        .select('id')
        .where('subject', '=', 'gone')
        .execute();
      expect(rows).toEqual([{ id: second }]);
    });

    it('cachedUser routes still sync email and role, and still answer 409 on an email conflict', async () => {
      const call = async (claims: { email: string; subject: string; role?: 'admin' }) =>
        test.app.inject({
          method: 'GET',
          url: '/test/cached-user',
          headers: { authorization: `Bearer ${await tokenFor(claims)}` },
        });
      const first = (await call({ email: 'c1@example.com', subject: 'cached-sync' })).json();
      const second = await call({ email: 'c2@example.com', subject: 'cached-sync', role: 'admin' });
      expect(second.json()).toMatchObject({ id: first.id, email: 'c2@example.com', role: 'admin' });
      const row = await test.handle.db
        .selectFrom('users')
        .select(['email', 'role'])
        .where('subject', '=', 'cached-sync')
        .executeTakeFirst();
      expect(row).toEqual({ email: 'c2@example.com', role: 'admin' });
      const conflict = await call({ email: 'c2@example.com', subject: 'someone-else' });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json().code).toBe('CFM_EMAIL_CONFLICT');
    });

    it('answers 401 CFM_AUTH_REQUIRED without credentials', async () => {
      for (const header of [undefined, 'Basic dXNlcjpwYXNz']) {
        const response = await me(header);
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer');
        expect(response.json()).toMatchObject({
          statusCode: 401,
          code: 'CFM_AUTH_REQUIRED',
          error: 'Unauthorized',
        });
      }
    });

    it('answers 401 CFM_TOKEN_EXPIRED for an expired token', async () => {
      const token = await new SignJWT({ email: 'late@example.com' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('late')
        .setExpirationTime(Math.floor(Date.now() / 1000) - 120)
        .sign(secretKey);
      const response = await me(`Bearer ${token}`);
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('CFM_TOKEN_EXPIRED');
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    const forged = async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return {
        malformed: 'not-a-jwt',
        garbage: 'aaa.bbb.ccc',
        'wrong secret': await tokenFor(
          { email: 'x@example.com' },
          { secret: 'another-secret-another-secret-123' },
        ),
        'alg none': new UnsecuredJWT({ email: 'x@example.com', sub: 'x' }).setExpirationTime('1h').encode(),
        HS512: await new SignJWT({ email: 'x@example.com' })
          .setProtectedHeader({ alg: 'HS512' })
          .setSubject('x')
          .setExpirationTime(inOneHour())
          .sign(secretKey),
        RS256: await new SignJWT({ email: 'x@example.com' })
          .setProtectedHeader({ alg: 'RS256' })
          .setSubject('x')
          .setExpirationTime(inOneHour())
          .sign(privateKey),
        'no exp': await new SignJWT({ email: 'x@example.com' })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('x')
          .sign(secretKey),
        'no email': await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('x')
          .setExpirationTime(inOneHour())
          .sign(secretKey),
      };
    };

    it('answers 401 CFM_TOKEN_INVALID for malformed, forged and wrong-algorithm tokens', async () => {
      for (const [name, token] of Object.entries(await forged())) {
        const response = await me(`Bearer ${token}`);
        expect(response.statusCode, name).toBe(401);
        expect(response.json().code, name).toBe('CFM_TOKEN_INVALID');
        expect(response.headers['www-authenticate'], name).toContain('Bearer error="invalid_token"');
        expect(response.body, name).not.toContain(token);
      }
      const tampered = (await tokenFor({ email: 'x@example.com' })).slice(0, -2);
      expect((await me(`Bearer ${tampered}AA`)).json().code).toBe('CFM_TOKEN_INVALID');
    });

    it('answers 403 CFM_FORBIDDEN on admin routes for non-admins, and lets admins in', async () => {
      const user = await test.app.inject({
        method: 'GET',
        url: '/test/admin-only',
        headers: { authorization: `Bearer ${await tokenFor({ email: 'plain@example.com' })}` },
      });
      expect(user.statusCode).toBe(403);
      expect(user.json()).toMatchObject({ statusCode: 403, code: 'CFM_FORBIDDEN', error: 'Forbidden' });
      const admin = await test.app.inject({
        method: 'GET',
        url: '/test/admin-only',
        headers: { authorization: `Bearer ${await tokenFor({ email: 'boss@example.com', role: 'admin' })}` },
      });
      expect(admin.statusCode).toBe(200);
      expect(admin.json()).toEqual({ role: 'admin' });
      const anonymous = await test.app.inject({ method: 'GET', url: '/test/admin-only' });
      expect(anonymous.statusCode).toBe(401);
    });
  });

  describe(`${dialect} with JWT_ISSUER and JWT_AUDIENCE`, () => {
    let test: TestApp;
    beforeAll(async () => {
      test = await createTestApp(dialect, {
        env: { JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'cfm' },
      });
    });
    afterAll(() => test?.close());

    it('accepts matching iss/aud and rejects mismatches', async () => {
      const call = async (settings: { issuer?: string; audience?: string }) =>
        test.app.inject({
          method: 'GET',
          url: '/api/me',
          headers: { authorization: `Bearer ${await tokenFor({ email: 'iss@example.com' }, settings)}` },
        });
      expect((await call({ issuer: 'https://issuer.test', audience: 'cfm' })).statusCode).toBe(200);
      for (const settings of [
        { issuer: 'https://other.test', audience: 'cfm' },
        { issuer: 'https://issuer.test', audience: 'other' },
        {},
      ]) {
        const response = await call(settings);
        expect(response.statusCode).toBe(401);
        expect(response.json().code).toBe('CFM_TOKEN_INVALID');
      }
    });
  });
}
