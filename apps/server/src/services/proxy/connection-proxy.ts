import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  apiDefaultHeaders,
  applyApiCredentials,
  type Credentials,
  parseRetryAfter,
} from '@cfm/connector-sdk';
import type { Dispatcher, request as undiciRequest } from 'undici';
import {
  apiBaseUrlOf,
  type ConnectionCaller,
  freshCredentialsOf,
  loadUsableConnection,
  type UsableConnection,
} from '../connection-use/usable-connection.js';
import type { EngineContext } from '../engine-context.js';
import { ServiceError } from '../service-error.js';
import type { TokenManager } from '../token-manager.js';
import { BodyTooLargeError, type ProxyBody, prepareProxyBody } from './proxy-body.js';
import { forwardedRequestHeaders, returnedResponseHeaders } from './proxy-headers.js';
import { checkProxyPath, proxyTargetUrl } from './proxy-path.js';

export type ProxyMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ProxySettings {
  /** Largest request body forwarded (413 beyond). Default 10 MiB. */
  bodyLimitBytes: number;
  /** Longest wait for the provider's answer to start, and between two chunks of it. Default 30 s. */
  timeoutMs: number;
  /** A 429/503 whose `Retry-After` is at most this is waited for and retried; a longer one is passed on. */
  retryWaitCapMs: number;
  /** Bodies up to this size are held so a request can be replayed (after a refresh, a short 429). */
  replayableBodyBytes: number;
  /** At most this many 429/503 retries per call. */
  maxRateLimitRetries: number;
}

export const DEFAULT_PROXY_SETTINGS: ProxySettings = {
  bodyLimitBytes: 10 * 1024 * 1024,
  timeoutMs: 30_000,
  retryWaitCapMs: 10_000,
  replayableBodyBytes: 1024 * 1024,
  maxRateLimitRetries: 2,
};

export interface ProxyRequest {
  caller: ConnectionCaller;
  connectionId: string;
  method: ProxyMethod;
  /** The path after `/proxy/`, as the caller sent it (still percent-encoded). */
  rawPath: string;
  /** The query string without `?`, as sent. */
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  /** The request body stream, or undefined when there is none. */
  body: Readable | undefined;
  /** Aborted when the caller goes away: the provider request is abandoned too. */
  signal: AbortSignal;
}

export interface ProxyResponse {
  status: number;
  headers: Record<string, string | string[]>;
  /** The provider's body, streamed: never held in memory whole. */
  body: Readable;
  connectorKey: string;
}

/**
 * Sends a caller's request to a connection's provider API: the connector's base URL + the checked path +
 * the query, with the caller's method, body and content headers, and the connection's fresh credentials
 * in place of anything the caller sent. The provider's status, headers (less hop-by-hop ones and cookies)
 * and body come back as they are, streamed. A provider 401 costs one refresh (shared with every other
 * refresh of the connection) and one retry when the body can be replayed; a 429/503 is retried while its
 * `Retry-After` fits the cap. Redirects are passed back, never followed.
 */
export class ConnectionProxy {
  readonly #context: EngineContext;
  readonly #tokens: TokenManager;
  readonly #settings: ProxySettings;
  /** undici and its connection pool, created by the first forwarded request (not at start). */
  #undici: Promise<{ request: typeof undiciRequest; dispatcher: Dispatcher }> | undefined;

  constructor(context: EngineContext, tokens: TokenManager, settings: Partial<ProxySettings> = {}) {
    this.#context = context;
    this.#tokens = tokens;
    this.#settings = { ...DEFAULT_PROXY_SETTINGS, ...settings };
  }

