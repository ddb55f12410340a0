import { setTimeout as sleep } from 'node:timers/promises';
import type { request as undiciRequest } from 'undici';
import { ConnectorError, connectorErrorFromResponse } from '../errors.js';
import { noopLogger } from '../logger.js';
import { SDK_VERSION } from '../manifest.js';
import type { AuthDescriptor, Credentials, HttpClient, HttpRequest, HttpResponse, Logger } from '../types.js';
import { applyCredentials } from './apply-credentials.js';
import { parseRetryAfter } from './retry-after.js';

export interface HttpClientOptions {
  /** Applied to every request unless it says `auth: false`. */
  credentials?: Credentials;
  /** Where API keys go; required with `api_key` credentials. */
  auth?: AuthDescriptor;
  /** Places credentials instead of the default (a connector's `api.applyCredentials`); `credentials` is then unused. */
  applyCredentials?: (headers: Record<string, string>, url: URL) => void;
  /** Applied to every URL before sending (origin overrides for tests and self-hosted providers). */
  rewriteUrl?: (url: string) => string;
  /** Per attempt. Default 10 000. */
  timeoutMs?: number;
  /** Retries after the first attempt on network errors, 5xx and 429. Default 2. */
  retries?: number;
  /** Longest wait between attempts; a longer `Retry-After` is not waited for. Default 10 000. */
  maxRetryDelayMs?: number;
  logger?: Logger;
  /** Aborts every request made with this client. */
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRIES = 2;
const DEFAULT_MAX_RETRY_DELAY_MS = 10_000;
const BASE_BACKOFF_MS = 200;

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function encodeBody(request: HttpRequest, headers: Record<string, string>): string | undefined {
  if (request.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    return JSON.stringify(request.json);
  }
  if (request.form !== undefined) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(request.form)) if (value !== undefined) form.set(name, value);
    return form.toString();
  }
  return request.body;
}

let undici: Promise<typeof undiciRequest> | undefined;

/**
 * undici (a hundred modules) is imported by the first request, not with the SDK: a process that loads
 * connectors (the server at start, a CLI) pays for it only once one of them calls a provider.
 */
function loadUndici(): Promise<typeof undiciRequest> {
  undici ??= import('undici').then(
    (module) => module.request,
    (error: unknown) => {
      undici = undefined;
      throw error;
    },
  );
  return undici;
}

function backoffMs(attempt: number, cap: number): number {
  // Exponential with jitter so many connections failing together do not retry in lockstep.
  const exponential = BASE_BACKOFF_MS * 2 ** attempt;
  return Math.min(cap, Math.round(exponential * (0.5 + Math.random() / 2)));
}

