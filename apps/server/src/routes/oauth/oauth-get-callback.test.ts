import { testDialects } from '@cfm/db/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuthBrowserBinding } from '../../services/oauth-browser-binding.js';
import { TEST_JWT_SECRET } from '../../test/helpers.js';
import { createOAuthTestApp, FRONTEND, type OAuthTestApp } from './test/oauth-test-app.js';

const DIALECTS = await testDialects();
/** `OAUTH_REDIRECT_URI` pointing at this API's GET callback (the per-connector form). */
const API_CALLBACK = 'http://localhost:3001/api/oauth/{connector}/callback';
const ACME_CALLBACK = 'http://localhost:3001/api/oauth/acme/callback';
const BINDING_COOKIE =
  /^(cfm_oauth_[A-Za-z0-9_-]{16})=([A-Za-z0-9_-]{43}); Path=\/api\/oauth; Max-Age=600; HttpOnly; SameSite=Lax$/;

interface BrowserStart {
  authorization_url: string;
  state: string;
  /** `name=value`, as the browser sends it back. */
  cookie: string;
  setCookie: string;
}

/** GET authorize as `token`, the way a browser does it (keeping the cookie), asserting 200. */
async function startInBrowser(test: OAuthTestApp, token: string): Promise<BrowserStart> {
  const response = await test.call('GET', '/api/oauth/acme/authorize', { token });
  expect(response.statusCode, response.body).toBe(200);
  const setCookie = String(response.headers['set-cookie']);
  const match = BINDING_COOKIE.exec(setCookie);
  expect(match, setCookie).not.toBeNull();
  return { ...response.json(), cookie: `${match![1]}=${match![2]}`, setCookie };
}

/** The provider's redirect as the browser follows it: GET callback with the callback query and `cookie`. */
function followCallback(
  test: OAuthTestApp,
  approval: { code: string; state: string },
  cookie?: string,
  json = false,
) {
  const query = new URLSearchParams({ code: approval.code, state: approval.state }).toString();
  return test.call('GET', `/api/oauth/acme/callback?${query}`, {
    token: null,
    headers: {
      ...(cookie !== undefined && { cookie }),
      ...(json && { accept: 'application/json' }),
    },
  });
}

function redirectParameters(response: { statusCode: number; headers: Record<string, unknown> }) {
  expect(response.statusCode).toBe(302);
  const location = new URL(String(response.headers['location']));
  expect(`${location.origin}${location.pathname}`).toBe(`${FRONTEND}/oauth/callback`);
  return Object.fromEntries(location.searchParams);
}

async function isSpent(test: OAuthTestApp, state: string): Promise<boolean> {
  const row = await test.handle.db
    .selectFrom('oauth_states')
    .select('consumed_at')
    .where('id', '=', state.split('.')[0]!)
    .executeTakeFirstOrThrow();
  return row.consumed_at !== null;
}

