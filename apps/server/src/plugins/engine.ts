import { createOriginRewriter, parseOriginOverrides } from '@cfm/connector-sdk';
import fp from 'fastify-plugin';
import { ActionRunner } from '../services/actions/action-runner.js';
import { ConnectionTester } from '../services/connection-tester.js';
import type { EngineContext } from '../services/engine-context.js';
import { OAuthFlow } from '../services/oauth-flow.js';
import { ConnectionProxy } from '../services/proxy/connection-proxy.js';
import { TokenManager } from '../services/token-manager.js';
import { TokenRefresher } from '../services/token-refresher.js';
import { sdkLogger } from './connectors.js';

/** The OAuth engine services, built once per app on one shared context. */
export interface Engine {
  context: EngineContext;
  oauthFlow: OAuthFlow;
  tokenManager: TokenManager;
  connectionTester: ConnectionTester;
  refresher: TokenRefresher;
  /** `/api/connections/{id}/proxy/…`: the provider API with the connection's credentials. */
  proxy: ConnectionProxy;
  /** `/api/connections/{id}/actions/{name}` (and the agents' MCP tools). */
  actions: ActionRunner;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The OAuth engine: flow, token manager, connection tester and background refresher. */
    engine: Engine;
  }
}

export interface EnginePluginOptions {
  /** Run the background token refresher while the server listens. Default false (tests use `runOnce`). */
  startRefresher?: boolean;
}

/**
 * Builds the one `EngineContext` every OAuth service shares (database, the connectors plugin's vault and
 * registry, origin overrides, a request-free logger) and decorates `app.engine`. The refresher starts
 * when the server listens (when asked to) and stops on close, before the database handle is closed.
 */
export const enginePlugin = fp<EnginePluginOptions>(
  async (app, options) => {
    const { config } = app;
    const log = app.log.child({ component: 'oauth-engine' });
    const overrides = parseOriginOverrides(config.connectorOriginOverrides ?? '');
    if (overrides.size > 0) {
      // Origins only (config validation refuses anything with a path, a query or credentials).
      log.info({ overrides: Object.fromEntries(overrides) }, 'connector origin overrides are active');
    }
    const context: EngineContext = {
      database: app.db,
      vault: app.vault,
      connectors: app.connectors,
      ...(overrides.size > 0 && { rewriteUrl: createOriginRewriter(overrides) }),
      logger: sdkLogger(log),
    };
    const tokenManager = new TokenManager(context);
    const refresher = new TokenRefresher(context, tokenManager, {
      intervalSeconds: config.tokenRefreshIntervalSeconds,
      concurrency: config.tokenRefreshConcurrency,
    });
    app.decorate('engine', {
      context,
      oauthFlow: new OAuthFlow(context, { stateSecret: config.jwt.secret }),
      tokenManager,
      connectionTester: new ConnectionTester(context, tokenManager, { timeoutMs: config.proxy.timeoutMs }),
      refresher,
      proxy: new ConnectionProxy(context, tokenManager, config.proxy),
      actions: new ActionRunner(context, tokenManager, {
        timeoutMs: config.proxy.timeoutMs,
        retryWaitCapMs: config.proxy.retryWaitCapMs,
      }),
    });
    if (options.startRefresher === true) {
      app.addHook('onListen', async () => {
        refresher.start();
        log.info(
          { intervalSeconds: config.tokenRefreshIntervalSeconds },
          'background token refresher started',
        );
      });
    }
    // onClose hooks run before the db plugin's (registered earlier) and before server.ts closes its handle.
    app.addHook('onClose', async () => {
      await refresher.stop();
      await app.engine.proxy.close();
    });
  },
  { name: 'cfm-engine', fastify: '5.x', dependencies: ['cfm-db', 'cfm-connectors'] },
);
