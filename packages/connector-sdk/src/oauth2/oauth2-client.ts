import { ConnectorError } from '../errors.js';
import { createHttpClient } from '../http/http-client.js';
import { noopLogger } from '../logger.js';
import type {
  AuthorizeInput,
  ClientCredentials,
  ConnectorDefinition,
  ExchangeInput,
  HttpClient,
  Logger,
  OAuth2AuthDescriptor,
  OAuth2Context,
  OAuth2Credentials,
  RefreshInput,
  RevokeInput,
  TokenResponseInput,
  TokenSet,
} from '../types.js';
import { resolveDescriptor } from './resolve-descriptor.js';
import { parseTokenResponse, tokenEndpointError } from './token-response.js';

export interface OAuth2ClientOptions {
  client: ClientCredentials;
  /** The connection's config: fills `{placeholders}` in the descriptor's URLs. */
  config: Record<string, unknown>;
  /** Unauthenticated client for token endpoints; default: a new one with `rewriteUrl`, `logger`, `signal`. */
  http?: HttpClient;
  /** Applied to every descriptor URL, including the authorize URL handed to the browser. */
  rewriteUrl?: (url: string) => string;
  logger?: Logger;
  signal?: AbortSignal;
  /** Index into `definition.auth` of the OAuth 2 descriptor to use; default the first OAuth 2 one. */
  authIndex?: number;
}

export interface OAuth2Client {
  /** The descriptor with placeholders filled and origins rewritten. */
  descriptor: OAuth2AuthDescriptor;
  /** False when the provider has no revocation endpoint and the connector no `revoke` hook. */
  canRevoke: boolean;
  /** `scopes` defaults to the descriptor's required scopes. */
  buildAuthorizeUrl(input: {
    redirectUri: string;
    state: string;
    codeChallenge?: string;
    scopes?: string[];
  }): string;
  exchangeCode(input: ExchangeInput): Promise<TokenSet>;
  refresh(input: RefreshInput): Promise<TokenSet>;
  revoke(input: RevokeInput): Promise<void>;
}

type TokenParams = Record<string, string | undefined>;

/**
 * The generic OAuth 2 authorization-code client (RFC 6749, PKCE RFC 7636, revocation RFC 7009) for a
 * connector's OAuth 2 descriptor. Each hook in `definition.oauth2` replaces its step and receives the
 * generic step as `next`. Token requests are not retried (codes are single-use and refresh tokens may
 * rotate): failures throw a `ConnectorError` whose `retryable` tells the caller whether to try again.
 *
 * @example
 * ```ts
 * const oauth = createOAuth2Client(connector, { client: { clientId, clientSecret }, config: {} });
 * const pkce = createPkcePair();
 * const url = oauth.buildAuthorizeUrl({ redirectUri, state, codeChallenge: pkce.challenge });
 * // … after the callback:
 * const tokens = await oauth.exchangeCode({ code, redirectUri, codeVerifier: pkce.verifier, callbackParams: {} });
 * ```
 */