for (const dialect of DIALECTS) {
  describe(`GET callback with OAUTH_REDIRECT_URI at the API: bound to the starting browser (${dialect})`, () => {
    let test: OAuthTestApp;
    let before: { connections: number; credentials: number };

    beforeAll(async () => {
      test = await createOAuthTestApp(dialect, { env: { OAUTH_REDIRECT_URI: API_CALLBACK } });
    });
    afterAll(async () => {
      await test?.close();
    });
    beforeEach(async () => {
      await test.handle.db.deleteFrom('connections').execute();
      before = await test.counts();
    });

    it('authorize sets an HttpOnly, SameSite=Lax cookie for /api/oauth, bound to the state', async () => {
      const started = await startInBrowser(test, test.alice);
      expect(new URL(started.authorization_url).searchParams.get('redirect_uri')).toBe(ACME_CALLBACK);
      const value = started.cookie.split('=')[1]!;
      expect(started.state).not.toContain(value);
      expect(started.authorization_url).not.toContain(value);
      // A second flow gets its own cookie (two tabs do not overwrite each other).
      const second = await startInBrowser(test, test.alice);
      expect(second.cookie.split('=')[0]).not.toBe(started.cookie.split('=')[0]);
      expect(test.logs()).not.toContain(value);
    });

    it('the browser that started the flow finishes it: 302 success, cookie cleared, replay refused', async () => {
      const started = await startInBrowser(test, test.bob);
      const approval = await test.provider.approve(started.authorization_url);
      const response = await followCallback(test, approval, started.cookie);
      const parameters = redirectParameters(response);
      expect(parameters).toMatchObject({ status: 'success', connector: 'acme' });
      const owner = await test.handle.db
        .selectFrom('connections')
        .innerJoin('users', 'users.id', 'connections.user_id')
        .select(['users.email', 'connections.status'])
        .where('connections.id', '=', String(parameters['connection_id']))
        .executeTakeFirstOrThrow();
      expect(owner).toEqual({ email: 'bob@example.com', status: 'active' });
      const cookieName = started.cookie.split('=')[0]!;
      expect(String(response.headers['set-cookie'])).toBe(
        `${cookieName}=; Path=/api/oauth; Max-Age=0; HttpOnly; SameSite=Lax`,
      );
      const location = String(response.headers['location']);
      for (const secret of [
        approval.code,
        approval.state,
        started.cookie,
        ...test.provider.tokens.map((t) => t.value),
      ]) {
        expect(location).not.toContain(secret);
      }
      expect(test.logs()).not.toContain(approval.code);
      expect(test.logs()).not.toContain(started.cookie.split('=')[1]);

      // The same (now used) state again, even with the cookie: an error redirect naming the code only.
      expect(redirectParameters(await followCallback(test, approval, started.cookie))).toEqual({
        status: 'error',
        connector: 'acme',
        code: 'CFM_OAUTH_STATE_USED',
      });
    });

    describe('attacks (nothing stored, the attempt not spent)', () => {
      afterEach(async () => {
        expect(await test.counts()).toEqual(before);
      });

      it("login CSRF: the victim's browser completing the attacker's flow is refused", async () => {
        const exchanges = test.provider.counts.token;
        // The attacker starts with his own token and keeps the cookie; the victim consents at the provider.
        const attackers = await startInBrowser(test, test.bob);
        const consent = await test.provider.approve(attackers.authorization_url);
        // Her browser follows the provider's redirect: no cookie for that state.
        expect(redirectParameters(await followCallback(test, consent))).toEqual({
          status: 'error',
          connector: 'acme',
          code: 'CFM_OAUTH_BROWSER_MISMATCH',
        });
        // Not even with the binding cookie of a flow she started herself.
        const hers = await startInBrowser(test, test.alice);
        const refused = await followCallback(test, consent, hers.cookie, true);
        expect(refused.statusCode).toBe(403);
        expect(refused.json()).toMatchObject({ statusCode: 403, code: 'CFM_OAUTH_BROWSER_MISMATCH' });
        expect(refused.body).not.toContain(consent.code);
        expect(test.provider.counts.token).toBe(exchanges);
        expect(await isSpent(test, attackers.state)).toBe(false);
      });

      it("a leaked authorization URL completed in another browser is refused; the owner's browser still can", async () => {
        const victims = await startInBrowser(test, test.alice);
        // The attacker approves the victim's URL with his own provider account, from his own browser.
        const injected = await test.provider.approve(victims.authorization_url);
        const own = await startInBrowser(test, test.bob);
        const [cookieName] = victims.cookie.split('=');
        const forged = `${cookieName}=${'A'.repeat(43)}`;
        for (const cookie of [undefined, own.cookie, forged, `${own.cookie}; ${forged}`]) {
          const refused = await followCallback(test, injected, cookie, true);
          expect(refused.statusCode, String(cookie)).toBe(403);
          expect(refused.json().code).toBe('CFM_OAUTH_BROWSER_MISMATCH');
        }
        expect(await isSpent(test, victims.state)).toBe(false);

        // The victim's own browser completes her attempt (then the row counts are put back).
        const approval = await test.provider.approve(victims.authorization_url);
        const parameters = redirectParameters(await followCallback(test, approval, victims.cookie));
        expect(parameters['status']).toBe('success');
        const owner = await test.handle.db
          .selectFrom('connections')
          .innerJoin('users', 'users.id', 'connections.user_id')
          .select('users.email')
          .where('connections.id', '=', String(parameters['connection_id']))
          .executeTakeFirstOrThrow();
        expect(owner.email).toBe('alice@example.com');
        await test.handle.db.deleteFrom('connections').execute();
      });
    });

    it('answers JSON when the client asks for it', async () => {
      const started = await startInBrowser(test, test.bob);
      const approval = await test.provider.approve(started.authorization_url);
      const response = await followCallback(test, approval, started.cookie, true);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({
        success: true,
        status: 'active',
        connection_id: expect.any(String),
      });
      const replay = await followCallback(test, approval, started.cookie, true);
      expect(replay.statusCode).toBe(400);
      expect(replay.json()).toMatchObject({
        statusCode: 400,
        code: 'CFM_OAUTH_STATE_USED',
        error: 'Bad Request',
      });
    });

    it('the provider refusal redirects with CFM_OAUTH_PROVIDER_DENIED', async () => {
      const started = await startInBrowser(test, test.alice);
      const denial = await test.provider.deny(started.authorization_url);
      const callback = new URL(String(denial.callbackUrl));
      expect(callback.searchParams.get('error')).toBe('access_denied');
      const response = await test.call('GET', `/api/oauth/acme/callback${callback.search}`, {
        token: null,
        headers: { cookie: started.cookie },
      });
      expect(redirectParameters(response)).toMatchObject({
        status: 'error',
        code: 'CFM_OAUTH_PROVIDER_DENIED',
      });
      expect(await test.counts()).toEqual(before);
    });
  });

  describe(`GET callback in the default setup (front end callback page) completes nothing (${dialect})`, () => {
    let test: OAuthTestApp;

    beforeAll(async () => {
      test = await createOAuthTestApp(dialect);
    });
    afterAll(async () => {
      await test?.close();
    });

    it('refuses a flow started for the front end, even with a valid binding cookie, without spending it', async () => {
      const before = await test.counts();
      const authorize = await test.call('GET', '/api/oauth/acme/authorize');
      expect(authorize.headers['set-cookie']).toBeUndefined();
      const started = authorize.json<{ authorization_url: string; state: string }>();
      // Someone who saw the URL completes it with his own account and forges the cookie the server would set.
      const injected = await test.provider.approve(started.authorization_url);
      const nonce = started.state.split('.')[0]!;
      const cookie = new OAuthBrowserBinding(TEST_JWT_SECRET).cookieFor(
        nonce,
        new Date(Date.now() + 600_000),
        new Date(),
      );
      const headers = { cookie: `${cookie.name}=${cookie.value}` };
      const query = new URLSearchParams({ code: injected.code, state: injected.state }).toString();
      const redirect = await test.call('GET', `/api/oauth/acme/callback?${query}`, { token: null, headers });
      expect(redirectParameters(redirect)).toEqual({
        status: 'error',
        connector: 'acme',
        code: 'CFM_OAUTH_REDIRECT_MISMATCH',
      });
      const json = await test.call('GET', `/api/oauth/acme/callback?${query}`, {
        token: null,
        headers: { ...headers, accept: 'application/json' },
      });
      expect(json.statusCode).toBe(400);
      expect(json.json().code).toBe('CFM_OAUTH_REDIRECT_MISMATCH');
      expect(await test.counts()).toEqual(before);
      expect(await isSpent(test, started.state)).toBe(false);

      // The user's own front end page finishes it through the authenticated POST callback.
      const approval = await test.provider.approve(started.authorization_url);
      const completed = await test.call('POST', '/api/oauth/acme/callback', {
        body: { code: approval.code, state: approval.state },
      });
      expect(completed.statusCode, completed.body).toBe(200);
    });
  });
}

describe('the binding cookie in production', () => {
  let test: OAuthTestApp;
  beforeAll(async () => {
    test = await createOAuthTestApp('sqlite', {
      env: { OAUTH_REDIRECT_URI: API_CALLBACK, NODE_ENV: 'production' },
    });
  });
  afterAll(() => test?.close());

  it('is Secure', async () => {
    const response = await test.call('GET', '/api/oauth/acme/authorize');
    expect(response.statusCode, response.body).toBe(200);
    expect(String(response.headers['set-cookie'])).toMatch(
      /^cfm_oauth_[A-Za-z0-9_-]{16}=[A-Za-z0-9_-]{43}; Path=\/api\/oauth; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/,
    );
  });
});
