import type { ConnectorContextOptions } from '../connector-context.js';
import { ConnectorError } from '../errors.js';
import { applyCredentials } from '../http/apply-credentials.js';
import { createHttpClient } from '../http/http-client.js';
import { noopLogger } from '../logger.js';
import { fillTemplate } from '../oauth2/fill-template.js';
import type {
  ApiConnectionFacts,
  AuthDescriptor,
  ConnectorDefinition,
  Credentials,
  HttpClient,
  HttpRequest,
} from '../types.js';

const PLACEHOLDER = /\{([a-zA-Z0-9_]+)\}/g;

/** Config wins over metadata; empty config values do not hide a stored fact. */
function templateValues(facts: ApiConnectionFacts): Record<string, unknown> {
  const values: Record<string, unknown> = { ...facts.metadata };
  for (const [name, value] of Object.entries(facts.config ?? {})) {
    if (value !== undefined && value !== null && value !== '') values[name] = value;
  }
  return values;
}

function apiOf(definition: ConnectorDefinition) {
  if (definition.api === undefined) {
    throw new ConnectorError(`Connector "${definition.key}" declares no api`, { reason: 'config' });
  }
  return definition.api;
}

/**
 * The placeholders of the connector's `api.baseUrl` that neither the connection's config nor its metadata
 * fills yet (for example `cloudId` before the first `check`). Empty when the base URL can be built.
 */
export function missingApiPlaceholders(definition: ConnectorDefinition, facts: ApiConnectionFacts): string[] {
  const values = templateValues(facts);
  const missing: string[] = [];
  for (const match of apiOf(definition).baseUrl.matchAll(PLACEHOLDER)) {
    const value = values[match[1]!];
    if (value === undefined || value === null || value === '') missing.push(match[1]!);
  }
  return missing;
}

/**
 * The connection's API base URL: `api.baseUrl` with placeholders filled from config, then metadata, and no
 * trailing slash. Throws a `ConnectorError` (`config`) naming a missing value.
 *
 * @example
 * ```ts
 * resolveApiBaseUrl(jira, { config: {}, metadata: { cloudId: 'abc' } });
 * // 'https://api.atlassian.com/ex/jira/abc'
 * ```
 */
export function resolveApiBaseUrl(definition: ConnectorDefinition, facts: ApiConnectionFacts): string {
  return fillTemplate(apiOf(definition).baseUrl, templateValues(facts)).replace(/\/+$/, '');
}

/** `base` + `/` + `path` (leading slashes of `path` dropped): a base path is kept, unlike URL resolution. */
export function joinApiUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** The auth descriptor credentials of this type follow (or the one at `authIndex`). */
export function authDescriptorFor(
  definition: ConnectorDefinition,
  credentials: Credentials,
  authIndex?: number,
): AuthDescriptor | undefined {
  return authIndex === undefined
    ? definition.auth.find((descriptor) => descriptor.type === credentials.type)
    : definition.auth[authIndex];
}

/**
 * Places the connection's credentials on an API request: the connector's `api.applyCredentials` hook when it
 * has one, otherwise as its auth descriptor says. `headers` keys are lowercase; headers already set win.
 */
export function applyApiCredentials(
  definition: ConnectorDefinition,
  credentials: Credentials,
  request: { headers: Record<string, string>; url: URL },
  facts: ApiConnectionFacts,
  authIndex?: number,
): void {
  const hook = definition.api?.applyCredentials;
  if (hook !== undefined) {
    hook(request, credentials, facts);
    return;
  }
  applyCredentials(
    credentials,
    authDescriptorFor(definition, credentials, authIndex),
    request.headers,
    request.url,
  );
}

/** The connector's default API headers, lowercase names. */
export function apiDefaultHeaders(definition: ConnectorDefinition): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(definition.api?.headers ?? {}))
    headers[name.toLowerCase()] = value;
  return headers;
}

export type ApiClientOptions = Omit<ConnectorContextOptions, 'metadata'> & {
  metadata?: Record<string, unknown>;
};

/**
 * An {@link HttpClient} bound to a connection's provider API: relative URLs are appended to the resolved
 * `api.baseUrl`, the connector's default headers are added, and credentials are placed as
 * {@link applyApiCredentials} says. Absolute URLs pass as they are (still with credentials).
 *
 * @example
 * ```ts
 * const api = createApiClient(jira, { config: {}, metadata: { cloudId }, credentials });
 * const me = await api.get<{ accountId: string }>('/rest/api/3/myself');
 * ```
 */
export function createApiClient(definition: ConnectorDefinition, options: ApiClientOptions): HttpClient {
  const facts: ApiConnectionFacts = { config: options.config, metadata: options.metadata ?? {} };
  const baseUrl = resolveApiBaseUrl(definition, facts);
  const defaults = apiDefaultHeaders(definition);
  const http = createHttpClient({
    credentials: options.credentials,
    applyCredentials: (headers, url) =>
      applyApiCredentials(definition, options.credentials, { headers, url }, facts, options.authIndex),
    logger: options.logger ?? noopLogger,
    ...(options.signal !== undefined && { signal: options.signal }),
    ...(options.rewriteUrl !== undefined && { rewriteUrl: options.rewriteUrl }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.retries !== undefined && { retries: options.retries }),
    ...(options.maxRetryDelayMs !== undefined && { maxRetryDelayMs: options.maxRetryDelayMs }),
  });
  function bind(request: HttpRequest): HttpRequest {
    const url = String(request.url);
    const absolute = /^https?:\/\//i.test(url);
    const headers: Record<string, string> = { ...defaults };
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    return { ...request, url: absolute ? url : joinApiUrl(baseUrl, url), headers };
  }
  return {
    request: (request) => http.request(bind(request)),
    get: (url, rest) => http.request(bind({ ...rest, url, method: 'GET' })),
    post: (url, rest) => http.request(bind({ ...rest, url, method: 'POST' })),
  };
}