export function createOAuth2Client(
  definition: ConnectorDefinition,
  options: OAuth2ClientOptions,
): OAuth2Client {
  const rewrite = options.rewriteUrl ?? ((url: string) => url);
  const descriptor = resolveDescriptor(definition, options.config, rewrite, options.authIndex);
  const logger = options.logger ?? noopLogger;
  const signal = options.signal ?? new AbortController().signal;
  const http = options.http ?? createHttpClient({ rewriteUrl: rewrite, logger, signal });
  const context: OAuth2Context = {
    config: options.config,
    client: options.client,
    descriptor,
    http,
    logger,
    signal,
  };
  const hooks = definition.oauth2 ?? {};

  function parse(input: TokenResponseInput, step: string): TokenSet {
    const generic = (next: TokenResponseInput) => parseTokenResponse(next, step);
    return hooks.parseTokenResponse ? hooks.parseTokenResponse(input, context, generic) : generic(input);
  }

  /** Adds client authentication to a token/revoke request per the descriptor. */
  function authenticate(params: TokenParams, headers: Record<string, string>): void {
    if (descriptor.clientAuth === 'basic') {
      // RFC 6749 §2.3.1: form-encode the id and secret before joining them.
      const user = encodeURIComponent(options.client.clientId);
      const password = encodeURIComponent(options.client.clientSecret);
      headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    } else {
      params['client_id'] = options.client.clientId;
      params['client_secret'] = options.client.clientSecret;
    }
  }

  async function post(url: string, params: TokenParams, withExtraParams: boolean) {
    const headers: Record<string, string> = { accept: 'application/json', ...descriptor.tokenHeaders };
    const body: TokenParams = { ...params, ...(withExtraParams ? descriptor.extraTokenParams : {}) };
    authenticate(body, headers);
    const encoded = descriptor.tokenRequestFormat === 'json' ? { json: dropUndefined(body) } : { form: body };
    return http.request({
      method: 'POST',
      url,
      headers,
      ...encoded,
      auth: false,
      throwOnError: false,
      retries: 0,
    });
  }

  async function tokenRequest(
    step: string,
    params: TokenParams,
    previous?: OAuth2Credentials,
  ): Promise<TokenSet> {
    const url =
      params['grant_type'] === 'refresh_token'
        ? (descriptor.refreshUrl ?? descriptor.tokenUrl)
        : descriptor.tokenUrl;
    const response = await post(url, params, true);
    if (response.status < 200 || response.status >= 300) {
      throw tokenEndpointError(step, response.status, response.headers, response.body);
    }
    logger.debug('oauth2 token endpoint answered', { step, status: response.status });
    return parse(
      {
        status: response.status,
        headers: response.headers,
        body: response.body,
        ...(previous && { previous }),
      },
      step,
    );
  }

  const generic = {
    buildAuthorizeUrl(input: AuthorizeInput): URL {
      const url = new URL(descriptor.authorizeUrl);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', options.client.clientId);
      url.searchParams.set('redirect_uri', input.redirectUri);
      url.searchParams.set('state', input.state);
      if (input.scopes.length > 0)
        url.searchParams.set('scope', input.scopes.join(descriptor.scopeSeparator ?? ' '));
      if (descriptor.pkce !== 'off') {
        if (!input.codeChallenge)
          throw new TypeError('This connector uses PKCE: pass codeChallenge (see createPkcePair)');
        url.searchParams.set('code_challenge', input.codeChallenge);
        url.searchParams.set('code_challenge_method', 'S256');
      }
      for (const [name, value] of Object.entries(descriptor.extraAuthorizeParams ?? {}))
        url.searchParams.set(name, value);
      return url;
    },
    exchangeCode(input: ExchangeInput): Promise<TokenSet> {
      return tokenRequest('Code exchange', {
        grant_type: 'authorization_code',
        code: input.code,
        redirect_uri: input.redirectUri,
        code_verifier: descriptor.pkce === 'off' ? undefined : input.codeVerifier,
      });
    },
    refresh(input: RefreshInput): Promise<TokenSet> {
      const refreshToken = input.credentials.refreshToken;
      if (!refreshToken) {
        return Promise.reject(
          new ConnectorError('Token refresh failed: the connection has no refresh token; reconnect it', {
            reason: 'auth',
          }),
        );
      }
      return tokenRequest(
        'Token refresh',
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        input.credentials,
      );
    },
    async revoke(input: RevokeInput): Promise<void> {
      if (!descriptor.revokeUrl) {
        logger.debug('oauth2 provider has no revocation endpoint; nothing to revoke remotely');
        return;
      }
      const { refreshToken, accessToken } = input.credentials;
      // Revoking the refresh token also ends its access tokens at RFC 7009 servers.
      const params: TokenParams = refreshToken
        ? { token: refreshToken, token_type_hint: 'refresh_token' }
        : { token: accessToken, token_type_hint: 'access_token' };
      const response = await post(descriptor.revokeUrl, params, false);
      if (response.status < 200 || response.status >= 300) {
        throw tokenEndpointError('Token revocation', response.status, response.headers, response.body);
      }
    },
  };

  return {
    descriptor,
    canRevoke: Boolean(descriptor.revokeUrl) || hooks.revoke !== undefined,
    buildAuthorizeUrl(input) {
      const full: AuthorizeInput = {
        redirectUri: input.redirectUri,
        state: input.state,
        scopes: input.scopes ?? descriptor.scopes.required,
        ...(input.codeChallenge !== undefined && { codeChallenge: input.codeChallenge }),
      };
      const url = hooks.buildAuthorizeUrl
        ? hooks.buildAuthorizeUrl(full, context, generic.buildAuthorizeUrl)
        : generic.buildAuthorizeUrl(full);
      return rewrite(url.toString());
    },
    exchangeCode: (input) =>
      hooks.exchangeCode
        ? hooks.exchangeCode(input, context, generic.exchangeCode)
        : generic.exchangeCode(input),
    refresh: (input) =>
      hooks.refresh ? hooks.refresh(input, context, generic.refresh) : generic.refresh(input),
    revoke: (input) => (hooks.revoke ? hooks.revoke(input, context, generic.revoke) : generic.revoke(input)),
  };
}

function dropUndefined(params: TokenParams): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
