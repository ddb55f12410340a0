import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { decorateSwaggerOnDemand, serveSwaggerUiOnDemand } from './swagger-on-demand.js';

const OPTIONS = { openapi: { openapi: '3.1.0', info: { title: 'Test', version: '1.0.0' } } };
const Widget = Type.Object({ id: Type.String(), size: Type.Integer() }, { title: 'Widget' });

/** Routes in nested plugins, shared schemas (at the root and in a plugin), a wildcard, a hidden route and a HEAD twin. */
async function addRoutes(app: FastifyInstance): Promise<void> {
  app.addSchema({ $id: 'Shared', type: 'object', properties: { note: { type: 'string' } } });
  await app.register(
    async (widgets) => {
      widgets.addSchema({ $id: 'Nested', type: 'object', properties: { count: { type: 'integer' } } });
      widgets.get('/count', { schema: { response: { 200: { $ref: 'Nested#' } } } }, () => ({ count: 1 }));
      widgets.get(
        '/:id',
        { schema: { params: Type.Object({ id: Type.String() }), response: { 200: Widget } } },
        () => ({
          id: 'w',
          size: 1,
        }),
      );
      widgets.post('/', { schema: { body: { $ref: 'Shared#' }, response: { 201: Widget } } }, () => ({}));
      await widgets.register(async (deeper) => {
        deeper.get('/files/*', () => 'file');
      });
    },
    { prefix: '/widgets' },
  );
  app.get('/hidden', { schema: { hide: true } }, () => 'hidden');
}

describe('decorateSwaggerOnDemand', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('builds the very document @fastify/swagger registered at start builds', async () => {
    const eager = Fastify();
    await eager.register(swagger, OPTIONS);
    await addRoutes(eager);
    const onDemand = Fastify();
    decorateSwaggerOnDemand(onDemand, OPTIONS);
    await addRoutes(onDemand);
    apps.push(eager, onDemand);
    await Promise.all([eager.ready(), onDemand.ready()]);

    expect(onDemand.swagger()).toEqual(eager.swagger());
    expect(onDemand.swagger({ yaml: true })).toBe(eager.swagger({ yaml: true }));
    expect(Object.keys(onDemand.swagger().paths ?? {})).toContain('/widgets/{id}');
  });

  it('refuses before the app is ready, as @fastify/swagger does', async () => {
    const app = Fastify();
    apps.push(app);
    decorateSwaggerOnDemand(app, OPTIONS);
    await addRoutes(app);
    expect(() => app.swagger()).toThrow('.swagger() must be called after .ready()');
  });
});

describe('serveSwaggerUiOnDemand', () => {
  let app: FastifyInstance;
  afterEach(async () => {
    await app.close();
  });

  async function buildApp(): Promise<FastifyInstance> {
    app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
    decorateSwaggerOnDemand(app, OPTIONS);
    serveSwaggerUiOnDemand(app, { routePrefix: '/docs', staticCSP: true });
    app.setNotFoundHandler((_request, reply) => reply.code(404).send({ ours: true }));
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('x-ours', '1');
    });
    await addRoutes(app);
    await app.ready();
    return app;
  }

  it('serves the page, its assets and the document through the app, with its hooks', async () => {
    await buildApp();
    const page = await app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['x-ours']).toBe('1');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const asset = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.rawPayload.length).toBeGreaterThan(100_000);
    const document = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(document.json()).toEqual(app.swagger());
  });

  it('answers HEAD with the headers of the whole page, and a redirect without a body type', async () => {
    await buildApp();
    const page = await app.inject({ method: 'GET', url: '/docs' });
    const head = await app.inject({ method: 'HEAD', url: '/docs' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(page.rawPayload.length));
    const redirect = await app.inject({ method: 'GET', url: '/docs/static/index.html' });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('/docs/');
    expect(redirect.headers['content-type']).toBeUndefined();
  });

  it("answers what it does not have with the app's 404", async () => {
    await buildApp();
    for (const url of ['/docs/static/nope.js', '/docs/nope']) {
      const missing = await app.inject({ method: 'GET', url });
      expect(missing.statusCode, url).toBe(404);
      expect(missing.json(), url).toEqual({ ours: true });
    }
  });
});
