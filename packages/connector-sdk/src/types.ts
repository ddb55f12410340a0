import type { Static, TObject, TSchema } from 'typebox';

/**
 * The contract version this SDK implements. A connector package names the contract version it was
 * built for in its manifest; the server refuses to load a package built for another one.
 */
export const CONTRACT_VERSION = 1 as const;

/** The `package.json` field that marks a package as a connector (see the SDK README). */
export const MANIFEST_FIELD = 'cfmConnector' as const;

/** The npm keyword connector packages carry so they can be found with `npm search`. */
export const MANIFEST_KEYWORD = 'cfm-connector' as const;

/** What a connector package declares under `package.json#cfmConnector`. */
export interface ConnectorManifest {
  /** The contract version the package was built against; must equal {@link CONTRACT_VERSION}. */
  contractVersion: number;
  /** Module (relative to the package root) whose default export, or export `connector`, is the definition. */
  entry: string;
}

export type AuthType = 'oauth2' | 'api_key' | 'basic' | 'none';

/**
 * OAuth 2 authorization-code descriptor. URL fields may contain `{name}` placeholders filled from the
 * connection's config (for example `https://api.{site}/oauth2/v1/token` for Datadog sites).
 */
export interface OAuth2AuthDescriptor {
  type: 'oauth2';
  authorizeUrl: string;
  tokenUrl: string;
  /** Where refresh requests go; defaults to `tokenUrl`. */
  refreshUrl?: string;
  /** RFC 7009 style revocation endpoint; absent when the provider has none. */
  revokeUrl?: string;
  /** Scopes always requested, and scopes a deployment may add. */
  scopes: { required: string[]; optional?: string[] };
  /** How scopes are joined in the authorize URL: `' '` (RFC 6749) or `','` (Slack). Default `' '`. */
  scopeSeparator?: ' ' | ',';
  /** `S256` (default) sends a PKCE challenge; `off` for providers that reject it. */
  pkce?: 'S256' | 'off';
  /** How the client authenticates at the token endpoint. Default `body`. */
  clientAuth?: 'basic' | 'body';
  /** Token request body encoding. Default `form`. */
  tokenRequestFormat?: 'form' | 'json';
  /** Extra fixed query parameters for the authorize URL (`audience`, `prompt`, `owner`, …). */
  extraAuthorizeParams?: Record<string, string>;
  /** Extra fixed body parameters for token requests. */
  extraTokenParams?: Record<string, string>;
  /** Extra headers for token, refresh and revoke requests (`Notion-Version`, …). */
  tokenHeaders?: Record<string, string>;
  /** Extra callback parameters the provider sends and the connector wants (Datadog `domain`). */
  callbackParams?: string[];
  /**
   * The provider's issuer identifier (RFC 9207), e.g. `https://auth.acme.example`; may hold `{placeholders}`
   * filled from config. When set, a callback whose `iss` parameter differs is refused before the code is
   * exchanged (mix-up defence). A callback without `iss` is accepted.
   */
  issuer?: string;
}

export interface ApiKeyField {
  /** Field name in the credentials object (`apiKey`, `applicationKey`). */
  name: string;
  label: string;
  description?: string;
  /** Where the value is sent. */
  in: 'header' | 'query';
  /** Header or query parameter name (`DD-API-KEY`, `Authorization`). */
  param: string;
  /** Prepended to the value (`Bearer `). */
  prefix?: string;
}

export interface ApiKeyAuthDescriptor {
  type: 'api_key';
  fields: ApiKeyField[];
}

export interface BasicAuthDescriptor {
  type: 'basic';
  usernameLabel?: string;
  passwordLabel?: string;
}

export interface NoneAuthDescriptor {
  type: 'none';
}

export type AuthDescriptor =
  | OAuth2AuthDescriptor
  | ApiKeyAuthDescriptor
  | BasicAuthDescriptor
  | NoneAuthDescriptor;

/** Credentials as the vault stores them (encrypted) and hooks receive them (decrypted). */
export interface OAuth2Credentials {
  type: 'oauth2';
  accessToken: string;
  refreshToken?: string;
  tokenType?: string;
  /** ISO-8601 instant the access token expires, or null/absent when the provider gives none. */
  expiresAt?: string | null;
  scopes?: string[];
  /** Other secret material the provider returned (Slack `authed_user` token, id tokens, …). */
  extra?: Record<string, unknown>;
}

export interface ApiKeyCredentials {
  type: 'api_key';
  values: Record<string, string>;
}

export interface BasicCredentials {
  type: 'basic';
  username: string;
  password: string;
}

export interface NoneCredentials {
  type: 'none';
}

export type Credentials = OAuth2Credentials | ApiKeyCredentials | BasicCredentials | NoneCredentials;

/**
 * What an OAuth 2 exchange or refresh produced: the secret credentials, plus non-secret facts about
 * the account to keep in clear on the connection (team name, workspace id, bot user id…).
 */
