import { fileURLToPath } from 'node:url';
import type { Logger } from '@cfm/connector-sdk';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import type { AppConfig } from '../config.js';
import { discoverConnectors } from '../services/connector-discovery.js';
import { ConnectorRegistry } from '../services/connector-registry.js';
import { type ConnectorUrlPolicy, createConnectorUrlPolicy } from '../services/connector-url-policy.js';
import { CredentialsVault } from '../services/credentials-vault.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every connector (packaged and custom); also the `ConnectorResolver` the OAuth engine uses. */
    connectors: ConnectorRegistry;
    /** Seals credentials and client secrets with `ENCRYPTION_KEY(S)`. */
    vault: CredentialsVault;
    /** What an admin-declared connector URL may be (`ALLOW_INSECURE_CONNECTOR_URLS`, origin overrides). */
    connectorUrlPolicy: ConnectorUrlPolicy;
  }
}

export interface ConnectorsPluginOptions {
  config: AppConfig;
  /** The package whose dependencies are scanned for connectors; default this server's. */
  serverDirectory?: string;
}

// src/plugins and dist/plugins both sit two levels below the package root.
const SERVER_DIRECTORY = fileURLToPath(new URL('../..', import.meta.url));

/** The SDK's logger shape on top of pino (message last in pino, first in the SDK). */
export function sdkLogger(log: FastifyBaseLogger): Logger {
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}

/**
 * Discovers connector packages at start (a broken one is logged and listed, never fatal), records them
 * in `connectors`, and decorates `app.connectors`, `app.vault` and `app.connectorUrlPolicy`.
 */
export const connectorsPlugin = fp<ConnectorsPluginOptions>(
  async (app, options) => {
    const { config } = options;
    const logger = sdkLogger(app.log.child({ component: 'connectors' }));
    if (!app.hasDecorator('vault')) {
      app.decorate('vault', new CredentialsVault(config.encryptionKeys));
    }
    const discovered = await discoverConnectors({
      serverDirectory: options.serverDirectory ?? SERVER_DIRECTORY,
      connectorPackages: config.connectorPackages,
      connectorsDir: config.connectorsDir,
      logger,
    });
    const changes = app.db.watchConnectors({
      onError: (error) =>
        logger.warn('connector change listener lost: the list is read from the database until it is back', {
          error: error.message,
        }),
    });
    app.addHook('onClose', () => changes.close());
    const registry = new ConnectorRegistry({
      database: app.db,
      vault: app.vault,
      discovered,
      oauthClients: config.oauthClients,
      logger,
      changes,
    });
    app.decorate('connectors', registry);
    app.decorate('connectorUrlPolicy', createConnectorUrlPolicy(config));
    try {
      await registry.ensureSynced();
    } catch (error) {
      // Not fatal: the database may not answer yet; the registry syncs on first use instead.
      app.log.warn({ err: error }, 'could not record discovered connectors in the database yet');
    }
  },
  { name: 'cfm-connectors', fastify: '5.x', dependencies: ['cfm-db'] },
);
