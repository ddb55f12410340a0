import type { HttpClient, HttpRequest, HttpResponse } from '@cfm/connector-sdk';
import { ConnectorError, connectorErrorFromResponse } from '@cfm/connector-sdk';

const MAX_TEXT = 200;
const MAX_MESSAGES = 3;
// A long run of token characters with a digit in it looks like a key or a token, not like prose.
const OPAQUE_RUN = /[A-Za-z0-9_\-+/=.]{24,}/g;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Provider text made fit for a `ConnectorError` message: one line, control characters dropped, query strings
 * cut from URLs, token-like runs replaced by `[redacted]`, at most 200 characters.
 *
 * @example
 * ```ts
 * safeProviderText('Error in the JQL Query: …\n(line 1, character 9)'); // one line
 * ```
 */
export function safeProviderText(text: string): string {
  const line = text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/(https?:\/\/[^\s?#]+)[?#]\S*/g, '$1')
    .replace(/\bBearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(OPAQUE_RUN, (run) => (/\d/.test(run) ? '[redacted]' : run))
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > MAX_TEXT ? `${line.slice(0, MAX_TEXT - 1)}…` : line;
}

function messageOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!isRecord(value)) return undefined;
  // Confluence v1 `{ message: { key, args, translation } }`, v2 `{ title, detail }`.
  const nested = value['message'];
  if (isRecord(nested) && typeof nested['translation'] === 'string') return nested['translation'];
  if (typeof nested === 'string') return nested;
  const title = typeof value['title'] === 'string' ? value['title'] : undefined;
  const detail = typeof value['detail'] === 'string' ? value['detail'] : undefined;
  return detail ?? title;
}

/**
 * The human-readable messages of an Atlassian error body, whatever its shape: Jira
 * `{ errorMessages: [...], errors: { field: message } }`, Confluence v2 `{ errors: [{ status, code, title,
 * detail }] }`, Confluence v1 `{ statusCode, message, data: { errors: [{ message: { translation } }] } }` and
 * the API gateway's `{ code, message }`. Made safe with {@link safeProviderText}; at most three.
 */
export function atlassianErrorMessages(body: unknown): string[] {
  if (!isRecord(body)) return [];
  const found: string[] = [];
  const errorMessages = body['errorMessages'];
  if (Array.isArray(errorMessages)) for (const text of errorMessages) found.push(messageOf(text) ?? '');
  const errors = body['errors'];
  if (Array.isArray(errors)) for (const entry of errors) found.push(messageOf(entry) ?? '');
  else if (isRecord(errors)) {
    for (const [field, text] of Object.entries(errors)) {
      if (typeof text === 'string') found.push(`${field}: ${text}`);
    }
  }
  const data = body['data'];
  if (isRecord(data) && Array.isArray(data['errors'])) {
    for (const entry of data['errors']) found.push(messageOf(entry) ?? '');
  }
  if (found.every((text) => text.trim() === '') && typeof body['message'] === 'string') {
    found.push(body['message']);
  }
  return found
    .map(safeProviderText)
    .filter((text) => text !== '')
    .slice(0, MAX_MESSAGES);
}

export interface AtlassianErrorOptions {
  /** What was attempted, starting the message: `Jira issue search`. Never a URL with a query string. */
  operation: string;
  /** The message for a 404 of the thing the input named: `Jira issue "DEMO-1" does not exist or …`. */
  notFound?: string;
}

/** The gateway's own 404 (`{code, message}`, no product error fields): the cloud id is unknown to this grant. */
function isGatewayNotFound(body: unknown): boolean {
  return isRecord(body) && body['code'] === 404 && !('errorMessages' in body) && !('errors' in body);
}

/**
 * Maps a non-2xx Atlassian API answer to a `ConnectorError`:
 * - 400 → `config` (the input was refused), with the provider's validation messages;
 * - 404 → `config`, with `notFound` (or, for the gateway's 404, "the site is no longer covered");
 * - 401 "scope does not match" → `permission` (the grant lacks a scope: reconnect with it, the token is fine);
 * - anything else as the SDK maps it: 401 `auth`, 403 `permission`, 429 `rate_limited` with `retryAfterMs`,
 *   5xx a retryable `provider` error.
 * The message names the operation and the status, never a token or a URL's query string.
 */
export function atlassianApiError(response: HttpResponse, options: AtlassianErrorOptions): ConnectorError {
  const { status, headers, body } = response;
  const messages = atlassianErrorMessages(body);
  const detail = messages.length > 0 ? `: ${messages.join('; ')}` : '';
  if (status === 400) {
    return new ConnectorError(`${options.operation} was refused (HTTP 400)${detail}`, {
      reason: 'config',
      status,
    });
  }
  if (status === 404) {
    const message = isGatewayNotFound(body)
      ? `${options.operation} failed: the connection's Atlassian site is not covered by this grant any more; check the connection again`
      : (options.notFound ?? `${options.operation} found nothing (HTTP 404)`);
    return new ConnectorError(message, { reason: 'config', status });
  }
  if (status === 401 && messages.some((text) => /scope does not match/i.test(text))) {
    return new ConnectorError(
      `${options.operation} needs a scope this connection was not granted: reconnect with it enabled`,
      { reason: 'permission', status },
    );
  }
  return connectorErrorFromResponse(status, headers, body, { operation: options.operation });
}

/**
 * Sends `request` with `api` (usually an action's `ctx.api`) and throws {@link atlassianApiError} for any
 * non-2xx answer. Retries (429, 5xx) still happen in the SDK client before the answer is judged.
 *
 * @example
 * ```ts
 * const issue = await atlassianRequest<JiraIssue>(ctx.api, { url: 'rest/api/3/issue/DEMO-1' }, {
 *   operation: 'Jira issue read',
 *   notFound: 'Jira issue "DEMO-1" does not exist or this account cannot see it',
 * });
 * ```
 */
export async function atlassianRequest<T>(
  api: HttpClient,
  request: HttpRequest,
  options: AtlassianErrorOptions,
): Promise<HttpResponse<T>> {
  const response = await api.request<T>({ ...request, throwOnError: false });
  if (response.status < 200 || response.status >= 300) throw atlassianApiError(response, options);
  return response;
}
