import { fileURLToPath } from 'node:url';
import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { syncPackagedConnectors } from '../../services/connector-catalog-sync.js';
import { associatedData, CredentialsVault } from '../../services/credentials-vault.js';
import { captureLogs, createTestApp, type TestApp, tokenFor } from '../../test/helpers.js';

const DIALECTS = await testDialects();
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/connectors', import.meta.url));
const SECRET = 'acme-client-secret-do-not-leak-7f3a9c';

const customBody = (overrides: Record<string, unknown> = {}) => ({
  key: 'acme',
  name: 'Acme',
  description: 'Acme projects',
  auth: {
    type: 'oauth2',
    authorize_url: 'https://acme.example/oauth/authorize',
    token_url: 'https://acme.example/oauth/token',
    revoke_url: 'https://acme.example/oauth/revoke',
    scopes: ['read'],
    scope_separator: ' ',
    pkce: true,
    client_auth: 'basic',
    token_request_format: 'form',
    extra_authorize_params: { prompt: 'consent' },
    client_id: 'acme-client',
    client_secret: SECRET,
  },
  config_schema: { type: 'object', properties: { team: { type: 'string' } }, required: ['team'] },
  check: {
    method: 'GET',
    url: 'https://acme.example/api/me',
    expect_status: 200,
    identity: { account_id: 'id' },
  },
  ...overrides,
});

