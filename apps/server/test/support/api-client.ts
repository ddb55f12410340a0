import { signAccessToken } from '../../src/services/access-tokens.js';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON, or null when empty. */
  body: T;
  text: string;
}

/** Every exchange a client made: the secrets suite searches them. */
export interface RecordedExchange {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface ApiClient {
  readonly baseUrl: string;
  readonly token: string;
  readonly recorded: RecordedExchange[];
  request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: { body?: unknown; redirect?: 'follow' | 'manual'; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  get<T = Record<string, unknown>>(path: string): Promise<ApiResponse<T>>;
  post<T = Record<string, unknown>>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  delete<T = Record<string, unknown>>(path: string): Promise<ApiResponse<T>>;
}

export interface TestUser {
  subject: string;
  email: string;
  role?: 'user' | 'admin';
}

/** A JWT the server accepts, as `pnpm dev-token` signs it (HS256 with JWT_SECRET). */
export function signTestToken(jwtSecret: string, user: TestUser, ttlSeconds = 3600): Promise<string> {
  return signAccessToken(
    { secret: jwtSecret },
    { subject: user.subject, email: user.email, role: user.role ?? 'user' },
    ttlSeconds,
  );
}

/** A client signed in as `user` on the server at `baseUrl` (which must share `jwtSecret`). */
export async function createSignedClient(
  baseUrl: string,
  jwtSecret: string,
  user: TestUser,
): Promise<ApiClient> {
  return createApiClient(baseUrl, await signTestToken(jwtSecret, user));
}

/** A fetch wrapper with the Bearer token that records every response (status, headers, body). */
export function createApiClient(baseUrl: string, token: string): ApiClient {
  const recorded: RecordedExchange[] = [];
  async function request<T>(
    method: string,
    path: string,
    options: { body?: unknown; redirect?: 'follow' | 'manual'; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      redirect: options.redirect ?? 'follow',
      signal: AbortSignal.timeout(20_000),
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    recorded.push({
      method,
      path,
      status: response.status,
      headers: Object.fromEntries(response.headers),
      text,
    });
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: response.status, headers: response.headers, body: body as T, text };
  }
  return {
    baseUrl,
    token,
    recorded,
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, { body: body ?? {} }),
    delete: (path) => request('DELETE', path),
  };
}