export interface TokenSet {
  credentials: OAuth2Credentials;
  metadata?: Record<string, unknown>;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type QueryValue = string | number | boolean | undefined | null;

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: string | URL;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** JSON body (sets `content-type: application/json`). */
  json?: unknown;
  /** Form body (sets `content-type: application/x-www-form-urlencoded`). */
  form?: Record<string, string | undefined>;
  /** Raw body. */
  body?: string;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Bounded retries on network errors, 5xx and 429 (honouring `Retry-After`). */
  retries?: number;
  /** Set to false to skip the connection's credentials on this request. Default true. */
  auth?: boolean;
  /** Default true: a non-2xx answer throws a {@link ConnectorError} mapped from the status. */
  throwOnError?: boolean;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the response is JSON, otherwise the text. */
  body: T;
  url: string;
}

export interface HttpClient {
  request<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>>;
  get<T = unknown>(
    url: string | URL,
    options?: Omit<HttpRequest, 'url' | 'method'>,
  ): Promise<HttpResponse<T>>;
  post<T = unknown>(
    url: string | URL,
    options?: Omit<HttpRequest, 'url' | 'method'>,
  ): Promise<HttpResponse<T>>;
}

/** The context every hook gets. Connectors never import Fastify, the database or `process.env`. */
export interface ConnectorContext<TConfig = Record<string, unknown>> {
  config: TConfig;
  credentials: Credentials;
  /** Non-secret facts stored with the connection (a chosen Atlassian cloud id, a Slack team). */
  metadata: Record<string, unknown>;
  /** Applies `credentials` to every request unless the request says `auth: false`. */
  http: HttpClient;
  logger: Logger;
  signal: AbortSignal;
}

export interface AccountIdentity {
  accountId: string;
  displayName?: string | null;
  email?: string | null;
  /** Workspace, team or site name. */
  workspace?: string | null;
  /** Site URL where the account lives. */
  site?: string | null;
}

export interface CheckResult {
  identity: AccountIdentity;
  /** Facts to persist on the connection (merged into its metadata). */
  metadata?: Record<string, unknown>;
  message?: string;
}

export interface SampleResult {
  /** What the items are (`issues`, `channels`, `monitors`). */
  kind: string;
  items: unknown[];
}

/** The client credentials the platform holds for a connector (from configuration or a custom connector). */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** Context for OAuth 2 hooks: no user credentials yet, but the client's. */
export interface OAuth2Context<TConfig = Record<string, unknown>> {
  config: TConfig;
  client: ClientCredentials;
  /** The descriptor with `{placeholders}` filled from config and origins already rewritten. */
  descriptor: OAuth2AuthDescriptor;
  /** Unauthenticated client (token endpoints authenticate the client, not the user). */
  http: HttpClient;
  logger: Logger;
  signal: AbortSignal;
}

export interface AuthorizeInput {
  redirectUri: string;
  state: string;
  /** PKCE S256 challenge, when the descriptor enables PKCE. */
  codeChallenge?: string;
  /** Scopes to request: required plus any optional ones enabled. */
  scopes: string[];
}

export interface ExchangeInput {
  code: string;
  redirectUri: string;
  codeVerifier?: string;
  /** Extra callback parameters named by `descriptor.callbackParams` (Datadog `domain`). */
  callbackParams: Record<string, string>;
}

export interface RefreshInput {
  credentials: OAuth2Credentials;
}

export interface RevokeInput {
  credentials: OAuth2Credentials;
}

export interface TokenResponseInput {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** Present on refresh: the credentials being refreshed (to keep a refresh token the answer omits). */
  previous?: OAuth2Credentials;
}

/**
 * Overrides for providers that do not follow OAuth 2 to the letter. Each receives the generic
 * implementation as `next`, so an override can adjust its input or output instead of redoing it.
 */
export interface OAuth2Hooks<TConfig = Record<string, unknown>> {
  buildAuthorizeUrl?(
    input: AuthorizeInput,
    ctx: OAuth2Context<TConfig>,
    next: (input: AuthorizeInput) => URL,
  ): URL;
  exchangeCode?(
    input: ExchangeInput,
    ctx: OAuth2Context<TConfig>,
    next: (input: ExchangeInput) => Promise<TokenSet>,
  ): Promise<TokenSet>;
  refresh?(
    input: RefreshInput,
    ctx: OAuth2Context<TConfig>,
    next: (input: RefreshInput) => Promise<TokenSet>,
  ): Promise<TokenSet>;
  revoke?(
    input: RevokeInput,
    ctx: OAuth2Context<TConfig>,
    next: (input: RevokeInput) => Promise<void>,
  ): Promise<void>;
  parseTokenResponse?(
    input: TokenResponseInput,
    ctx: OAuth2Context<TConfig>,
    next: (input: TokenResponseInput) => TokenSet,
  ): TokenSet;
}

/** What an API hook may read of the connection: its settings and the facts `check` stored. */
export interface ApiConnectionFacts<TConfig = Record<string, unknown>> {
  config: TConfig;
  metadata: Record<string, unknown>;
}

