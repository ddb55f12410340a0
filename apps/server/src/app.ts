import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DatabaseHandle } from '@cfm/db';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { AppConfig } from './config.js';
import { AppError } from './errors.js';
import { lazyChildLoggerFactory } from './lazy-child-logger.js';
import { createLoggerOptions } from './logger.js';
import { authPlugin } from './plugins/auth.js';
import { connectorsPlugin } from './plugins/connectors.js';
import { corsPlugin } from './plugins/cors.js';
import { dbPlugin } from './plugins/db.js';
import { enginePlugin } from './plugins/engine.js';
import { answerClientError, errorHandlerPlugin, sendError, toAppError } from './plugins/error-handler.js';
import { jwtPlugin } from './plugins/jwt.js';
import { metricsPlugin } from './plugins/metrics.js';
import { rateLimitPlugin } from './plugins/rate-limit.js';
import { requestInputPlugin } from './plugins/request-input.js';
import { swaggerPlugin } from './plugins/swagger.js';
import { drainKeepAliveOnClose } from './production/keep-alive-drain.js';
import { auditEventRoutes } from './routes/audit-events/index.js';
import { connectionUseRoutes } from './routes/connection-use/index.js';
import { connectionRoutes } from './routes/connections/index.js';
import { connectorRoutes } from './routes/connectors/index.js';
import { healthRoutes } from './routes/health/index.js';
import { mcpRoutes } from './routes/mcp/index.js';
import { metaRoutes } from './routes/meta/index.js';
import { oauthRoutes } from './routes/oauth/index.js';
import { serviceKeyRoutes } from './routes/service-keys/index.js';
import { buildSerializer, buildValidator } from './validation.js';
import { SERVER_VERSION } from './version.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig;
  }
}

export interface BuildAppOptions {
  /** Where log lines go (tests capture them); default stdout. `false` silences logging. */
  logStream?: DestinationStream | false;
  /** An open database handle the caller owns and closes; default: one opened from `config.databaseUrl`. */
  database?: DatabaseHandle;
  /** `/readyz` database timeout. */
  readinessTimeoutMs?: number;
  /** Run the background token refresher once the server listens (`server.ts`). Default false. */
  startRefresher?: boolean;
}

/** A sane incoming `x-request-id` is kept (to correlate with a proxy's logs); anything else is replaced. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Fastify takes a hop count too, but its types only name a function for it. */
function trustProxyOption(setting: AppConfig['trustProxy']) {
  if (typeof setting === 'number') return (_address: string, hop: number) => hop < setting;
  return typeof setting === 'boolean' ? setting : [...setting];
}

/**
 * Builds the application without listening (tests use `app.inject`; `server.ts` listens).
 *
 * @example
 * const app = await buildApp(loadConfig());
 * const response = await app.inject({ method: 'GET', url: '/healthz' });
 */
export async function buildApp(config: AppConfig, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logStream === false ? false : createLoggerOptions(config.logLevel, options.logStream),
    genReqId: requestIdFor,
    ...(options.logStream !== false && { childLoggerFactory: lazyChildLoggerFactory }),
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 1024 * 1024,
    // A client trickling its headers or body gets 408 and a closed connection instead of holding one
    // open; Node checks every `connectionsCheckingInterval` ms, so the bound is kept within a second.
    requestTimeout: config.timeouts.requestMs,
    http: {
      requestTimeout: config.timeouts.requestMs,
      headersTimeout: config.timeouts.headersMs,
      connectionsCheckingInterval: 1000,
    },
    clientErrorHandler: answerClientError,
    // `TRUST_PROXY`: behind a TLS-terminating proxy, request.ip/protocol/host come from X-Forwarded-*.
    trustProxy: trustProxyOption(config.trustProxy),
    schemaController: { compilersFactory: { buildValidator, buildSerializer } },
    // Fastify answers a malformed URL itself, echoing the whole URL (an OAuth `code` in the query
    // included) in its own error shape: answer in ours, without the URL.
    frameworkErrors: (error, _request, reply) => {
      const mapped =
        error.code === 'FST_ERR_BAD_URL'
          ? new AppError('CFM_BAD_REQUEST', 'The request URL is not valid')
          : toAppError(error);
      sendError(reply, mapped);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', config);
  drainKeepAliveOnClose(app); // SIGTERM: in-flight requests finish, then the server closes
  // Callback style: on every request, so no promise for three headers.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Every answer is JSON or a docs page of ours: no sniffing, and no URL (with a state or code) in a Referer.
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    done();
  });

  // Infrastructure, shared by every route group.
  await app.register(errorHandlerPlugin);
  await app.register(requestInputPlugin);
  await app.register(dbPlugin, {
    url: config.databaseUrl,
    namedStatements: config.databaseNamedStatements,
    ...(options.database ? { handle: options.database } : {}),
  });
  await app.register(corsPlugin, { origins: [config.frontendBaseUrl, config.backendBaseUrl] });
  await app.register(jwtPlugin, { jwt: config.jwt });
  await app.register(authPlugin, { jwt: config.jwt });
  await app.register(rateLimitPlugin, { limits: config.rateLimit }); // before the routes: it hooks them
  await app.register(swaggerPlugin, { title: config.appName, version: SERVER_VERSION });
  await app.register(connectorsPlugin, { config });
  await app.register(enginePlugin, { startRefresher: options.startRefresher ?? false });
  await app.register(metricsPlugin); // METRICS_ENABLED only: before the routes, so its hook sees them all

  // Route groups: one line each.
  await app.register(healthRoutes, { readinessTimeoutMs: options.readinessTimeoutMs });
  await app.register(metaRoutes, { prefix: '/api', name: config.appName, version: SERVER_VERSION });
  await app.register(connectorRoutes, { prefix: '/api/connectors' });
  await app.register(connectionRoutes, { prefix: '/api/connections' });
  await app.register(connectionUseRoutes, { prefix: '/api/connections' });
  await app.register(oauthRoutes, { prefix: '/api/oauth' });
  await app.register(mcpRoutes, {
    prefix: '/mcp',
    name: config.appName,
    version: SERVER_VERSION,
    policy: config.mcp,
  });
  await app.register(serviceKeyRoutes, { prefix: '/api/service-keys' });
  await app.register(auditEventRoutes, { prefix: '/api/audit-events' });

  return app;
}
