import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import { errorResponses } from '../../schemas/error-response.js';
import { Liveness, Readiness } from './schemas.js';

export interface HealthRoutesOptions {
  /** How long `/readyz` waits for the database. Default 2000 ms. */
  readinessTimeoutMs?: number;
}

async function pingWithin(ping: () => Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([ping().then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz` (the process answers) and `/readyz` (and can reach its database). */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, options) => {
  const timeoutMs = options.readinessTimeoutMs ?? 2000;

  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getLiveness',
        tags: ['health'],
        summary: 'Liveness: the process is up (does not touch the database)',
        response: { 200: Liveness, ...errorResponses(429, 500) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'Readiness: the database answers',
        response: {
          200: Readiness,
          ...errorResponses(429, 500, 503),
        },
      },
    },
    async (request) => {
      let up: boolean;
      try {
        up = await pingWithin(() => app.db.ping(), timeoutMs);
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check: database ping failed');
        up = false;
      }
      if (!up) {
        throw new AppError('CFM_NOT_READY', 'database unreachable');
      }
      return { status: 'ready' as const, database: 'up' as const };
    },
  );
};
