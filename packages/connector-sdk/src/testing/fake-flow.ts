import { randomUUID } from 'node:crypto';
import { createActionContext, createConnectorContext } from '../connector-context.js';
import { createOriginRewriter } from '../http/origin-rewriter.js';
import { createOAuth2Client, type OAuth2Client } from '../oauth2/oauth2-client.js';
import { createPkcePair } from '../oauth2/pkce.js';
import type {
  ActionContext,
  ClientCredentials,
  ConnectorContext,
  ConnectorDefinition,
  Credentials,
  OAuth2Credentials,
} from '../types.js';
import type { FakeOAuth2Provider, FakeRequestRecord } from './fake-oauth2-types.js';

const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:3000/oauth/callback';

/** What these helpers need from a fake: a {@link FakeOAuth2Provider} (or a vendor fake) and its origin map. */
export type FlowProvider = Pick<FakeOAuth2Provider, 'approve'> & { rewrite: ReadonlyMap<string, string> };

/** Real origin → fake origin, or a function doing the rewrite (to record the real URLs, say). */
export type Rewrite = ReadonlyMap<string, string> | ((url: string) => string);

export interface ConnectThroughFakeOptions {
  /** Must match the fake's client id and secret (a wrong one tests the provider's refusal). */
  client: ClientCredentials;
  /** The connection config. Default `{}`. */
  config?: Record<string, unknown>;
  /** Never contacted: the fake's approval stops at the redirect. Default `http://127.0.0.1:3000/oauth/callback`. */
  redirectUri?: string;
  /** Index of the OAuth 2 descriptor in `connector.auth`; default the first OAuth 2 one. */
  authIndex?: number;
  /** Default `fake.rewrite`. */
  rewrite?: Rewrite;
  /** Handed to the code exchange; default the ones the descriptor names, as the fake's callback carried them. */
  callbackParams?: Record<string, string>;
  /** Scopes to request; default the descriptor's required ones (add optional ones an action needs). */
  scopes?: string[];
}

/** Credentials and metadata of a new connection. */
export interface ConnectedTokens {
  credentials: OAuth2Credentials;
  metadata: Record<string, unknown>;
}

function rewriterOf(rewrite: Rewrite): (url: string) => string {
  return typeof rewrite === 'function' ? rewrite : createOriginRewriter(rewrite);
}

/**
 * The whole browser flow against a fake, as the server runs it: builds the authorize URL (with a random
 * state and, unless the descriptor says `pkce: 'off'`, an S256 challenge), approves it at the fake, checks
 * the state came back and exchanges the code through the SDK's OAuth 2 client.
 *
 * @example
 * ```ts
 * const fake = await startFakeAcme();
 * const { credentials, metadata } = await connectThroughFake(connector, fake, { client, config: {} });
 * const result = await connector.check(contextFor(connector, { credentials, metadata, rewrite: fake.rewrite }));
 * ```
 */
export async function connectThroughFake(
  connector: ConnectorDefinition,
  fake: FlowProvider,
  options: ConnectThroughFakeOptions,
): Promise<ConnectedTokens> {
  const redirectUri = options.redirectUri ?? DEFAULT_REDIRECT_URI;
  const oauth = createOAuth2Client(connector, {
    client: options.client,
    config: options.config ?? {},
    rewriteUrl: rewriterOf(options.rewrite ?? fake.rewrite),
    ...(options.authIndex !== undefined && { authIndex: options.authIndex }),
  });
  const usesPkce = oauth.descriptor.pkce !== 'off';
  const pkce = createPkcePair();
  const state = randomUUID();
  const approval = await fake.approve(
    oauth.buildAuthorizeUrl({
      redirectUri,
      state,
      ...(usesPkce && { codeChallenge: pkce.challenge }),
      ...(options.scopes !== undefined && { scopes: options.scopes }),
    }),
  );
  if (approval.state !== state) throw new Error('the fake called back with another state than it was sent');
  const tokens = await oauth.exchangeCode({
    code: approval.code,
    redirectUri,
    callbackParams: options.callbackParams ?? callbackParamsOf(oauth, approval.params),
    ...(usesPkce && { codeVerifier: pkce.verifier }),
  });
  return { credentials: tokens.credentials, metadata: tokens.metadata ?? {} };
}

