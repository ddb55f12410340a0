import { createRequire } from 'node:module';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RouteOptions,
} from 'fastify';
import fp from 'fastify-plugin';

/*
 * @fastify/swagger and @fastify/swagger-ui (with `yaml`, a JSON Schema resolver and @fastify/static: about
 * 120 modules) are loaded when the document or the UI is first asked for, not at start: most processes are
 * never asked.
 */

const require = createRequire(import.meta.url);

type SwaggerFunction = FastifyInstance['swagger'];
type RecordedHook =
  | { name: 'onRoute'; argument: RouteOptions }
  | { name: 'onRegister'; argument: FastifyInstance };

/**
 * Decorates `app.swagger()`, the OpenAPI document of `app`'s routes, built by @fastify/swagger on the
 * first call. That plugin learns the routes and the shared schemas from `onRoute`, `onRegister` and
 * `onReady` hooks; here those hooks' arguments are recorded as they come, and the first call sets the
 * plugin up on a stand-in for `app` and replays them, the same objects in the same order: the same
 * document as with the plugin registered at start (the checked-in `interfaces/openapi.json` and its test
 * say so).
 */
export function decorateSwaggerOnDemand(app: FastifyInstance, options: FastifyDynamicSwaggerOptions): void {
  const recorded: RecordedHook[] = [];
  let ready = false;
  app.addHook('onRoute', (route) => {
    recorded.push({ name: 'onRoute', argument: route });
  });
  app.addHook('onRegister', (instance) => {
    recorded.push({ name: 'onRegister', argument: instance });
  });
  app.addHook('onReady', async () => {
    ready = true;
  });
  let swagger: SwaggerFunction | undefined;
  const document = ((documentOptions?: { yaml?: boolean }) => {
    // What @fastify/swagger answers too: the routes are only all known once the app is ready.
    if (!ready) throw new Error('.swagger() must be called after .ready()');
    swagger ??= setUpSwagger(app, options, recorded);
    return swagger(documentOptions as { yaml: boolean });
  }) as SwaggerFunction;
  app.decorate('swagger', document);
}

const REPLAYED_HOOKS = new Set(['onRoute', 'onRegister', 'onReady']);

function setUpSwagger(
  app: FastifyInstance,
  options: FastifyDynamicSwaggerOptions,
  recorded: readonly RecordedHook[],
): SwaggerFunction {
  const { fastifySwagger } = require('@fastify/swagger') as typeof import('@fastify/swagger');
  const hooks = new Map<string, (argument: unknown) => void>();
  let swagger: SwaggerFunction | undefined;
  // All that the plugin's dynamic mode uses of its instance; anything else fails loudly, in the tests.
  const standIn = {
    addHook: (name: string, hook: (argument: unknown) => void) => {
      if (!REPLAYED_HOOKS.has(name) || hooks.has(name)) {
        throw new Error(`@fastify/swagger added an unexpected ${name} hook: its document cannot be replayed`);
      }
      hooks.set(name, hook);
    },
    decorate: (_name: string, value: SwaggerFunction) => {
      swagger = value;
    },
    getSchemas: () => app.getSchemas(),
  };
  fastifySwagger(standIn as unknown as FastifyInstance, { ...options, mode: 'dynamic' }, (error) => {
    if (error) throw error;
  });
  for (const { name, argument } of recorded) hooks.get(name)?.(argument);
  hooks.get('onReady')?.(() => undefined);
  if (swagger === undefined) throw new Error('@fastify/swagger did not decorate swagger()');
  return swagger;
}

/** Set per connection by Node: not copied from the Swagger UI instance's answer. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);

/**
 * Swagger UI under `options.routePrefix`, loaded by its first request: it lives in a Fastify instance of
 * its own, built then, which serves `app.swagger()`. Its answers go out through `app`'s reply, so the
 * API's hooks (request id, CORS, headers, logs) apply as to any other route, and what it does not find
 * is `app`'s 404.
 */
export function serveSwaggerUiOnDemand(
  app: FastifyInstance,
  options: FastifySwaggerUiOptions & { routePrefix: string },
): void {
  let ui: Promise<FastifyInstance> | undefined;
  const build = async () => {
    const { default: swaggerUi } = await import('@fastify/swagger-ui');
    const instance = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
    // Swagger UI depends on a plugin of this name for `swagger()`: here, the document of `app`.
    const documentOfApp = fp(
      async (docs) => {
        docs.decorate('swagger', app.swagger);
      },
      { name: '@fastify/swagger' },
    );
    await instance.register(documentOfApp);
    await instance.register(swaggerUi, options);
    await instance.ready();
    return instance;
  };
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    ui ??= build().catch((error: unknown) => {
      ui = undefined; // try again on the next request rather than caching the failure
      throw error;
    });
    // Always a GET: for a HEAD, `app` sends the headers of the whole answer and drops its body.
    const answer = await (await ui).inject({ method: 'GET', url: request.url, headers: request.headers });
    if (answer.statusCode >= 500) throw new Error(`Swagger UI failed to answer: ${answer.statusMessage}`);
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !CONNECTION_HEADERS.has(name)) reply.header(name, value);
    }
    if (answer.statusCode === 404) {
      // Ours, in our error shape (with the headers Swagger UI gives its own 404: its CSP).
      reply.removeHeader('content-type').removeHeader('content-length');
      return reply.callNotFound();
    }
    reply.code(answer.statusCode);
    return answer.rawPayload.length === 0 ? reply.send() : reply.send(answer.rawPayload);
  };
  const schema = { hide: true } as const;
  app.get(options.routePrefix, { schema }, forward);
  app.get(`${options.routePrefix}/*`, { schema }, forward);
}
