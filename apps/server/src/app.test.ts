import { testDialects } from '@cfm/db/testing';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { errorResponses } from './schemas/error-response.js';
import { createTestApp, type TestApp, testConfig } from './test/helpers.js';

const DIALECTS = await testDialects();
const ERROR_KEYS = ['code', 'error', 'message', 'statusCode'];

for (const dialect of DIALECTS) {
  describe(dialect, () => {
    let test: TestApp;

    beforeAll(async () => {
      test = await createTestApp(dialect, {
        prepare: (app) => {
          app.post(
            '/test/items',
            {
              schema: {
                body: Type.Object(
                  { connector_key: Type.String(), count: Type.Optional(Type.Integer()) },
                  {
                    additionalProperties: false,
                  },
                ),
                response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses(400) },
              },
            },
            async () => ({ ok: true }),
          );
          app.get('/test/boom', async () => {
            throw new Error('select * from users where password = hunter2');
          });
        },
      });
    });
    afterAll(() => test?.close());

    const get = (url: string, headers: Record<string, string> = {}) =>
      test.app.inject({ method: 'GET', url, headers });
    const postItem = (payload: string | object, headers: Record<string, string> = {}) =>
      test.app.inject({ method: 'POST', url: '/test/items', payload, headers });

    it('answers /healthz without the database', async () => {
      const response = await test.app.inject({ method: 'GET', url: '/healthz' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    });

    it('answers a malformed URL in our shape without echoing it (an OAuth code in the query stays out)', async () => {
      const response = await get('/api/oauth/acme/callback%ZZ?code=SECRET-CODE-123');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        statusCode: 400,
        code: 'CFM_BAD_REQUEST',
        error: 'Bad Request',
        message: 'The request URL is not valid',
      });
      expect(response.body).not.toContain('SECRET-CODE-123');
    });

    it('sends nosniff and no-referrer on every answer', async () => {
      for (const url of ['/healthz', '/api/nope']) {
        const response = await get(url);
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['referrer-policy']).toBe('no-referrer');
      }
    });

    it('answers /readyz when the database answers', async () => {
      const response = await test.app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ready', database: 'up' });
    });

    it('answers GET /api with the name and version, with or without a trailing slash', async () => {
      for (const url of ['/api', '/api/']) {
        const response = await test.app.inject({ method: 'GET', url });
        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({
          name: 'Connector Framework Manager',
          version: expect.any(String),
          mcp: {
            url: expect.stringMatching(/^https?:\/\/[^/]+\/mcp$/),
            protocol_version: expect.any(String),
          },
        });
      }
      expect((await test.app.inject({ method: 'GET', url: '/healthz/' })).statusCode).toBe(200);
    });

    it('answers unknown routes with a 404 CFM_ROUTE_NOT_FOUND in the error shape', async () => {
      const response = await test.app.inject({ method: 'GET', url: '/api/nope?token=abc' });
      expect(response.statusCode).toBe(404);
      const body = response.json();
      expect(Object.keys(body).sort()).toEqual(ERROR_KEYS);
      expect(body).toMatchObject({ statusCode: 404, code: 'CFM_ROUTE_NOT_FOUND', error: 'Not Found' });
      expect(body.message).toBe('Route GET /api/nope not found');
    });

    it('explains validation errors field by field', async () => {
      const response = await postItem({ connector_key: 5 });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        statusCode: 400,
        code: 'CFM_VALIDATION',
        error: 'Bad Request',
        message: 'body/connector_key must be string',
        details: [{ field: 'body/connector_key', message: 'must be string' }],
      });
    });

    it('rejects unknown and missing body properties', async () => {
      const extra = await postItem({ connector_key: 'jira', admin: true });
      expect(extra.statusCode).toBe(400);
      expect(extra.json().details).toEqual([
        { field: 'body/admin', message: 'must NOT have additional properties' },
      ]);
      const missing = await postItem({});
      expect(missing.json().details[0].field).toBe('body/connector_key');
    });

    it('answers malformed JSON with 400 CFM_INVALID_JSON', async () => {
      const response = await postItem('{"connector_key": ', { 'content-type': 'application/json' });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'CFM_INVALID_JSON', error: 'Bad Request' });
    });

    it('answers an oversized body with 413 CFM_PAYLOAD_TOO_LARGE', async () => {
      const response = await postItem({ connector_key: 'x'.repeat(2 * 1024 * 1024) });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ statusCode: 413, code: 'CFM_PAYLOAD_TOO_LARGE' });
    });

    it('hides internals in 500 answers', async () => {
      const response = await test.app.inject({ method: 'GET', url: '/test/boom' });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({
        statusCode: 500,
        code: 'CFM_INTERNAL',
        error: 'Internal Server Error',
        message: 'Internal server error',
      });
      expect(response.body).not.toContain('hunter2');
    });

    it('sends a request id, keeping a sane incoming one', async () => {
      const generated = await get('/healthz');
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const kept = await get('/healthz', { 'x-request-id': 'abc-123' });
      expect(kept.headers['x-request-id']).toBe('abc-123');
      const replaced = await get('/healthz', { 'x-request-id': 'bad id <script>' });
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    describe('CORS', () => {
      const simpleFrom = (origin: string) => get('/api', { origin });
      const preflightFrom = (origin: string, headers: Record<string, string>) =>
        test.app.inject({ method: 'OPTIONS', url: '/api/me', headers: { origin, ...headers } });

      it('allows the frontend origin with credentials (simple and preflight)', async () => {
        const simple = await simpleFrom('http://localhost:3000');
        expect(simple.headers['access-control-allow-origin']).toBe('http://localhost:3000');
        expect(simple.headers['access-control-allow-credentials']).toBe('true');
        const preflight = await preflightFrom('http://localhost:3000', {
          'access-control-request-method': 'DELETE',
          'access-control-request-headers': 'authorization',
        });
        expect(preflight.statusCode).toBe(204);
        expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:3000');
        expect(preflight.headers['access-control-allow-methods']).toContain('DELETE');
      });

      it('allows the backend origin', async () => {
        const response = await simpleFrom('http://localhost:3001');
        expect(response.headers['access-control-allow-origin']).toBe('http://localhost:3001');
      });

      it('gives other origins no Access-Control-Allow-Origin', async () => {
        for (const origin of ['https://evil.example', 'http://localhost:3000.evil.example', 'null']) {
          const simple = await simpleFrom(origin);
          expect(simple.headers['access-control-allow-origin']).toBeUndefined();
          const preflight = await preflightFrom(origin, { 'access-control-request-method': 'GET' });
          expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
        }
      });
    });

    describe('documentation', () => {
      it('serves /openapi.json with every route documented', async () => {
        const response = await test.app.inject({ method: 'GET', url: '/openapi.json' });
        expect(response.statusCode).toBe(200);
        const document = response.json();
        expect(document.openapi).toBe('3.1.0');
        expect(document.info.title).toBe('Connector Framework Manager');
        expect(document.components.securitySchemes.bearerAuth).toMatchObject({
          type: 'http',
          scheme: 'bearer',
        });
        expect(document.paths['/api/me'].get.security).toEqual([{ bearerAuth: [] }]);
        expect(document.paths['/docs']).toBeUndefined();
      });

      it('serves Swagger UI at /docs with local assets and no auth', async () => {
        const page = await test.app.inject({ method: 'GET', url: '/docs/' });
        expect(page.statusCode).toBe(200);
        expect(page.body).not.toMatch(/https?:\/\/(?!localhost)/);
        const asset = await test.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
        expect(asset.statusCode).toBe(200);
        expect(asset.headers['content-security-policy']).not.toContain('https:');
      });

      it('serves ReDoc at /redoc from our own bundle, with a CSP that allows nothing remote', async () => {
        const page = await test.app.inject({ method: 'GET', url: '/redoc' });
        expect(page.statusCode).toBe(200);
        expect(page.headers['content-type']).toContain('text/html');
        expect(page.body).toContain('<script src="/redoc/redoc.standalone.js"></script>');
        expect(page.body).toContain('spec-url="/openapi.json"');
        expect(page.body).not.toMatch(/https?:\/\//);
        expect(page.headers['content-security-policy']).toContain("default-src 'none'");
        expect(page.headers['content-security-policy']).not.toMatch(/https?:/);
        const bundle = await test.app.inject({ method: 'GET', url: '/redoc/redoc.standalone.js' });
        expect(bundle.statusCode).toBe(200);
        expect(bundle.headers['content-type']).toContain('javascript');
        expect(bundle.rawPayload.length).toBeGreaterThan(100_000);
      });
    });
  });
}

describe('readiness without a database', () => {
  it('answers /readyz 503 CFM_NOT_READY when PostgreSQL is unreachable', async () => {
    const app = await buildApp(testConfig({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/x' }), {
      logStream: false,
      readinessTimeoutMs: 3000,
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        statusCode: 503,
        code: 'CFM_NOT_READY',
        error: 'Service Unavailable',
        message: 'database unreachable',
      });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('answers /readyz 503 when the ping does not come back in time', async () => {
    // A listening socket that accepts connections but never speaks PostgreSQL: the ping hangs.
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    const app = await buildApp(testConfig({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/x` }), {
      logStream: false,
      readinessTimeoutMs: 200,
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json().code).toBe('CFM_NOT_READY');
    } finally {
      for (const socket of sockets) socket.destroy();
      await app.close();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
