import type { OAuth2Credentials } from '../types.js';

/**
 * How the fake answers failures:
 * - `oauth`: RFC 6749, HTTP 400 (401 for client errors) with `{ error, error_description }`;
 * - `slack`: HTTP 200 `{ ok: false, error }` for every failure, success bodies carry `ok: true`;
 * - `atlassian`: RFC 6749 bodies, but `invalid_grant` is answered with HTTP 403.
 */
export type FakeErrorShape = 'oauth' | 'slack' | 'atlassian';

export interface FakeOAuth2Paths {
  authorize: string;
  token: string;
  /** An extra path that also accepts refresh grants (Figma's legacy `/v1/oauth/refresh`). */
  refresh?: string | null;
  /** `null`: the provider has no revocation endpoint (answers 404). */
  revoke?: string | null;
  /** Who-am-I endpoint answering {@link FakeOAuth2ProviderOptions.identity} for a valid bearer token. */
  userinfo: string;
}

export type FakeTokenState = 'active' | 'rotated' | 'revoked' | 'expired';

/** One token the fake issued. `family` groups every token that descends from one grant. */
export interface FakeTokenRecord {
  kind: 'access' | 'refresh';
  value: string;
  scopes: string[];
  clientId: string;
  family: string;
  issuedAt: Date;
  expiresAt: Date | null;
  state: FakeTokenState;
}

/** A request as the fake saw it; the `authorization` header, `client_secret` and `code_verifier` are redacted. */
export interface FakeRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed form or JSON body, the raw text otherwise, `undefined` when empty. */
  body: unknown;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects and arrays are sent as JSON, strings as they are. */
  body?: unknown;
}

/** What a custom route receives. `params` holds the `:name` segments of the route pattern. */
export interface FakeRouteRequest extends FakeRequestRecord {
  params: Record<string, string>;
}

export interface FakeRouteHelpers {
  /**
   * The record of the request's valid bearer token. When the token is missing, unknown, expired or
   * revoked it does not return: the fake answers the provider's "unauthorized" shape instead.
   */
  requireToken(): FakeTokenRecord;
  /** The configured identity (the who-am-I answer). */
  identity: Record<string, unknown>;
  errorShape: FakeErrorShape;
}

export type FakeRouteHandler = (
  request: FakeRouteRequest,
  helpers: FakeRouteHelpers,
) => FakeResponse | Promise<FakeResponse>;

export interface FakeTokenResponseContext {
  grant: 'authorization_code' | 'refresh_token';
  access: FakeTokenRecord;
  refresh: FakeTokenRecord | null;
  /** Extra callback parameters the authorize step sent (empty on refresh). */
  callbackParams: Record<string, string>;
}

/** Why a bearer token was refused (for shaping the 401). */
export type FakeUnauthorizedReason = 'missing' | 'invalid' | 'expired' | 'revoked';