  #loadUndici(): Promise<{ request: typeof undiciRequest; dispatcher: Dispatcher }> {
    this.#undici ??= import('undici').then(({ Agent, request }) => ({
      request,
      dispatcher: new Agent({
        headersTimeout: this.#settings.timeoutMs,
        bodyTimeout: this.#settings.timeoutMs,
        connectTimeout: Math.min(this.#settings.timeoutMs, 10_000),
      }),
    }));
    return this.#undici;
  }

  get settings(): Readonly<ProxySettings> {
    return this.#settings;
  }

  /** Checks everything that needs no provider call: the path, then the connection. Nothing is sent before. */
  async prepare(input: ProxyRequest): Promise<UsableConnection> {
    checkProxyPath(input.rawPath);
    return loadUsableConnection(this.#context, input.caller, input.connectionId);
  }

  async forward(input: ProxyRequest, usable?: UsableConnection): Promise<ProxyResponse> {
    const path = checkProxyPath(input.rawPath);
    const connection =
      usable ?? (await loadUsableConnection(this.#context, input.caller, input.connectionId));
    const body = await prepareProxyBody(input.body, input.headers, this.#settings);
    let credentials = await freshCredentialsOf(this.#tokens, input.connectionId);
    const target = proxyTargetUrl(
      await apiBaseUrlOf(this.#context, connection, credentials),
      path,
      input.rawQuery,
    );

    let refreshed = false;
    for (let rateLimitRetries = 0; ; ) {
      const response = await this.#send(input, connection, credentials, target, body);
      const replayable = body.kind !== 'stream';
      if (response.statusCode === 401 && credentials.type === 'oauth2' && !refreshed && replayable) {
        await drain(response);
        refreshed = true;
        credentials = await freshCredentialsOf(this.#tokens, input.connectionId, credentials.accessToken);
        continue;
      }
      if (
        (response.statusCode === 429 || response.statusCode === 503) &&
        replayable &&
        rateLimitRetries < this.#settings.maxRateLimitRetries
      ) {
        const waitMs = parseRetryAfter(flatHeaders(response.headers));
        if (waitMs !== undefined && waitMs <= this.#settings.retryWaitCapMs) {
          await drain(response);
          rateLimitRetries += 1;
          await sleep(waitMs, undefined, { signal: input.signal });
          continue;
        }
      }
      return {
        status: response.statusCode,
        headers: returnedResponseHeaders(response.headers),
        body: response.body,
        connectorKey: connection.connector.key,
      };
    }
  }

  async #send(
    input: ProxyRequest,
    usable: UsableConnection,
    credentials: Credentials,
    target: URL,
    body: ProxyBody,
  ): Promise<Dispatcher.ResponseData> {
    const { definition } = usable.connector;
    const url = new URL(target);
    const headers = { ...apiDefaultHeaders(definition) };
    Object.assign(headers, forwardedRequestHeaders(input.headers, credentialHeaderNames(usable)));
    applyApiCredentials(
      definition,
      credentials,
      { headers, url },
      {
        config: usable.connection.config,
        metadata: usable.connection.metadata,
      },
    );
    if (body.kind === 'buffer') headers['content-length'] = String(body.data.length);
    const undici = await this.#loadUndici();
    try {
      return await undici.request(url, {
        method: input.method,
        headers,
        body: body.kind === 'none' ? null : body.kind === 'buffer' ? body.data : body.stream,
        dispatcher: undici.dispatcher,
        signal: input.signal,
      });
    } catch (error) {
      throw sendFailure(error, `${input.method} ${url.origin}${url.pathname}`, this.#settings.timeoutMs);
    }
  }

  async close(): Promise<void> {
    if (this.#undici !== undefined) await (await this.#undici).dispatcher.close();
  }
}

/** Header names that carry the connection's credentials: a caller's value for them is never forwarded. */
function credentialHeaderNames(usable: UsableConnection): string[] {
  const names = ['authorization'];
  for (const auth of usable.connector.definition.auth) {
    if (auth.type !== 'api_key') continue;
    for (const field of auth.fields) if (field.in === 'header') names.push(field.param);
  }
  return names;
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

async function drain(response: Dispatcher.ResponseData): Promise<void> {
  try {
    await response.body.dump({ limit: 64 * 1024 });
  } catch {
    // The answer is being replaced: a body that fails to drain only costs its socket.
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function sendFailure(error: unknown, operation: string, timeoutMs: number): Error {
  if (error instanceof BodyTooLargeError) {
    return new ServiceError('CFM_PAYLOAD_TOO_LARGE', error.message);
  }
  if ((error as { name?: unknown }).name === 'AbortError') return error as Error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return new ServiceError('CFM_PROVIDER_TIMEOUT', `${operation} did not answer within ${timeoutMs} ms`, {
      cause: error,
      retryable: true,
    });
  }
  const detail = typeof code === 'string' ? code : 'connection failed';
  return new ServiceError('CFM_PROVIDER_UNREACHABLE', `${operation} could not be reached (${detail})`, {
    cause: error,
    retryable: true,
  });
}
