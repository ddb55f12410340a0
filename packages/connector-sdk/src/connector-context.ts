import { createApiClient } from './api/api-client.js';
import { createHttpClient } from './http/http-client.js';
import { noopLogger } from './logger.js';
import type { ActionContext, ConnectorContext, ConnectorDefinition, Credentials, Logger } from './types.js';

export interface ConnectorContextOptions<TConfig = Record<string, unknown>> {
  config: TConfig;
  credentials: Credentials;
  metadata?: Record<string, unknown>;
  rewriteUrl?: (url: string) => string;
  logger?: Logger;
  signal?: AbortSignal;
  timeoutMs?: number;
  retries?: number;
  maxRetryDelayMs?: number;
  /** Index into `definition.auth` of the descriptor the credentials follow; default the first of their type. */
  authIndex?: number;
}

/**
 * Builds the context a connector hook (`check`, `fetchSample`) receives, with an `http` client that
 * applies the credentials as the matching auth descriptor says.
 *
 * @example
 * ```ts
 * const ctx = createConnectorContext(connector, { config: {}, credentials: { type: 'oauth2', accessToken } });
 * const result = await connector.check(ctx);
 * ```
 */
export function createConnectorContext<TConfig = Record<string, unknown>>(
  definition: ConnectorDefinition,
  options: ConnectorContextOptions<TConfig>,
): ConnectorContext<TConfig> {
  const auth =
    options.authIndex === undefined
      ? definition.auth.find((descriptor) => descriptor.type === options.credentials.type)
      : definition.auth[options.authIndex];
  const logger = options.logger ?? noopLogger;
  const signal = options.signal ?? new AbortController().signal;
  const http = createHttpClient({
    credentials: options.credentials,
    logger,
    signal,
    ...(auth !== undefined && { auth }),
    ...(options.rewriteUrl !== undefined && { rewriteUrl: options.rewriteUrl }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.retries !== undefined && { retries: options.retries }),
    ...(options.maxRetryDelayMs !== undefined && { maxRetryDelayMs: options.maxRetryDelayMs }),
  });
  return {
    config: options.config,
    credentials: options.credentials,
    metadata: options.metadata ?? {},
    http,
    logger,
    signal,
  };
}

/**
 * The context an action's `run` receives: {@link createConnectorContext} plus `api`, an HTTP client bound to
 * the connector's API base URL, default headers and the credentials. Throws a `ConnectorError` (`config`)
 * when the connector declares no `api` or its base URL needs a value the connection does not have yet.
 *
 * @example
 * ```ts
 * const ctx = createActionContext(jira, { config: {}, metadata: { cloudId }, credentials });
 * const result = await jira.actions!.search_issues!.run(ctx, { jql: 'project = CFM', limit: 10 });
 * ```
 */
export function createActionContext<TConfig = Record<string, unknown>>(
  definition: ConnectorDefinition,
  options: ConnectorContextOptions<TConfig>,
): ActionContext<TConfig> {
  const context = createConnectorContext(definition, options);
  const api = createApiClient(definition, {
    ...(options as ConnectorContextOptions),
    logger: context.logger,
    signal: context.signal,
  });
  return { ...context, api };
}
