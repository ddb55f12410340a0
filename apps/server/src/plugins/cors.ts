import cors from '@fastify/cors';
import fp from 'fastify-plugin';

export interface CorsPluginOptions {
  /** Exactly these origins may call the API from a browser (with cookies); every other gets no CORS header. */
  origins: string[];
}

export const corsPlugin = fp<CorsPluginOptions>(
  async (app, options) => {
    const allowed = new Set(options.origins.map((url) => new URL(url).origin));
    await app.register(cors, {
      // A function rather than the list, so the comparison is exact (no prefix or regex surprises).
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposedHeaders: ['x-request-id', 'www-authenticate', 'retry-after'],
      maxAge: 600,
    });
  },
  { name: 'cfm-cors', fastify: '5.x' },
);
