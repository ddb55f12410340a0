import type { Logger } from '@cfm/connector-sdk';
import type { DatabaseHandle } from '@cfm/db';
import type { ConnectorResolver } from './connector-resolver.js';
import type { CredentialsVault } from './credentials-vault.js';

/** What every OAuth engine service is built from. Services hold no Fastify objects and read no env. */
export interface EngineContext {
  database: DatabaseHandle;
  vault: CredentialsVault;
  connectors: ConnectorResolver;
  /** Origin overrides (`createOriginRewriter(parseOriginOverrides(text))`) applied to every provider URL. */
  rewriteUrl?: (url: string) => string;
  /** SDK-shaped logger; never given a secret. Default: drops everything. */
  logger?: Logger;
  /** The clock; tests inject one to move time. Default `() => new Date()`. */
  now?: () => Date;
}

export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

export function clockOf(context: EngineContext): () => Date {
  return context.now ?? (() => new Date());
}

/** The URL rewriter and logger that are set, as the SDK's OAuth client and connector context take them. */
export function sdkOptionsOf(context: EngineContext): Pick<EngineContext, 'rewriteUrl' | 'logger'> {
  return {
    ...(context.rewriteUrl && { rewriteUrl: context.rewriteUrl }),
    ...(context.logger && { logger: context.logger }),
  };
}

/** A short, log-safe description of an unknown failure: its class name and, for our typed errors, the code. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} ${code}` : error.name;
  }
  return typeof error;
}
