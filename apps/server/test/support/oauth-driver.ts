import type { FakeApproval } from '@cfm/connector-sdk/testing/fakes';
import { expect } from 'vitest';
import type { ApiClient, ApiResponse } from './api-client.js';

export interface AuthorizeAnswer {
  authorization_url: string;
  state: string;
}

export interface CallbackAnswer {
  success: boolean;
  message: string;
  connection_id: string;
}

export interface ConnectionAnswer {
  id: string;
  connector_key: string;
  status: string;
  status_reason: string | null;
  has_credentials: boolean;
  identity: Record<string, unknown> | null;
}

export interface TestAnswer {
  success: boolean;
  message: string;
  identity: Record<string, unknown> | null;
  sample_data: { kind: string; items: unknown[] } | null;
}

/** Anything that can play the user at the provider's consent page. */
export interface Consent {
  approve(authorizeUrl: string): Promise<FakeApproval>;
}

function describe(response: ApiResponse<unknown>): string {
  return `${response.status} ${response.text.slice(0, 500)}`;
}

/** `GET /api/oauth/{key}/authorize[?connection_id=]`, asserting 200. */
export async function authorize(
  api: ApiClient,
  key: string,
  connectionId?: string,
): Promise<AuthorizeAnswer> {
  const query = connectionId === undefined ? '' : `?connection_id=${encodeURIComponent(connectionId)}`;
  const response = await api.get<AuthorizeAnswer>(`/api/oauth/${key}/authorize${query}`);
  expect(response.status, describe(response)).toBe(200);
  expect(typeof response.body.authorization_url).toBe('string');
  expect(typeof response.body.state).toBe('string');
  return response.body;
}

/**
 * `GET /api/oauth/{key}/authorize` as a browser does it when `OAUTH_REDIRECT_URI` points at the API: the
 * answer also sets the cookie binding the attempt to this browser, returned as `name=value` for the
 * GET callback's `Cookie` header.
 */
export async function authorizeInBrowser(
  api: ApiClient,
  key: string,
): Promise<AuthorizeAnswer & { cookie: string }> {
  const response = await api.get<AuthorizeAnswer>(`/api/oauth/${key}/authorize`);
  expect(response.status, describe(response)).toBe(200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  expect(setCookie).toMatch(/^cfm_oauth_[A-Za-z0-9_-]+=[A-Za-z0-9_-]+;/);
  return { ...response.body, cookie: setCookie.slice(0, setCookie.indexOf(';')) };
}

/** The approval's extra callback parameters (Datadog's `domain`), without code and state. */
export function extraParams(approval: FakeApproval): Record<string, string> {
  const { code: _code, state: _state, ...extra } = approval.params;
  return extra;
}

/**
 * authorize → consent at the fake (Allow) → `POST /api/oauth/{key}/callback`, asserting every step.
 * Returns the new connection's id and what was exchanged (the code, for the secrets suite).
 */
export async function connect(
  api: ApiClient,
  key: string,
  consent: Consent,
  options: { connectionId?: string; config?: Record<string, unknown> } = {},
): Promise<{ connectionId: string; approval: FakeApproval; authorization: AuthorizeAnswer }> {
  let connectionId = options.connectionId;
  if (connectionId === undefined && options.config !== undefined) {
    connectionId = (await createConnection(api, key, options.config)).id;
  }
  const authorization = await authorize(api, key, connectionId);
  const approval = await consent.approve(authorization.authorization_url);
  expect(approval.state).toBe(authorization.state);
  const response = await api.post<CallbackAnswer>(`/api/oauth/${key}/callback`, {
    ...extraParams(approval),
    code: approval.code,
    state: approval.state,
    ...(connectionId !== undefined && { connection_id: connectionId }),
  });
  expect(response.status, describe(response)).toBe(200);
  expect(response.body.success).toBe(true);
  expect(typeof response.body.connection_id).toBe('string');
  return { connectionId: response.body.connection_id, approval, authorization };
}

/** `POST /api/connections/` (a `pending` connection holding `config_data`), asserting 201. */
export async function createConnection(
  api: ApiClient,
  key: string,
  config: Record<string, unknown>,
  credentials?: Record<string, unknown>,
): Promise<ConnectionAnswer> {
  const response = await api.post<ConnectionAnswer>('/api/connections/', {
    connector_key: key,
    config_data: config,
    ...(credentials !== undefined && { credentials }),
  });
  expect(response.status, describe(response)).toBe(201);
  return response.body;
}

export async function getConnection(api: ApiClient, id: string): Promise<ConnectionAnswer> {
  const response = await api.get<ConnectionAnswer>(`/api/connections/${id}`);
  expect(response.status, describe(response)).toBe(200);
  return response.body;
}

export async function testConnection(api: ApiClient, id: string): Promise<TestAnswer> {
  const response = await api.post<TestAnswer>(`/api/connections/${id}/test`);
  expect(response.status, describe(response)).toBe(200);
  return response.body;
}

/** `DELETE /api/oauth/{key}/revoke/{id}`, asserting 204. */
export async function revoke(api: ApiClient, key: string, id: string): Promise<void> {
  const response = await api.delete(`/api/oauth/${key}/revoke/${id}`);
  expect(response.status, describe(response)).toBe(204);
}
