import type { ConnectorErrorReason, HttpClient, HttpResponse, QueryValue } from '@cfm/connector-sdk';
import { ConnectorError } from '@cfm/connector-sdk';

/** Every Slack Web API answer carries `ok`; failures name themselves in `error`. */
export interface SlackEnvelope {
  ok?: boolean;
  error?: string;
  [field: string]: unknown;
}

// Slack error names meaning "this grant or token is no good any more: reconnect".
const AUTH_ERRORS = new Set([
  // oauth.v2.access
  'invalid_code',
  'code_already_used',
  'code_expired',
  'bad_client_secret',
  'invalid_client_id',
  'bad_redirect_uri',
  'invalid_grant_type',
  'invalid_refresh_token',
  'oauth_authorization_url_mismatch',
  // Web API methods
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'no_permission_for_token',
]);

const PERMISSION_ERRORS = new Set([
  'missing_scope',
  'not_allowed_token_type',
  'no_permission',
  'ekm_access_denied',
  // chat.postMessage: the bot is not a member of the channel (invite it, or grant `chat:write.public`).
  'not_in_channel',
  'restricted_action',
  'restricted_action_read_only_channel',
]);

// The request names something that does not exist or cannot take it: the caller's input is wrong.
const CONFIG_ERRORS = new Set([
  'channel_not_found',
  'is_archived',
  'msg_too_long',
  'no_text',
  'invalid_cursor',
  'invalid_limit',
  'invalid_arguments',
  'invalid_types',
]);

const ERROR_NAME = /^[a-z][a-z0-9_]{0,63}$/;

function reasonFor(error: string | undefined): ConnectorErrorReason {
  if (error === undefined) return 'provider';
  if (AUTH_ERRORS.has(error)) return 'auth';
  if (PERMISSION_ERRORS.has(error)) return 'permission';
  if (CONFIG_ERRORS.has(error)) return 'config';
  if (error === 'ratelimited' || error === 'rate_limited') return 'rate_limited';
  return 'provider';
}

/**
 * Turns a Slack `{ ok: false, error }` answer (which Slack sends with HTTP 200) into a
 * {@link ConnectorError}. `method` is the Web API method name, never a URL with a query string.
 */
export function slackError(method: string, status: number, body: unknown): ConnectorError {
  const raw = typeof body === 'object' && body !== null ? (body as SlackEnvelope).error : undefined;
  // Only well-formed error names are repeated; anything else could be provider noise.
  const providerCode = typeof raw === 'string' && ERROR_NAME.test(raw) ? raw : undefined;
  const reason = reasonFor(providerCode);
  return new ConnectorError(`Slack ${method} failed${providerCode ? ` (${providerCode})` : ''}`, {
    reason,
    status,
    ...(providerCode !== undefined && { providerCode }),
  });
}

/** Throws unless the body is a Slack envelope with `ok: true`. */
export function assertSlackOk<T extends SlackEnvelope>(method: string, response: HttpResponse<T>): T {
  const body = response.body;
  if (typeof body !== 'object' || body === null || body.ok !== true) {
    throw slackError(method, response.status, body);
  }
  return body;
}

export interface SlackCallOptions {
  httpMethod?: 'GET' | 'POST';
  query?: Record<string, QueryValue>;
  /** A JSON body (Slack wants `application/json; charset=utf-8` and the token as a Bearer header). */
  json?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** False when the request carries its own `authorization` header. */
  auth?: boolean;
}

/**
 * Calls a Web API method. Non-2xx answers (429 with `Retry-After`, 5xx) are mapped by the SDK's HTTP
 * client; a 200 with `ok: false` is mapped here, because Slack never uses the status for errors. `url` may
 * be relative when `http` is an action's `ctx.api` (bound to `https://slack.com/api`).
 */
export async function callSlack<T extends SlackEnvelope>(
  http: HttpClient,
  url: string,
  method: string,
  options: SlackCallOptions = {},
): Promise<T> {
  const response = await http.request<T>({
    method: options.httpMethod ?? 'POST',
    url,
    ...(options.query !== undefined && { query: options.query }),
    ...(options.json !== undefined && { json: options.json }),
    headers: {
      ...(options.json !== undefined && { 'content-type': 'application/json; charset=utf-8' }),
      ...options.headers,
    },
    ...(options.auth !== undefined && { auth: options.auth }),
  });
  return assertSlackOk(method, response);
}
