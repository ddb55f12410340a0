import type { HttpClient, HttpResponse, QueryValue } from '@cfm/connector-sdk';
import { ConnectorError, connectorErrorFromResponse } from '@cfm/connector-sdk';

const MAX_TEXT = 200;

/** Provider text fit for an error message: one line, no query strings, no token-like runs, bounded. */
function safeText(text: string): string {
  const line = text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/(https?:\/\/[^\s?#]+)[?#]\S*/g, '$1')
    .replace(/[A-Za-z0-9_\-+/=.]{24,}/g, (run) => (/\d/.test(run) ? '[redacted]' : run))
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > MAX_TEXT ? `${line.slice(0, MAX_TEXT - 1)}…` : line;
}

/** The messages of a Datadog error body: `{"errors":["…"]}` (and `{"error":"…"}` some v1 answers use). */
export function datadogErrorMessages(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const { errors, error } = body as { errors?: unknown; error?: unknown };
  const found = Array.isArray(errors)
    ? errors.filter((entry): entry is string => typeof entry === 'string')
    : [];
  if (typeof error === 'string') found.push(error);
  return found
    .map(safeText)
    .filter((text) => text !== '')
    .slice(0, 3);
}

/**
 * Maps a non-2xx Datadog API answer to a `ConnectorError`: 400 → `config` with Datadog's messages; 401 and
 * 403 `{"errors":["Forbidden"]}` (Datadog's answer to bad credentials) → `auth`; any other 403 (a key or token
 * without the permission) → `permission`; 404 → `config`; the rest as the SDK maps it (429 `rate_limited`
 * with `retryAfterMs` from `X-RateLimit-Reset`, 5xx a retryable `provider` error).
 */
export function datadogApiError(response: HttpResponse, operation: string): ConnectorError {
  const { status, headers, body } = response;
  const messages = datadogErrorMessages(body);
  const detail = messages.length > 0 ? `: ${messages.join('; ')}` : '';
  if (status === 400)
    return new ConnectorError(`${operation} was refused (HTTP 400)${detail}`, { reason: 'config', status });
  if (status === 404)
    return new ConnectorError(`${operation} found nothing (HTTP 404)`, { reason: 'config', status });
  if (status === 401 || (status === 403 && messages[0] === 'Forbidden')) {
    return new ConnectorError(`${operation}: Datadog refused the credentials (HTTP ${status})`, {
      reason: 'auth',
      status,
      ...(messages[0] !== undefined && { providerCode: messages[0] }),
    });
  }
  if (status === 403) {
    return new ConnectorError(`${operation}: the credentials lack a permission (HTTP 403)${detail}`, {
      reason: 'permission',
      status,
    });
  }
  return connectorErrorFromResponse(status, headers, body, { operation });
}

/** GET `url` and throw {@link datadogApiError} for any non-2xx answer (after the SDK's bounded retries). */
export async function datadogGet<T>(
  http: HttpClient,
  url: string,
  query: Record<string, QueryValue>,
  operation: string,
): Promise<HttpResponse<T>> {
  const response = await http.get<T>(url, { query, throwOnError: false });
  if (response.status < 200 || response.status >= 300) throw datadogApiError(response, operation);
  return response;
}
