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
  const missing = missingApiPlaceholders(definition, facts);
  if (missing.length > 0) {
    // Usually a fact `check` stores (an Atlassian cloudId): the connection has not been checked yet.
    throw new ConnectorError(
      `Connector "${definition.key}" api.baseUrl needs ${missing.map((name) => `"${name}"`).join(', ')}, ` +
        "which neither the connection's config nor its metadata holds",
      { reason: 'config' },
    );
  }
  return fillTemplate(apiOf(definition).baseUrl, templateValues(facts)).replace(/\/+$/, '');
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch (error) {
    throw new ConnectorError('The API URL is not a valid URL', { reason: 'config', cause: error });
  }
}

/** The path of a URL as the WHATWG parser normalizes it (dot segments, `%2e`, backslashes resolved). */
function normalizedPath(url: string): string {
  return parseUrl(url).pathname.replace(/\/+$/, '');
}

/**
 * `base` + `/` + `path` (leading slashes of `path` dropped): a base path is kept, unlike URL resolution.
 * A path that would climb out of the base path once normalized (`..`, `%2e%2e`, `..\\`) throws a
 * `ConnectorError` (`config`): through the proxy, a caller names paths under the API, never beside it.
 *
 * @example
 * ```ts
 * joinApiUrl('https://api.atlassian.com/ex/jira/abc', '/rest/api/3/myself');
 * // 'https://api.atlassian.com/ex/jira/abc/rest/api/3/myself'
 * ```
 */
export function joinApiUrl(baseUrl: string, path: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  const joined = `${base}/${path.replace(/^[/\\]+/, '')}`;
  const basePath = normalizedPath(base);
  const joinedPath = normalizedPath(joined);
  if (joinedPath !== basePath && !joinedPath.startsWith(`${basePath}/`)) {
    throw new ConnectorError(
      'The API path leaves the API base URL (it climbs out with "." or ".." segments)',
      {
        reason: 'config',
      },
    );
  }
  return joined;
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
 * `api.baseUrl` (see {@link joinApiUrl}), the connector's default headers are added, and credentials are
 * placed as {@link applyApiCredentials} says. Absolute URLs are accepted on the base URL's origin only (a
 * pagination link, another path of the same API); any other origin throws a `ConnectorError` (`config`)
 * before anything is sent, so the connection's credentials never leave the provider's API.
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
  const baseOrigin = parseUrl(baseUrl).origin;
  function bind(request: HttpRequest): HttpRequest {
    const url = String(request.url);
    const absolute = /^https?:\/\//i.test(url);
    const origin = absolute ? parseUrl(url).origin : baseOrigin;
    if (origin !== baseOrigin) {
      throw new ConnectorError(
        `The API client of "${definition.key}" only calls ${baseOrigin}; use ctx.http for ${origin}`,
        { reason: 'config' },
      );
    }
    const headers: Record<string, string> = { ...defaults };
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    return { ...request, url: absolute ? url : joinApiUrl(baseUrl, url), headers };
  }
  // Async so that a refused URL rejects like any other failed request instead of throwing synchronously.
  const send = async <T>(request: HttpRequest) => http.request<T>(bind(request));
  return {
    request: (request) => send(request),
    get: (url, rest) => send({ ...rest, url, method: 'GET' }),
    post: (url, rest) => send({ ...rest, url, method: 'POST' }),
  };
}
