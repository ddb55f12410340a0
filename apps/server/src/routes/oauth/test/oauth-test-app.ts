import {
  type FakeOAuth2Provider,
  type FakeOAuth2ProviderOptions,
  startFakeOAuth2Provider,
} from '@cfm/connector-sdk/testing/fakes';
import type { Dialect } from '@cfm/db';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { countRows } from '../../../services/test/engine-fixture.js';
import { customConnectorBody } from '../../../test/custom-connector-body.js';
import { captureLogs, createTestApp, type TestApp, tokenFor } from '../../../test/helpers.js';

/** Public-looking origins the server rewrites to the fakes (`CONNECTOR_ORIGIN_OVERRIDES`). */
export const ACME_ORIGIN = 'https://acme.example';
export const SLACKY_ORIGIN = 'https://slacky.example';
export const FRONTEND = 'https://app.example';

export interface OAuthTestApp extends TestApp {
  /** The generic OAuth 2 fake behind `acme`. */
  provider: FakeOAuth2Provider;
  /** A fake answering token errors Slack-style (HTTP 200 `{ok:false}`) behind `slacky`. */
  slack: FakeOAuth2Provider;
  admin: string;
  alice: string;
  bob: string;
  /** `app.inject` with a bearer token (or none) and a JSON body. */
  call(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    options?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  /** Every log line the app wrote (debug level), to check no secret reached them. */
  logs(): string;
  /** Rows a failed authorization must not have added. */
  counts(): Promise<{ connections: number; credentials: number }>;
  /** GET authorize as `token`, asserting 200. */
  authorize(
    key: string,
    token: string,
    query?: string,
  ): Promise<{ authorization_url: string; state: string }>;
}

/**
 * A migrated fresh database of `dialect`, two fakes over real HTTP, and an app whose registry holds two
 * custom OAuth 2 connectors declared through `POST /api/connectors/` (the real registry path).
 */
export async function createOAuthTestApp(
  dialect: Dialect,
  options: { provider?: FakeOAuth2ProviderOptions; env?: Record<string, string> } = {},
): Promise<OAuthTestApp> {
  const provider = await startFakeOAuth2Provider(options.provider ?? {});
  const slack = await startFakeOAuth2Provider({ errorShape: 'slack' });
  const logs = captureLogs();
  const base = await createTestApp(dialect, {
    build: { logStream: logs.stream },
    env: {
      LOG_LEVEL: 'debug',
      FRONTEND_BASE_URL: FRONTEND,
      CONNECTOR_ORIGIN_OVERRIDES: `${ACME_ORIGIN}=${provider.url},${SLACKY_ORIGIN}=${slack.url}`,
      ...options.env,
    },
  });
  const admin = await tokenFor({ email: 'admin@example.com', role: 'admin' });
  const alice = await tokenFor({ email: 'alice@example.com' });
  const bob = await tokenFor({ email: 'bob@example.com' });
  const call: OAuthTestApp['call'] = (method, url, callOptions = {}) => {
    const token = callOptions.token === undefined ? alice : callOptions.token;
    return base.app.inject({
      method,
      url,
      headers: { ...(token !== null && { authorization: `Bearer ${token}` }), ...callOptions.headers },
      ...(callOptions.body !== undefined && { payload: callOptions.body as Record<string, unknown> }),
    });
  };
  // Display names matter: the callback answers "Connected to <name>".
  for (const [key, name, origin, fake] of [
    ['acme', 'Acme', ACME_ORIGIN, provider],
    ['slacky', 'Slacky', SLACKY_ORIGIN, slack],
  ] as const) {
    const created = await call('POST', '/api/connectors/', {
      token: admin,
      body: { ...customConnectorBody(key, origin, fake), name },
    });
    expect(created.statusCode, created.body).toBe(201);
  }
  return {
    ...base,
    provider,
    slack,
    admin,
    alice,
    bob,
    call,
    logs: logs.text,
    counts: () => countRows(base.handle),
    async authorize(key, token, query = '') {
      const response = await call('GET', `/api/oauth/${key}/authorize${query}`, { token });
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    },
    async close() {
      await base.close();
      await provider.close();
      await slack.close();
    },
  };
}