for (const dialect of DIALECTS) {
  describe(`connectors API (${dialect})`, () => {
    let test: TestApp;
    let logs: ReturnType<typeof captureLogs>;
    let user: string;
    let admin: string;
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token: string, payload?: object) =>
      test.app.inject({ method, url, headers: as(token), ...(payload !== undefined && { payload }) });

    beforeAll(async () => {
      logs = captureLogs();
      test = await createTestApp(dialect, {
        env: {
          LOG_LEVEL: 'info',
          CONNECTORS_DIR: FIXTURES,
          FIXTURE_GOOD_CLIENT_ID: 'good-id',
          CONNECTOR_ORIGIN_OVERRIDES: 'http://acme.internal:8080=http://127.0.0.1:9',
        },
        build: { logStream: logs.stream },
      });
      user = await tokenFor({ email: 'user@example.com' });
      admin = await tokenFor({ email: 'admin@example.com', role: 'admin' });
    });

    afterAll(async () => {
      await test?.close();
    });

    it('lists discovered connectors with load status, reasons and configuration state; the server stays up', async () => {
      const response = await call('GET', '/api/connectors/', user);
      expect(response.statusCode).toBe(200);
      const items = response.json() as Array<Record<string, unknown>>;
      const byKey = new Map(items.map((item) => [item['key'], item]));
      expect(byKey.get('fixture-good')).toMatchObject({
        source: 'package',
        version: '1.2.3',
        name: 'Fixture Good',
        auth_type: 'oauth2',
        auth_types: ['oauth2', 'api_key'],
        scopes: ['read', 'profile'],
        categories: ['testing'],
        enabled: true,
        configured: false,
        missing_variables: ['FIXTURE_GOOD_CLIENT_SECRET'],
        status: 'loaded',
        status_reason: null,
      });
      expect(byKey.get('acme-keys')).toMatchObject({
        status: 'loaded',
        configured: true,
        auth_types: ['api_key'],
      });
      expect(byKey.get('acme-keys')).not.toHaveProperty('missing_variables');
      expect(byKey.get('cfm-fixture-contract-v2')).toMatchObject({
        status: 'incompatible',
        status_reason: expect.stringMatching(/contract version 2/),
      });
      expect(byKey.get('cfm-fixture-peer-v9')).toMatchObject({ status: 'incompatible' });
      for (const key of [
        'cfm-fixture-good-copy',
        'cfm-fixture-no-entry',
        'cfm-fixture-unbranded',
        'cfm-fixture-invalid',
        'cfm-fixture-throws',
      ]) {
        expect(byKey.get(key), key).toMatchObject({ status: 'failed', status_reason: expect.any(String) });
      }
      expect(logs.text()).toMatch(/connector package not loaded: .*boom at import/);
      expect((await test.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    });

    it('GET /api/connectors/{key}: one connector, 404 when unknown, 401 without a token', async () => {
      const one = await call('GET', '/api/connectors/fixture-good', user);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({ key: 'fixture-good', config_schema: { type: 'object' } });
      const missing = await call('GET', '/api/connectors/nope-nope', user);
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ code: 'CFM_CONNECTOR_NOT_FOUND' });
      const anonymous = await test.app.inject({ method: 'GET', url: '/api/connectors' });
      expect(anonymous.statusCode).toBe(401);
      const badKey = await call('GET', '/api/connectors/Not_A_Key', user);
      expect(badKey.statusCode).toBe(400);
    });

    it('custom connectors: admin only, secret sealed and never returned', async () => {
      const forbidden = await call('POST', '/api/connectors/', user, customBody());
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json()).toMatchObject({ code: 'CFM_FORBIDDEN' });

      const created = await call('POST', '/api/connectors', admin, customBody());
      expect(created.statusCode, created.body).toBe(201);
      expect(created.body).not.toContain(SECRET);
      expect(created.json()).toMatchObject({
        key: 'acme',
        source: 'custom',
        status: 'loaded',
        configured: true,
        auth_type: 'oauth2',
        scopes: ['read'],
        custom: { has_client_secret: true, auth: { client_id: 'acme-client' } },
      });
      expect(created.json().custom.auth).not.toHaveProperty('client_secret');

      const row = await test.handle.db
        .selectFrom('connectors')
        .selectAll()
        .where('key', '=', 'acme')
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(SECRET);
      expect(row.client_secret_ciphertext).toBeTruthy();
      const vault = new CredentialsVault(test.config.encryptionKeys);
      expect(
        vault.open(
          { ciphertext: row.client_secret_ciphertext!, keyId: row.client_secret_key_id! },
          associatedData.connectorSecret(row.id),
        ),
      ).toBe(SECRET);

      for (const url of ['/api/connectors', '/api/connectors/acme']) {
        const response = await call('GET', url, admin);
        expect(response.statusCode).toBe(200);
        expect(response.body).not.toContain(SECRET);
      }
      // The registry resolves it into a real definition with the client credentials.
      const resolved = await test.app.connectors.resolve('acme');
      expect(resolved).toMatchObject({
        source: 'custom',
        enabled: true,
        client: { clientId: 'acme-client', clientSecret: SECRET },
      });
      expect(resolved?.definition.auth[0]).toMatchObject({
        type: 'oauth2',
        pkce: 'S256',
        clientAuth: 'basic',
      });
      expect(logs.text()).not.toContain(SECRET);
    });

    it('409 on duplicate keys, including the key of a packaged connector', async () => {
      const again = await call('POST', '/api/connectors', admin, customBody());
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: 'CFM_CONNECTOR_EXISTS' });
      for (const key of ['fixture-good', 'cfm-fixture-throws']) {
        const packaged = await call('POST', '/api/connectors', admin, customBody({ key }));
        expect(packaged.statusCode, key).toBe(409);
        expect(packaged.json()).toMatchObject({ code: 'CFM_CONNECTOR_EXISTS' });
      }
    });

    it('400 for non-https URLs (listing every one), a missing secret, or a malformed body', async () => {
      const insecure = customBody({
        key: 'insecure',
        auth: {
          ...customBody().auth,
          authorize_url: 'http://acme.example/authorize',
          token_url: 'ftp://acme.example/token',
        },
        check: { url: 'http://127.0.0.1:8080/me' },
      });
      const response = await call('POST', '/api/connectors', admin, insecure);
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('CFM_CONNECTOR_INVALID');
      expect(
        response
          .json()
          .details.map((detail: { field: string }) => detail.field)
          .sort(),
      ).toEqual(['body/auth/authorize_url', 'body/auth/token_url', 'body/check/url']);

      const trusted = customBody({ key: 'internal', check: { url: 'http://acme.internal:8080/me' } });
      const allowed = await call('POST', '/api/connectors', admin, trusted);
      expect(allowed.statusCode, allowed.body).toBe(201);

      const { client_secret: _omitted, ...withoutSecret } = customBody().auth;
      const noSecret = await call(
        'POST',
        '/api/connectors',
        admin,
        customBody({ key: 'nosecret', auth: withoutSecret }),
      );
      expect(noSecret.statusCode).toBe(400);
      expect(noSecret.json().details).toEqual([
        { field: 'body/auth/client_secret', message: 'is required for an oauth2 connector' },
      ]);

      const malformed = await call('POST', '/api/connectors', admin, { key: 'x' });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().code).toBe('CFM_VALIDATION');
    });

    it('PUT: a custom connector is replaced (secret kept when omitted); a packaged one only takes display fields', async () => {
      const { client_secret: _kept, ...auth } = customBody().auth;
      const { key: _key, ...body } = customBody({
        name: 'Acme 2',
        auth: { ...auth, scopes: ['read', 'write'] },
      });
      const updated = await call('PUT', '/api/connectors/acme/', admin, body);
      expect(updated.statusCode, updated.body).toBe(200);
      expect(updated.json()).toMatchObject({
        name: 'Acme 2',
        scopes: ['read', 'write'],
        custom: { has_client_secret: true },
      });
      expect((await test.app.connectors.resolve('acme'))?.client?.clientSecret).toBe(SECRET);

      const userTry = await call('PUT', '/api/connectors/acme', user, body);
      expect(userTry.statusCode).toBe(403);
      const unknown = await call('PUT', '/api/connectors/nope-nope', admin, body);
      expect(unknown.statusCode).toBe(404);

      const display = await call('PUT', '/api/connectors/fixture-good', admin, {
        name: 'Renamed',
        categories: ['x'],
        enabled: false,
      });
      expect(display.statusCode, display.body).toBe(200);
      expect(display.json()).toMatchObject({ name: 'Renamed', categories: ['x'], enabled: false });

      const readOnly = await call('PUT', '/api/connectors/fixture-good', admin, {
        name: 'Again',
        check: { url: 'https://x.example' },
      });
      expect(readOnly.statusCode).toBe(400);
      expect(readOnly.json()).toMatchObject({
        code: 'CFM_CONNECTOR_READ_ONLY',
        details: [{ field: 'body/check' }],
      });
    });

    it('a restart keeps admin edits and enabled, refreshes package facts, and concurrent syncs are safe', async () => {
      const second = await buildApp(test.config, { logStream: false, database: test.handle });
      try {
        await second.ready();
        const response = await second.inject({
          method: 'GET',
          url: '/api/connectors/fixture-good',
          headers: as(user),
        });
        expect(response.json()).toMatchObject({
          name: 'Renamed',
          enabled: false,
          version: '1.2.3',
          status: 'loaded',
        });
      } finally {
        await second.close();
      }
      const discovered = test.app.connectors.discovered;
      await Promise.all(Array.from({ length: 4 }, () => syncPackagedConnectors(test.handle.db, discovered)));
      const rows = await test.handle.db
        .selectFrom('connectors')
        .select(['key', 'name'])
        .where('key', '=', 'fixture-good')
        .execute();
      expect(rows).toEqual([{ key: 'fixture-good', name: 'Renamed' }]);
    });

    it('DELETE: custom connectors go (204) with their connections; packaged ones are 409', async () => {
      const packaged = await call('DELETE', '/api/connectors/fixture-good', admin);
      expect(packaged.statusCode).toBe(409);
      expect(packaged.json().code).toBe('CFM_CONNECTOR_PACKAGED');
      expect((await call('DELETE', '/api/connectors/acme', user)).statusCode).toBe(403);

      const created = await call('POST', '/api/connections', user, {
        connector_key: 'acme',
        config_data: { team: 't' },
      });
      expect(created.statusCode, created.body).toBe(201);

      const deleted = await call('DELETE', '/api/connectors/acme', admin);
      expect(deleted.statusCode).toBe(204);
      const gone = await call('GET', `/api/connections/${created.json().id}`, user);
      expect(gone.statusCode).toBe(404);
      const left = await test.handle.db
        .selectFrom('connections')
        .select('id')
        .where('id', '=', created.json().id)
        .execute();
      expect(left).toEqual([]);
      expect((await call('DELETE', '/api/connectors/acme', admin)).statusCode).toBe(404);
    });
  });
}
