import type { HttpResponse } from '@cfm/connector-sdk';
import { ConnectorError } from '@cfm/connector-sdk';

/** The Notion API version every request is pinned to (Notion changes shapes between versions). */
export const NOTION_VERSION = '2022-06-28';

export const NOTION_API = 'https://api.notion.com/v1';

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