function callbackParamsOf(oauth: OAuth2Client, params: Record<string, string>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of oauth.descriptor.callbackParams ?? []) {
    const value = params[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

export interface ContextForOptions<TConfig = Record<string, unknown>> {
  credentials: Credentials;
  /** Default `{}`. */
  config?: TConfig;
  /** Default `{}`. */
  metadata?: Record<string, unknown>;
  /** Sends the connector's real URLs to the fake: usually `fake.rewrite`. */
  rewrite: Rewrite;
  /** Default 0: one attempt, so an assertion sees the answer the fake gave. */
  retries?: number;
  maxRetryDelayMs?: number;
  authIndex?: number;
}

/**
 * The context a connector's `check` and `fetchSample` receive, talking to a fake.
 *
 * @example
 * ```ts
 * const tokens = await connectThroughFake(connector, fake, { client });
 * const sample = await connector.fetchSample?.(contextFor(connector, { ...tokens, rewrite: fake.rewrite }), { limit: 2 });
 * ```
 */
export function contextFor<TConfig = Record<string, unknown>>(
  connector: ConnectorDefinition,
  options: ContextForOptions<TConfig>,
): ConnectorContext<TConfig> {
  return createConnectorContext(connector, {
    // A connector whose config has required fields gets them from the caller; `{}` is for those without.
    config: options.config ?? ({} as TConfig),
    credentials: options.credentials,
    metadata: options.metadata ?? {},
    rewriteUrl: rewriterOf(options.rewrite),
    retries: options.retries ?? 0,
    ...(options.maxRetryDelayMs !== undefined && { maxRetryDelayMs: options.maxRetryDelayMs }),
    ...(options.authIndex !== undefined && { authIndex: options.authIndex }),
  });
}

/**
 * The context an action's `run` receives (`ctx.api` bound to the connector's `api.baseUrl`), talking to a
 * fake. Pass the metadata `check` stored when the base URL needs it (an Atlassian `cloudId`).
 *
 * @example
 * ```ts
 * const tokens = await connectThroughFake(connector, fake, { client });
 * const output = await connector.actions!.list_channels!.run(actionContextFor(connector, { ...tokens, rewrite: fake.rewrite }), {});
 * ```
 */
export function actionContextFor<TConfig = Record<string, unknown>>(
  connector: ConnectorDefinition,
  options: ContextForOptions<TConfig>,
): ActionContext<TConfig> {
  return createActionContext(connector, {
    config: options.config ?? ({} as TConfig),
    credentials: options.credentials,
    metadata: options.metadata ?? {},
    rewriteUrl: rewriterOf(options.rewrite),
    retries: options.retries ?? 0,
    ...(options.maxRetryDelayMs !== undefined && { maxRetryDelayMs: options.maxRetryDelayMs }),
    ...(options.authIndex !== undefined && { authIndex: options.authIndex }),
  });
}

/** A connection's flow against one fake, bound to one client and config: see {@link fakeFlow}. */
export interface FakeFlow {
  /** The SDK's OAuth 2 client, pointed at the fake. */
  oauth: OAuth2Client;
  /** The authorize URL the browser would get (no PKCE challenge: for connectors with `pkce: 'off'`). */
  authorizeUrl(state?: string): URL;
  /** `scopes`: what to request instead of the descriptor's required scopes. */
  connect(options?: { scopes?: string[] }): Promise<ConnectedTokens>;
  context(
    tokens: { credentials: Credentials; metadata?: Record<string, unknown> },
    options?: { retries?: number; maxRetryDelayMs?: number },
  ): ConnectorContext;
  /** The same, with `ctx.api` for an action's `run`. */
  actionContext(
    tokens: { credentials: Credentials; metadata?: Record<string, unknown> },
    options?: { retries?: number; maxRetryDelayMs?: number },
  ): ActionContext;
}

/**
 * {@link connectThroughFake} and {@link contextFor} bound to one connector, fake, client and config, plus
 * the OAuth 2 client itself for refresh and revoke tests.
 *
 * @example
 * ```ts
 * const flow = fakeFlow(connector, fake, { client });
 * const tokens = await flow.connect();
 * await flow.oauth.refresh({ credentials: tokens.credentials });
 * const result = await connector.check(flow.context(tokens, { retries: 2 }));
 * ```
 */
export function fakeFlow(
  connector: ConnectorDefinition,
  fake: FlowProvider,
  options: ConnectThroughFakeOptions,
): FakeFlow {
  const config = options.config ?? {};
  const redirectUri = options.redirectUri ?? DEFAULT_REDIRECT_URI;
  const rewrite = options.rewrite ?? fake.rewrite;
  const oauth = createOAuth2Client(connector, {
    client: options.client,
    config,
    rewriteUrl: rewriterOf(rewrite),
    ...(options.authIndex !== undefined && { authIndex: options.authIndex }),
  });
  function contextOptionsOf(
    tokens: { credentials: Credentials; metadata?: Record<string, unknown> },
    contextOptions: { retries?: number; maxRetryDelayMs?: number },
  ): ContextForOptions {
    return {
      credentials: tokens.credentials,
      metadata: tokens.metadata ?? {},
      config,
      rewrite,
      ...contextOptions,
      ...(options.authIndex !== undefined && { authIndex: options.authIndex }),
    };
  }
  return {
    oauth,
    authorizeUrl: (state = 'state-1') => new URL(oauth.buildAuthorizeUrl({ redirectUri, state })),
    connect: (connectOptions = {}) => connectThroughFake(connector, fake, { ...options, ...connectOptions }),
    context: (tokens, contextOptions = {}) => contextFor(connector, contextOptionsOf(tokens, contextOptions)),
    actionContext: (tokens, contextOptions = {}) =>
      actionContextFor(connector, contextOptionsOf(tokens, contextOptions)),
  };
}

/**
 * The request the fake saw last at `path` (throws when it saw none).
 *
 * @example
 * ```ts
 * expect(lastRequestTo(fake, '/oauth/token').headers['authorization']).toBe('Basic [redacted]');
 * ```
 */
export function lastRequestTo(
  fake: { readonly requests: readonly FakeRequestRecord[] },
  path: string,
): FakeRequestRecord {
  const found = fake.requests.findLast((request) => request.path === path);
  if (!found) throw new Error(`the fake saw no request to ${path}`);
  return found;
}
