import type { ConnectorErrorReason, HttpResponse } from '@cfm/connector-sdk';
import { ConnectorError } from '@cfm/connector-sdk';

/** The Notion API version every request is pinned to (Notion changes shapes between versions). */
export const NOTION_VERSION = '2022-06-28';

/** The API's origin: the `api.baseUrl`, so proxied paths read as Notion documents them (`/v1/search`). */
export const NOTION_ORIGIN = 'https://api.notion.com';

export const NOTION_API = `${NOTION_ORIGIN}/v1`;

/** Notion's API error body: `{ object: "error", status, code, message }`. */
export interface NotionErrorBody {
  object: 'error';
  status?: number;
  code?: string;
  message?: string;
}

/** HTTP Basic value for the integration's OAuth client id and secret. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  // RFC 6749 §2.3.1 form-encodes both parts, as the SDK does for the token endpoint.
  const joined = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
  return `Basic ${Buffer.from(joined, 'utf8').toString('base64')}`;
}

/**
 * Non-2xx Notion answers are mapped by the SDK's HTTP client (401 `unauthorized` → auth,
 * 429 `rate_limited` → rate_limited with `Retry-After`). This catches a 2xx that is still an error
 * object, which a proxy or a future API version could send.
 */
export function assertNotNotionError<T>(operation: string, response: HttpResponse<T>): T {
  const body = response.body as unknown;
  if (typeof body === 'object' && body !== null && (body as { object?: unknown }).object === 'error') {
    const code = (body as NotionErrorBody).code;
    const providerCode = typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : undefined;
    throw new ConnectorError(`Notion ${operation} failed${providerCode ? ` (${providerCode})` : ''}`, {
      reason: providerCode === 'unauthorized' ? 'auth' : 'provider',
      status: response.status,
      ...(providerCode !== undefined && { providerCode }),
    });
  }
  return response.body;
}

/**
 * Notion error codes that mean the request itself is wrong: the id names nothing the integration can see
 * (Notion answers 404 `object_not_found` both for a missing page and for one not shared with the
 * integration), or an argument failed validation (a bad cursor, a database id given as a page id).
 */
const INPUT_ERRORS = new Set([
  'object_not_found',
  'validation_error',
  'invalid_request_url',
  'invalid_request',
]);

function reasonForCode(code: string | undefined, fallback: ConnectorErrorReason): ConnectorErrorReason {
  return code !== undefined && INPUT_ERRORS.has(code) ? 'config' : fallback;
}

/**
 * Runs an action's Notion call: a 2xx error object is refused as in `check`, and the input errors the SDK
 * would report as `provider` (a 400 `validation_error`, a 404 `object_not_found`) become `config`, the
 * caller's mistake. 401 stays `auth`, 403 `restricted_resource` `permission`, 429 `rate_limited`.
 */
export async function notionAction<T>(operation: string, call: () => Promise<HttpResponse<T>>): Promise<T> {
  let response: HttpResponse<T>;
  try {
    response = await call();
  } catch (error) {
    if (!ConnectorError.is(error) || error.reason !== 'provider') throw error;
    const reason = reasonForCode(error.providerCode, 'provider');
    if (reason === 'provider') throw error;
    throw new ConnectorError(`Notion ${operation} failed (${error.providerCode})`, {
      reason,
      ...(error.status !== undefined && { status: error.status }),
      ...(error.providerCode !== undefined && { providerCode: error.providerCode }),
      cause: error,
    });
  }
  return assertNotNotionError(operation, response);
}