export interface FakeOAuth2ProviderOptions {
  clientId?: string;
  clientSecret?: string;
  /** How the token endpoint expects client credentials. Default `either`. */
  clientAuth?: 'basic' | 'body' | 'either';
  /** Token request body encoding the provider accepts. Default `either`. */
  tokenRequestFormat?: 'form' | 'json' | 'either';
  paths?: Partial<FakeOAuth2Paths>;
  /** Default `optional`: a challenge sent at authorize is checked at exchange. Only S256 is accepted. */
  pkce?: 'required' | 'optional' | 'off';
  /** Default true: every refresh issues a new refresh token and the old one dies. */
  rotateRefreshTokens?: boolean;
  /** Default true. */
  issueRefreshToken?: boolean;
  /** Default true; false models Figma (refresh answers without a refresh token; keep the old one). */
  refreshResponseIncludesRefreshToken?: boolean;
  /** Access token lifetime in seconds; `null` = never expires and no `expires_in`. Default 3600. */
  expiresIn?: number | null;
  /** How the `scope` parameter is split. Default `' '`. */
  scopeSeparator?: ' ' | ',';
  /** When set, authorize refuses other scopes with `error=invalid_scope`. */
  knownScopes?: string[];
  /** Default `oauth`. */
  errorShape?: FakeErrorShape;
  /** Shapes the success body of the token endpoint (receives the RFC 6749 body it would send). */
  tokenResponse?: (
    standard: Record<string, unknown>,
    context: FakeTokenResponseContext,
  ) => Record<string, unknown>;
  /** `bearer`: the token to revoke is the Authorization header (Slack); `client`: `token` in the body. */
  revokeAuth?: 'bearer' | 'client';
  /** Success answer of the revoke endpoint. Default 200 `{}` (`{ ok: true, revoked: true }` for slack). */
  revokeResponse?: FakeResponse;
  /** Default false: authorize shows a consent page with Allow / Deny. */
  autoApprove?: boolean;
  /** Added to the callback on approval (Datadog `domain`). */
  extraCallbackParams?: Record<string, string>;
  /** `none` models Figma: rejecting consent never calls back. Default `redirect`. */
  denyMode?: 'redirect' | 'none';
  /** The who-am-I answer for a valid token. */
  identity?: Record<string, unknown>;
  /** Overrides the 401 answer for bad bearer tokens (Notion `{object:'error'…}`, Datadog 403…). */
  unauthorizedResponse?: (reason: FakeUnauthorizedReason) => FakeResponse;
  /** Overrides the body of the 429s `rateLimitNext` injects (Notion `{object:'error', code:'rate_limited'…}`). */
  rateLimitedBody?: unknown;
  /** Extra endpoints, keyed `'METHOD /path/:param'`. */
  routes?: Record<string, FakeRouteHandler>;
  /** How long an authorization code stays usable. Default 60 000 ms. */
  codeTtlMs?: number;
  /** Token prefixes (Slack: `xoxb-`, `xoxe-1-`). */
  accessTokenPrefix?: string;
  refreshTokenPrefix?: string;
}

export interface FakeOAuth2Counts {
  authorize: number;
  /** Authorization-code exchanges. */
  token: number;
  refresh: number;
  revoke: number;
  userinfo: number;
}

export interface FakeTokenPair {
  accessToken: string;
  refreshToken?: string;
  expiresAt: string | null;
  scopes: string[];
  /** The same tokens as SDK credentials, ready for `createConnectorContext`. */
  credentials: OAuth2Credentials;
}

export interface FakeApproval {
  code: string;
  state: string;
  callbackUrl: string;
  /** Every callback query parameter (code, state and the extras). */
  params: Record<string, string>;
}

export interface FakeDenial {
  /** `null` when the provider never calls back (`denyMode: 'none'`). */
  callbackUrl: string | null;
  error: string | null;
  state: string | null;
}

export interface FakeOAuth2Provider {
  /** Origin, e.g. `http://127.0.0.1:53123`. */
  readonly url: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly refreshUrl: string;
  /** `null` when the provider has no revoke endpoint. */
  readonly revokeUrl: string | null;
  readonly userinfoUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly counts: Readonly<FakeOAuth2Counts>;
  readonly requests: readonly FakeRequestRecord[];
  readonly tokens: readonly FakeTokenRecord[];
  /** Issues a token pair without the browser flow. */
  issueTokensDirectly(options?: { scopes?: string[]; expiresIn?: number | null }): FakeTokenPair;
  /** Performs the authorize GET and clicks Allow; rejects when the provider redirects with an error. */
  approve(authorizeUrl: string): Promise<FakeApproval>;
  /** Performs the authorize GET and clicks Deny. */
  deny(authorizeUrl: string): Promise<FakeDenial>;
  /** Marks every active access token expired. */
  expireAccessTokens(): void;
  /** Revokes every token of the grant `token` belongs to. Returns false when the token is unknown. */
  revokeToken(token: string): boolean;
  /** The next `count` API and token requests answer 429 with `headers` (0 cancels). */
  rateLimitNext(count: number, headers?: Record<string, string>): void;
  /** The next `count` API and token requests answer `status` (default 503) with `body`. */
  failNext(count: number, status?: number, body?: unknown): void;
  close(): Promise<void>;
}
