import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthTestApp, type OAuthTestApp } from './test/oauth-test-app.js';

describe('OAuth answers are not cached and leak no Referer', () => {
  let test: OAuthTestApp;
  beforeAll(async () => {
    test = await createOAuthTestApp('sqlite');
  });
  afterAll(() => test?.close());

  it('marks the authorize answer (a live state) and both callbacks no-store, no-referrer', async () => {
    const authorize = await test.call('GET', '/api/oauth/acme/authorize');
    const { state } = authorize.json<{ state: string }>();
    const redirect = await test.call('GET', `/api/oauth/acme/callback?state=${state}&code=c`, {
      token: null,
    });
    const posted = await test.call('POST', '/api/oauth/acme/callback', { body: { state: 'bad', code: 'c' } });
    expect([authorize.statusCode, redirect.statusCode, posted.statusCode]).toEqual([200, 302, 400]);
    for (const response of [authorize, redirect, posted]) {
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
    }
  });
});