/**
 * The provider API a connection's credentials open. The platform's proxy
 * (`/api/connections/{id}/proxy/{path}`) and every action's `ctx.api` send requests to
 * `baseUrl` + path, with `headers` and the connection's credentials applied.
 *
 * @example
 * ```ts
 * api: {
 *   baseUrl: 'https://api.atlassian.com/ex/jira/{cloudId}',   // {cloudId}: from what `check` stored
 *   headers: { 'Notion-Version': '2022-06-28' },
 * }
 * ```
 */
export interface ApiDescriptor<TConfig = Record<string, unknown>> {
  /**
   * An http(s) URL, with optional `{name}` placeholders filled from the connection's config first, then
   * from its metadata (what `check` stored, e.g. an Atlassian `cloudId`). No trailing slash needed.
   */
  baseUrl: string;
  /** Headers sent with every API request (`Notion-Version`); a caller's header of the same name wins. */
  headers?: Record<string, string>;
  /**
   * How credentials are placed on an API request. Default: as the matching auth descriptor says (OAuth 2
   * as `Authorization: Bearer`, API keys in their header or query parameter, basic as `Authorization: Basic`).
   * Set headers (lowercase names) or query parameters on `request`; never log the values.
   */
  applyCredentials?(
    request: { headers: Record<string, string>; url: URL },
    credentials: Credentials,
    connection: ApiConnectionFacts<TConfig>,
  ): void;
}

/** The context an action's `run` receives: the connector context plus `api`, bound to the provider API. */
export interface ActionContext<TConfig = Record<string, unknown>> extends ConnectorContext<TConfig> {
  /**
   * An HTTP client bound to the connector's `api.baseUrl`, default headers and the connection's
   * credentials: `ctx.api.get('/rest/api/3/myself')`. Relative paths are appended to the base URL (never
   * climbing out of it); absolute URLs must be on its origin. For other hosts use `ctx.http`.
   */
  api: HttpClient;
}

/** What an author passes to `defineAction`. */
export interface ActionSpec<
  TInput extends TObject = TObject,
  TOutput extends TSchema = TSchema,
  TConfig = Record<string, unknown>,
> {
  /** One or two sentences a person (or a model choosing a tool) can act on. */
  description: string;
  /** True when the action only reads (default true); false when it changes something at the provider. */
  readOnly?: boolean;
  /** TypeBox object schema of the input; property names are snake_case. */
  input: TInput;
  /** TypeBox schema of what `run` returns. */
  output: TOutput;
  run(ctx: ActionContext<TConfig>, input: Static<TInput>): Promise<Static<TOutput>>;
}

declare const actionBrand: unique symbol;

/** A validated, frozen action as returned by `defineAction`. */
export interface ActionDefinition<
  TInput extends TObject = TObject,
  TOutput extends TSchema = TSchema,
  TConfig = Record<string, unknown>,
> extends ActionSpec<TInput, TOutput, TConfig> {
  readonly readOnly: boolean;
  readonly [actionBrand]: true;
}

/** What an author passes to `defineConnector`. */
export interface ConnectorSpec<TConfigSchema extends TObject = TObject> {
  /** Lowercase identifier, `^[a-z][a-z0-9-]{1,63}$`; also the prefix of its env variables (`JIRA_CLIENT_ID`). */
  key: string;
  name: string;
  description: string;
  iconUrl?: string;
  docsUrl?: string;
  categories?: string[];
  /** TypeBox schema of the non-secret settings a user gives (site, workspace, region…). */
  configSchema: TConfigSchema;
  /** One or more ways to authenticate; the first is the default. */
  auth: [AuthDescriptor, ...AuthDescriptor[]];
  /** A cheap authenticated call proving the credentials work; returns the account identity. */
  check(ctx: ConnectorContext<Static<TConfigSchema>>): Promise<CheckResult>;
  /** A small real read, at most `limit` items. */
  fetchSample?(
    ctx: ConnectorContext<Static<TConfigSchema>>,
    options: { limit: number },
  ): Promise<SampleResult>;
  oauth2?: OAuth2Hooks<Static<TConfigSchema>>;
  /** The provider API the credentials open (for the proxy and for actions). */
  api?: ApiDescriptor<Static<TConfigSchema>>;
  /**
   * Typed operations, keyed by snake_case name (`search_issues`), built with `defineAction`. Each runs with
   * `ctx.api`, so a connector with actions must declare `api`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: each action has its own input and output schema types.
  actions?: Record<string, ActionDefinition<any, any, Static<TConfigSchema>>>;
}

declare const connectorBrand: unique symbol;

/** A validated, frozen connector definition as returned by `defineConnector`. */
export interface ConnectorDefinition<TConfigSchema extends TObject = TObject>
  extends ConnectorSpec<TConfigSchema> {
  readonly contractVersion: typeof CONTRACT_VERSION;
  readonly [connectorBrand]: true;
}
