import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl } from './logger.js';
import { createOAuthTestApp } from './routes/oauth/test/oauth-test-app.js';

describe('redactSecrets', () => {
  it('hides vendor API-key headers written with hyphens (Datadog, x-api-key)', () => {
    const headers = {
      'x-api-key': 'leaky-x-api-key',
      'dd-api-key': 'leaky-dd-api-key',
      'dd-application-key': 'leaky-dd-app-key',
      'x-app-key': 'leaky-app-key',
      accept: 'application/json',
    };
    const redacted = JSON.stringify(redactSecrets({ headers }));
    expect(redacted).not.toMatch(/leaky-/);
    expect(redacted).toContain('application/json');
  });
});

describe('redactUrl', () => {
  it("hides the provider's free-text error_description and API keys in the query", () => {
    const url = redactUrl('/cb?error=access_denied&error_description=leaky+text&api-key=leaky-key&page=2');
    expect(url).not.toMatch(/leaky/);
    expect(url).toContain('error=access_denied');
    expect(url).toContain('page=2');
  });
});

describe('GET OAuth callback logging', () => {
  it("logs neither the code nor the provider's error_description of a callback", async () => {
    const test = await createOAuthTestApp('sqlite', {
      env: { OAUTH_REDIRECT_URI: 'http://localhost:3001/api/oauth/{connector}/callback' },
    });
    try {
      const started = await test.call('GET', '/api/oauth/acme/authorize');
      const { state } = started.json<{ state: string }>();
      // The browser that started the flow: its binding cookie goes back with the provider's redirect.
      const cookie = String(started.headers['set-cookie']).split(';')[0]!;
      const response = await test.call(
        'GET',
        `/api/oauth/acme/callback?state=${state}&code=leaky-code&error=access_denied&error_description=leaky-description`,
        { token: null, headers: { cookie } },
      );
      expect(response.statusCode).toBe(302);
      expect(response.headers.location).toContain('code=CFM_OAUTH_PROVIDER_DENIED');
      expect(test.logs()).toContain('/api/oauth/acme/callback');
      expect(test.logs()).not.toMatch(/leaky-/);
    } finally {
      await test.close();
    }
  });
});
