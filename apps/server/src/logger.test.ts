import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactUrl } from './logger.js';
import { captureLogs, createTestApp, type TestApp, tokenFor } from './test/helpers.js';

const DIALECTS = await testDialects();

for (const dialect of DIALECTS) {
  describe(dialect, () => {
    let test: TestApp;
    const logs = captureLogs();

    beforeAll(async () => {
      test = await createTestApp(dialect, {
        env: { LOG_LEVEL: 'debug' },
        build: { logStream: logs.stream },
        prepare: (app) => {
          app.get('/test/log', async (request) => {
            // What a careless handler might log: headers, provider token responses, client secrets.
            request.log.info({ req: { headers: request.headers } }, 'request headers');
            request.log.info({ headers: request.headers }, 'bare headers');
            request.log.info(
              {
                tokens: { access_token: 'leaky-access', refresh_token: 'leaky-refresh' },
                client: { clientSecret: 'leaky-client-secret', password: 'leaky-password' },
                flow: { code_verifier: 'leaky-verifier', providerIdToken: 'leaky-id-token' },
              },
              'provider answer',
            );
            return { ok: true };
          });
        },
      });
    });
    afterAll(() => test?.close());

    it('never writes a JWT, cookie or secret to the log', async () => {
      const jwt = await tokenFor({ email: 'logs@example.com' });
      await test.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${jwt}` } });
      await test.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${jwt}x` } });
      await test.app.inject({
        method: 'GET',
        url: '/test/log?code=leaky-code&state=leaky-state&page=2',
        headers: { authorization: `Bearer ${jwt}`, cookie: 'session=leaky-cookie' },
      });
      const text = logs.text();
      expect(text).toContain('provider answer');
      expect(text).toContain('[Redacted]');
      expect(text).toContain('page=2');
      expect(text).not.toContain(jwt);
      expect(text).not.toContain(jwt.split('.')[2]);
      expect(text).not.toMatch(/leaky-/);
    });
  });
}

describe('redactUrl', () => {
  it('hides secret query values and keeps the rest', () => {
    expect(redactUrl('/cb?code=abc&state=def&site=x')).toBe('/cb?code=[Redacted]&state=[Redacted]&site=x');
    expect(redactUrl('/plain')).toBe('/plain');
  });
});