/**
 * An HTTP client on undici with per-attempt timeouts, bounded retries (network errors, 5xx, 429,
 * honouring `Retry-After`), JSON parsing, credentials and URL rewriting. Non-2xx answers throw a
 * {@link ConnectorError} unless the request says `throwOnError: false`. Errors and log lines name the
 * method, origin and path only: never header values or query strings. Aborting `signal` rejects
 * with the signal's reason.
 *
 * @example
 * ```ts
 * const http = createHttpClient({ credentials: { type: 'oauth2', accessToken }, retries: 1 });
 * const me = await http.get<{ id: string }>('https://api.example.com/v1/me');
 * ```
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const logger = options.logger ?? noopLogger;
  const rewrite = options.rewriteUrl ?? ((url: string) => url);
  const maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const outer = options.signal;

  async function attempt(
    url: URL,
    init: { method: string; headers: Record<string, string>; body: string | undefined },
    timeoutMs: number,
    operation: string,
  ): Promise<RawResponse> {
    const send = await loadUndici();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
    try {
      const response = await send(url, { ...init, signal });
      const text = init.method === 'HEAD' ? '' : await response.body.text();
      return { status: response.statusCode, headers: flattenHeaders(response.headers), text };
    } catch (error) {
      if (outer?.aborted) throw outer.reason;
      if (timeout.aborted) {
        throw new ConnectorError(`${operation} timed out after ${timeoutMs} ms`, {
          reason: 'network',
          cause: error,
        });
      }
      const code = (error as { code?: unknown }).code;
      const detail = typeof code === 'string' ? code : 'connection failed';
      throw new ConnectorError(`${operation} failed: ${detail}`, { reason: 'network', cause: error });
    }
  }

  async function wait(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, outer ? { signal: outer } : undefined);
    } catch (error) {
      throw outer?.aborted ? outer.reason : error;
    }
  }

  async function request<T>(input: HttpRequest): Promise<HttpResponse<T>> {
    outer?.throwIfAborted();
    const method = input.method ?? 'GET';
    const url = new URL(rewrite(String(input.url)));
    for (const [name, value] of Object.entries(input.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
    const body = encodeBody(input, headers);
    if (input.auth !== false) {
      if (options.applyCredentials !== undefined) options.applyCredentials(headers, url);
      else applyCredentials(options.credentials, options.auth, headers, url);
    }
    headers['accept'] ??= 'application/json, text/plain;q=0.9, */*;q=0.8';
    headers['user-agent'] ??= `cfm-connector-sdk/${SDK_VERSION}`;

    const operation = `${method} ${url.origin}${url.pathname}`;
    const retries = Math.max(0, input.retries ?? options.retries ?? DEFAULT_RETRIES);
    const timeoutMs = input.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

    for (let attemptIndex = 0; ; attemptIndex++) {
      const canRetry = attemptIndex < retries;
      let raw: RawResponse;
      try {
        raw = await attempt(url, { method, headers, body }, timeoutMs, operation);
      } catch (error) {
        if (!canRetry || !ConnectorError.is(error) || !error.retryable) throw error;
        const delay = backoffMs(attemptIndex, maxRetryDelayMs);
        logger.warn('http request failed, retrying', {
          operation,
          attempt: attemptIndex + 1,
          delayMs: delay,
        });
        await wait(delay);
        continue;
      }
      logger.debug('http response', { operation, status: raw.status, attempt: attemptIndex + 1 });
      if (canRetry && (raw.status === 429 || raw.status >= 500)) {
        const retryAfter = parseRetryAfter(raw.headers);
        // A wait longer than the cap is not worth holding a request open: report it instead.
        if (retryAfter === undefined || retryAfter <= maxRetryDelayMs) {
          const delay = retryAfter ?? backoffMs(attemptIndex, maxRetryDelayMs);
          logger.warn('http request answered a retryable status, retrying', {
            operation,
            status: raw.status,
            attempt: attemptIndex + 1,
            delayMs: delay,
          });
          await wait(delay);
          continue;
        }
      }
      return finish<T>(raw, url, input, operation);
    }
  }

  function finish<T>(raw: RawResponse, url: URL, input: HttpRequest, operation: string): HttpResponse<T> {
    const ok = raw.status >= 200 && raw.status < 300;
    let body: unknown = raw.text;
    const contentType = raw.headers['content-type'] ?? '';
    if (/[/+]json\b/i.test(contentType) && raw.text.trim() !== '') {
      try {
        body = JSON.parse(raw.text);
      } catch (error) {
        if (ok) {
          throw new ConnectorError(`${operation} answered invalid JSON`, {
            reason: 'provider',
            status: raw.status,
            cause: error,
          });
        }
        // An error page mislabelled as JSON: keep the text, the status says enough.
      }
    }
    if (!ok && input.throwOnError !== false) {
      throw connectorErrorFromResponse(raw.status, raw.headers, body, { operation });
    }
    return { status: raw.status, headers: raw.headers, body: body as T, url: url.toString() };
  }

  return {
    request,
    get: (url, rest) => request({ ...rest, url, method: 'GET' }),
    post: (url, rest) => request({ ...rest, url, method: 'POST' }),
  };
}
