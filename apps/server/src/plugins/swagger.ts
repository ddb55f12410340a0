import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { SwaggerTransformObject } from '@fastify/swagger';
import fp from 'fastify-plugin';
import { finishOpenApiDocument } from './openapi-document.js';
import { decorateSwaggerOnDemand, serveSwaggerUiOnDemand } from './swagger-on-demand.js';

export interface SwaggerPluginOptions {
  title: string;
  version: string;
}

const require = createRequire(import.meta.url);
const REDOC_BUNDLE = require.resolve('redoc/bundles/redoc.standalone.js');

/**
 * ReDoc is served from our own copy of the bundle; the policy forbids anything from elsewhere (ReDoc
 * renders with its fallback fonts, and runs its search worker from a blob).
 */
const REDOC_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "frame-ancestors 'self'",
  "form-action 'none'",
].join('; ');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function redocPage(title: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${escapeHtml(title)} API reference</title>
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <redoc spec-url="/openapi.json" hide-hostname="true"></redoc>
    <script src="/redoc/redoc.standalone.js"></script>
  </body>
</html>
`;
}

/**
 * OpenAPI 3 from the route schemas: `/openapi.json`, Swagger UI at `/docs`, ReDoc at `/redoc`. No auth.
 * The document is built on the first `app.swagger()` (and @fastify/swagger loaded then), Swagger UI
 * loaded on the first request for it: see `swagger-on-demand.ts`.
 */
export const swaggerPlugin = fp<SwaggerPluginOptions>(
  async (app, options) => {
    decorateSwaggerOnDemand(app, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: options.title,
          version: options.version,
          description:
            'Connect your users’ accounts at third-party services. Authenticate with `Authorization: Bearer <JWT>` ' +
            '(HS256; get one for development with `pnpm dev-token --email you@example.com`). Every error answers ' +
            '`{ statusCode, code, error, message }` with a stable `CFM_…` code.',
          license: { name: 'MIT', identifier: 'MIT' },
        },
        // Relative: the server that serves this document (whatever its BACKEND_BASE_URL), and for the
        // checked-in copy whichever server a client is pointed at.
        servers: [{ url: '/', description: 'The server this document is served from' }],
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          },
        },
      },
      transformObject: (documentObject) => {
        // Only an OpenAPI document is generated here (never Swagger 2).
        const source =
          'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
        const { document, conflicts } = finishOpenApiDocument(source);
        for (const conflict of conflicts) {
          app.log.warn(
            conflict,
            'OpenAPI: schemas of different shapes share a title; give each its own `title`',
          );
        }
        return document as ReturnType<SwaggerTransformObject>;
      },
    });

    serveSwaggerUiOnDemand(app, {
      routePrefix: '/docs',
      uiConfig: { url: '/openapi.json', deepLinking: true, validatorUrl: null },
      staticCSP: true,
      // The default policy allows fonts and styles from any https: origin; keep everything local.
      transformStaticCSP: (header) =>
        header
          .replaceAll(' https:', '')
          .replaceAll(' validator.swagger.io', '')
          .replace('upgrade-insecure-requests;', "connect-src 'self';"),
    });

    const schema = { hide: true } as const;
    app.get('/openapi.json', { schema }, async () => app.swagger());

    app.get('/redoc', { schema }, async (_request, reply) =>
      reply
        .header('content-security-policy', REDOC_CSP)
        .type('text/html; charset=utf-8')
        .send(redocPage(options.title)),
    );

    let bundle: Promise<Buffer> | undefined;
    app.get('/redoc/redoc.standalone.js', { schema }, async (_request, reply) => {
      bundle ??= readFile(REDOC_BUNDLE).catch((error: unknown) => {
        bundle = undefined; // try again on the next request rather than caching the failure
        throw error;
      });
      return reply
        .header('cache-control', 'public, max-age=86400')
        .type('application/javascript; charset=utf-8')
        .send(await bundle);
    });
  },
  { name: 'cfm-swagger', fastify: '5.x' },
);
