import type { Dialect } from '@cfm/db';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createTestApp, type TestApp, tokenFor } from '../../../test/helpers.js';

export interface ServiceKeyHarness {
  test: TestApp;
  adminToken: string;
  aliceToken: string;
  bobToken: string;
  /** `GET`/`POST`/`DELETE` with `Authorization: Bearer <credential>` (none when undefined). */
  call(
    credential: string | undefined,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
  ): Promise<LightMyRequestResponse>;
  /** Creates a key through the admin API and returns its id and the key itself. */
  createKey(
    scopes: string[],
    extra?: { name?: string; expires_in_days?: number },
  ): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

/**
 * A migrated app with an admin, Alice and Bob, plus one test route that opts service keys with
 * `metrics:read` into `requireAdmin` (as the metrics endpoint does when enabled).
 */
export async function startServiceKeyHarness(
  dialect: Dialect,
  env: Record<string, string> = {},
): Promise<ServiceKeyHarness> {
  const test = await createTestApp(dialect, {
    env,
    prepare: (app) => {
      app.get(
        '/test/metrics-like',
        { onRequest: app.requireAdmin, config: { serviceScope: 'metrics:read' } },
        async (request) => ({ principal: request.principal?.type ?? null }),
      );
      // A hook that accepted a key never widens the next one: both stacks refuse a proxy-only key.
      const caller = app.authenticateCaller({ serviceScope: 'connections:proxy', users: true });
      app.get('/test/stacked-admin', { onRequest: [caller, app.requireAdmin] }, async () => ({ ok: true }));
      app.get('/test/stacked-user', { onRequest: [caller, app.authenticate] }, async () => ({ ok: true }));
    },
  });
  const adminToken = await tokenFor({ email: 'root@example.com', subject: 'sk|root', role: 'admin' });
  const aliceToken = await tokenFor({ email: 'alice@example.com', subject: 'sk|alice' });
  const bobToken = await tokenFor({ email: 'bob@example.com', subject: 'sk|bob' });
  const call: ServiceKeyHarness['call'] = (credential, method, url, payload) =>
    test.app.inject({
      method,
      url,
      headers: credential === undefined ? {} : { authorization: `Bearer ${credential}` },
      ...(payload !== undefined && { payload }),
    });
  return {
    test,
    adminToken,
    aliceToken,
    bobToken,
    call,
    async createKey(scopes, extra = {}) {
      const created = await call(adminToken, 'POST', '/api/service-keys', {
        name: extra.name ?? `svc-${crypto.randomUUID().slice(0, 8)}`,
        scopes,
        ...(extra.expires_in_days !== undefined && { expires_in_days: extra.expires_in_days }),
      });
      expect(created.statusCode, created.body).toBe(201);
      return { id: created.json().id, key: created.json().key };
    },
    close: () => test.close(),
  };
}
