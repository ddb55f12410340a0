import { randomUUID } from 'node:crypto';
import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthTestApp, type OAuthTestApp } from '../routes/oauth/test/oauth-test-app.js';
import { createTestApp, tokenFor } from '../test/helpers.js';
import { expectRateLimited } from '../test/rate-limit.js';

const DIALECTS = await testDialects();

/** Low limits, so an attack is a handful of requests; each test uses its own users and addresses. */
const LIMITS = {
  RATE_LIMIT_OAUTH_PER_USER: '3',
  RATE_LIMIT_OAUTH_PER_IP: '8',
  RATE_LIMIT_WRITES_PER_USER: '3',
  RATE_LIMIT_WRITES_PER_IP: '8',
  RATE_LIMIT_AUTH_FAILURES_PER_IP: '3',
};

for (const dialect of DIALECTS) {
  describe(`abuse limits, in memory (${dialect})`, () => {
    let test: OAuthTestApp;
    let address = 0;
    /** A fresh client address per test (inject's `remoteAddress`), so per-address counts start at zero. */
    const nextAddress = () => `198.51.100.${++address}`;
    const call = (
      method: 'GET' | 'POST' | 'DELETE',
      url: string,
      token: string | null,
      remoteAddress: string,
    ) =>
      test.app.inject({
        method,
        url,
        remoteAddress,
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });
    const user = (name: string) => tokenFor({ email: `${name}-${randomUUID()}@example.com` });

    beforeAll(async () => {
      test = await createOAuthTestApp(dialect, { env: LIMITS });
    });
    afterAll(() => test?.close());

    it('authorize: one user hammering it gets 429 after the limit, and leaves no more pending attempts', async () => {
      const mallory = await user('mallory');
      const from = nextAddress();
      const answers = [];
      for (let index = 0; index < 6; index += 1) {
        answers.push(await call('GET', '/api/oauth/acme/authorize', mallory, from));
      }
      expect(answers.slice(0, 3).map((answer) => answer.statusCode)).toEqual([200, 200, 200]);
      for (const answer of answers.slice(3)) expectRateLimited(answer, /OAuth requests from this account/);
      const pending = await test.handle.db.selectFrom('oauth_states').select('id').execute();
      expect(pending.length).toBeLessThanOrEqual(3);
      // Another user at the same address still gets through.
      expect((await call('GET', '/api/oauth/acme/authorize', await user('alice'), from)).statusCode).toBe(
        200,
      );
    });

    it('OAuth routes per address: many accounts from one address are cut off, another address is not', async () => {
      const from = nextAddress();
      const statuses = [];
      for (let index = 0; index < 10; index += 1) {
        statuses.push(
          (await call('GET', '/api/oauth/acme/authorize', await user(`sybil${index}`), from)).statusCode,
        );
      }
      expect(statuses).toEqual([...Array(8).fill(200), 429, 429]);
      // The anonymous GET callback spends the same address budget, before anything is looked up.
      expectRateLimited(
        await call('GET', '/api/oauth/acme/callback?code=x&state=y', null, from),
        /from this address/,
      );
      expect(
        (await call('GET', '/api/oauth/acme/authorize', await user('other'), nextAddress())).statusCode,
      ).toBe(200);
    });

    it('writes per user: the fourth DELETE in the window is a 429; reads are never limited', async () => {
      const eve = await user('eve');
      const from = nextAddress();
      const deletes = [];
      for (let index = 0; index < 5; index += 1) {
        deletes.push(await call('DELETE', `/api/connections/${randomUUID()}`, eve, from));
      }
      expect(deletes.slice(0, 3).map((answer) => answer.statusCode)).toEqual([404, 404, 404]);
      expectRateLimited(deletes[3]!, /write requests from this account/);
      // Using a connection (proxy, actions) spends no write budget: the provider limits that.
      for (let index = 0; index < 5; index += 1) {
        const used = await call('POST', `/api/connections/${randomUUID()}/proxy/chat.postMessage`, eve, from);
        expect(used.statusCode).toBe(404);
      }
      for (let index = 0; index < 20; index += 1) {
        expect((await call('GET', '/api/connections/', eve, from)).statusCode).toBe(200);
        expect((await call('GET', '/api/connectors/', eve, from)).statusCode).toBe(200);
      }
    });

    it('failed authentication: a burst of bad tokens gets 429, then the address is refused for the window', async () => {
      const from = nextAddress();
      const forged = await tokenFor(
        { email: 'x@example.com' },
        { secret: 'not-the-secret-not-the-secret-0123' },
      );
      const answers = [];
      for (let index = 0; index < 5; index += 1) answers.push(await call('GET', '/api/me', forged, from));
      expect(answers.slice(0, 3).map((answer) => answer.statusCode)).toEqual([401, 401, 401]);
      for (const answer of answers.slice(3)) {
        expectRateLimited(answer, /failed authentications from this address/);
        expect(answer.headers['www-authenticate']).toBeUndefined();
        expect(answer.body).not.toContain(forged);
      }
      // Even a good token from that address waits; the same user elsewhere does not.
      const good = await user('ada');
      expectRateLimited(await call('GET', '/api/connections/', good, from), /failed authentications/);
      expect((await call('GET', '/api/connections/', good, nextAddress())).statusCode).toBe(200);
      // Bad service keys count the same way.
      const keyFrom = nextAddress();
      const keys = [];
      for (let index = 0; index < 4; index += 1) {
        keys.push(await call('GET', '/api/connections/', `cfm_sk_${'x'.repeat(40)}`, keyFrom));
      }
      expect(keys.map((answer) => answer.statusCode)).toEqual([401, 401, 401, 429]);
    });

    it('requests without credentials are not counted as failed authentications', async () => {
      const from = nextAddress();
      for (let index = 0; index < 6; index += 1) {
        expect((await call('GET', '/api/me', null, from)).json().code).toBe('CFM_AUTH_REQUIRED');
      }
    });
  });

  describe(`abuse limits switched off (${dialect})`, () => {
    it('RATE_LIMIT_ENABLED=false, or a limit of 0, counts nothing', async () => {
      for (const env of [
        { ...LIMITS, RATE_LIMIT_ENABLED: 'false' },
        { ...LIMITS, RATE_LIMIT_WRITES_PER_USER: '0', RATE_LIMIT_WRITES_PER_IP: '0' },
      ]) {
        const test = await createTestApp(dialect, { env });
        try {
          const token = await tokenFor({ email: 'busy@example.com' });
          for (let index = 0; index < 6; index += 1) {
            const response = await test.app.inject({
              method: 'DELETE',
              url: `/api/connections/${randomUUID()}`,
              headers: { authorization: `Bearer ${token}` },
            });
            expect(response.statusCode).toBe(404);
          }
        } finally {
          await test.close();
        }
      }
    });
  });
}
