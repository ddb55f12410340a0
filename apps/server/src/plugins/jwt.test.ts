import { testDialects } from '@cfm/db/testing';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, TEST_JWT_SECRET, type TestApp, tokenFor } from '../test/helpers.js';

const DIALECTS = await testDialects();
const secretKey = new TextEncoder().encode(TEST_JWT_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** An HS256 token with the JWT_SECRET and exactly these claims (`sub` and `email` defaulted). */
function signed(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ sub: 'mallory', email: 'mallory@example.com', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(secretKey);
}

for (const dialect of DIALECTS) {
  describe(`JWT lifetime, clock skew and claims (${dialect})`, () => {
    let test: TestApp;
    const me = (token: string) =>
      test.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });

    beforeAll(async () => {
      test = await createTestApp(dialect);
    });
    afterAll(() => test?.close());
    afterEach(() => {
      vi.useRealTimers();
    });

    async function expectRefused(token: string, message: RegExp) {
      const response = await me(token);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'CFM_TOKEN_INVALID', error: 'Unauthorized' });
      expect(response.json().message).toMatch(message);
      expect(response.headers['www-authenticate']).toContain('Bearer error="invalid_token"');
      expect(response.body).not.toContain(token);
    }

    it('refuses a token valid for a century, with or without iat', async () => {
      const now = nowSeconds();
      await expectRefused(await signed({ iat: now, exp: now + 100 * 365 * 86_400 }), /valid for longer/);
      await expectRefused(await signed({ exp: now + 100 * 365 * 86_400 }), /valid for longer/);
      await expectRefused(await signed({ iat: now, exp: now + 86_400 + 60 }), /valid for longer/);
    });

    it('refuses iat or nbf in the future beyond the 30 s skew, and accepts them within it', async () => {
      const now = nowSeconds();
      await expectRefused(await signed({ iat: now + 3600, exp: now + 7200 }), /"iat" is in the future/);
      await expectRefused(await signed({ iat: now, nbf: now + 600, exp: now + 3600 }), /not valid yet/);
      const withinSkew = await me(await signed({ iat: now + 10, nbf: now + 10, exp: now + 3600 }));
      expect(withinSkew.statusCode).toBe(200);
    });

    it('refuses a NUL character or an absurd length in sub and email with 401, never 400 or 500', async () => {
      const exp = nowSeconds() + 600;
      for (const claims of [
        { sub: 'ada\u0000admin', exp },
        { email: 'ada\u0000@example.com', exp },
        { sub: 'x'.repeat(100_000), exp },
        { email: `${'a'.repeat(10_000)}@example.com`, exp },
      ]) {
        await expectRefused(await signed(claims), /"(sub|email)" must be/);
      }
      const users = await test.handle.db.selectFrom('users').select('subject').execute();
      expect(users.map((user) => user.subject)).not.toContain('ada\u0000admin');
    });

    it('reports a token verified before (a cache hit) as expired once its exp is reached', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: new Date() });
      const token = await tokenFor({ email: 'cached@example.com', subject: 'cached' }, { ttlSeconds: 60 });
      expect((await me(token)).statusCode).toBe(200);
      expect((await me(token)).statusCode).toBe(200);
      vi.setSystemTime(Date.now() + 60_000);
      const late = await me(token);
      expect(late.statusCode).toBe(401);
      expect(late.json().code).toBe('CFM_TOKEN_EXPIRED');
      expect(late.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('never accepts a tampered token, even after the genuine one was cached', async () => {
      const token = await tokenFor({ email: 'genuine@example.com', subject: 'genuine' });
      expect((await me(token)).statusCode).toBe(200);
      const [header, , signature] = token.split('.');
      const payload = Buffer.from(
        JSON.stringify({
          sub: 'genuine',
          email: 'genuine@example.com',
          role: 'admin',
          exp: nowSeconds() + 600,
        }),
      ).toString('base64url');
      const response = await me(`${header}.${payload}.${signature}`);
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('CFM_TOKEN_INVALID');
    });
  });

  describe(`JWT_MAX_AGE and JWT_CLOCK_SKEW_SECONDS configured (${dialect})`, () => {
    let test: TestApp;
    beforeAll(async () => {
      test = await createTestApp(dialect, { env: { JWT_MAX_AGE: '7d', JWT_CLOCK_SKEW_SECONDS: '0' } });
    });
    afterAll(() => test?.close());

    it('accepts a two-day token, refuses an eight-day one and any iat ahead of the clock', async () => {
      const call = async (claims: Record<string, unknown>) =>
        (
          await test.app.inject({
            method: 'GET',
            url: '/api/me',
            headers: { authorization: `Bearer ${await signed(claims)}` },
          })
        ).statusCode;
      const now = nowSeconds();
      expect(await call({ iat: now, exp: now + 2 * 86_400 })).toBe(200);
      expect(await call({ iat: now, exp: now + 8 * 86_400 })).toBe(401);
      expect(await call({ iat: now + 5, exp: now + 3600 })).toBe(401);
    });
  });
}
