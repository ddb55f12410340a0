import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors.js';
import { createPkcePair } from '../oauth2/pkce.js';
import type { ClientCredentials, ConnectorDefinition, OAuth2AuthDescriptor } from '../types.js';
import { isConnectorDefinition, validateConnectorDefinition } from '../validate-connector-definition.js';
import {
  type ConformanceActionSample,
  type ConformanceApiProbe,
  registerActionConformance,
  registerApiConformance,
} from './conformance-actions.js';
import { type FakeFlow, fakeFlow } from './fake-flow.js';
import type { FakeOAuth2Provider } from './fake-oauth2-types.js';
import { rejectionOf } from './rejection-of.js';

/**
 * What the kit needs from a provider: a {@link FakeOAuth2Provider} (or a vendor fake built on one) plus
 * the origin map sending the connector's real URLs to it.
 */
export type ConformanceProvider = Pick<
  FakeOAuth2Provider,
  'url' | 'counts' | 'tokens' | 'approve' | 'expireAccessTokens' | 'revokeToken' | 'rateLimitNext' | 'close'
> &
  Partial<Pick<FakeOAuth2Provider, 'requests'>> & {
    /** Real origin → fake origin, e.g. `https://auth.atlassian.com` → `http://127.0.0.1:53123`. */
    rewrite: ReadonlyMap<string, string>;
  };

/** What the connector is expected to do against its provider. */
export interface ConformanceExpectations {
  /** Each refresh returns a new refresh token and the old one stops working. */
  rotatesRefreshTokens: boolean;
  /** The provider's refresh answer has no refresh token and the connection keeps the old one (Figma). */
  refreshKeepsOldRefreshToken?: boolean;
  /** Default true; false when the provider gives no refresh tokens at all (Slack without rotation). */
  issuesRefreshToken?: boolean;
  hasRevoke: boolean;
  /** The authorize URL carries an S256 PKCE challenge. */
  pkce: boolean;
  /** Default `' '`. */
  scopeSeparator?: ' ' | ',';
  /** Scopes the authorize URL must request. */
  requiredScopes?: string[];
  /** Fixed authorize parameters (`audience`, `prompt`, `owner`…) that must be present with these values. */
  authorizeParams?: Record<string, string>;
}

export interface ConformanceOptions {
  connector: ConnectorDefinition;
  /** Index of the OAuth 2 descriptor in `connector.auth`; default the first OAuth 2 one. */
  authIndex?: number;
  startProvider: () => Promise<ConformanceProvider>;
  /** The connection config (fills `{placeholders}`, picks sites). Default `{}`. */
  config?: Record<string, unknown>;
  /** Must match the fake's client id and secret. */
  client: ClientCredentials;
  expect: ConformanceExpectations;
  /** The limit passed to `fetchSample`. Default 3. */
  sampleLimit?: number;
  /** Never contacted: the fake's approval stops at the redirect. */
  redirectUri?: string;
  /**
   * A sample per action, keyed by action name: the kit runs each against the fake after its OAuth flow and
   * validates input and output against the action's schemas. Every declared action needs one (a missing
   * sample is a failing test); a sample for an undeclared action fails too.
   */
  actions?: Record<string, ConformanceActionSample>;
  /** For a connector with `api`: a GET the kit sends through `createApiClient` with the connection's credentials. */
  apiProbe?: ConformanceApiProbe;
}

async function expectConnectorError(promise: Promise<unknown>, reason: ConnectorError['reason']) {
  const error = await rejectionOf(promise);
  expect(ConnectorError.is(error), `expected a ConnectorError, got: ${String(error)}`).toBe(true);
  expect((error as ConnectorError).reason).toBe(reason);
  return error as ConnectorError;
}

/**
 * Registers a vitest suite proving a connector works against a real HTTP provider: definition,
 * authorize URL, code exchange, refresh (with and without rotation), `invalid_grant`, revocation,
 * `check`, `fetchSample` and rate limiting; for a connector with `api` and `actions`, the API base URL, a
 * probe through `createApiClient`, and each action's schemas and sample run.
 *
 * @example
 * ```ts
 * describeConformance({
 *   connector,
 *   client: { clientId: 'id', clientSecret: 'secret' },
 *   startProvider: startFakeAcme,
 *   expect: { rotatesRefreshTokens: true, hasRevoke: true, pkce: true, requiredScopes: ['read'] },
 *   apiProbe: { path: '/v1/me' },
 *   actions: { list_projects: { input: { limit: 2 } } },
 * });
 * ```
 */
export function describeConformance(options: ConformanceOptions): void {
  const { connector, client, expect: expectations } = options;
  const config = options.config ?? {};
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:3000/oauth/callback';
  const sampleLimit = options.sampleLimit ?? 3;
  const issuesRefreshToken = expectations.issuesRefreshToken ?? true;
  const separator = expectations.scopeSeparator ?? ' ';
  const key = typeof connector?.key === 'string' ? connector.key : 'connector';

  describe(`${key}: connector conformance`, () => {
    let provider: ConformanceProvider | undefined;
    // The browser flow and the connector's context, as the kit's flow helpers run them (one attempt per call,
    // so the kit asserts what a single answer turns into).
    let flow: FakeFlow;

    beforeAll(async () => {
      provider = await options.startProvider();
      flow = fakeFlow(connector, provider, {
        client,
        config,
        redirectUri,
        ...(options.authIndex !== undefined && { authIndex: options.authIndex }),
      });
    });
    afterAll(async () => {
      await provider?.close();
    });

    const fake = (): ConformanceProvider => {
      if (!provider) throw new Error('the provider did not start');
      return provider;
    };
    const actionContext = {
      connector,
      config,
      samples: options.actions,
      apiProbe: options.apiProbe,
      descriptor: () =>
        (options.authIndex === undefined
          ? connector.auth.find((auth) => auth.type === 'oauth2')
          : connector.auth[options.authIndex]) as OAuth2AuthDescriptor | undefined,
      flow: () => flow,
      fake,
    };

    it('is a valid, branded definition with a well-formed key and an OAuth 2 descriptor', () => {
      expect(isConnectorDefinition(connector)).toBe(true);
      const validation = validateConnectorDefinition(connector);
      expect(validation.ok ? [] : validation.errors).toEqual([]);
      expect(connector.key).toMatch(/^[a-z][a-z0-9-]{1,63}$/);
      const descriptor =
        options.authIndex === undefined
          ? connector.auth.find((auth) => auth.type === 'oauth2')
          : connector.auth[options.authIndex];
      expect(descriptor?.type).toBe('oauth2');
    });

    it('builds an authorize URL with client, redirect, state, scopes, PKCE and fixed parameters', () => {
      const state = randomUUID();
      const parsed = new URL(
        flow.oauth.buildAuthorizeUrl({
          redirectUri,
          state,
          ...(expectations.pkce && { codeChallenge: createPkcePair().challenge }),
        }),
      );
      expect([...fake().rewrite.values()]).toContain(parsed.origin);
      const params = parsed.searchParams;
      expect(params.get('response_type')).toBe('code');
      expect(params.get('client_id')).toBe(client.clientId);
      expect(params.get('redirect_uri')).toBe(redirectUri);
      expect(params.get('state')).toBe(state);
      const requested = (params.get('scope') ?? '').split(separator).filter((scope) => scope !== '');
      for (const scope of expectations.requiredScopes ?? []) expect(requested).toContain(scope);
      if (separator === ',') expect(params.get('scope') ?? '').not.toMatch(/\s/);
      if (expectations.pkce) {
        expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(params.get('code_challenge_method')).toBe('S256');
      } else {
        expect(params.get('code_challenge')).toBeNull();
      }
      for (const [name, value] of Object.entries(expectations.authorizeParams ?? {})) {
        expect(params.get(name), `authorize parameter ${name}`).toBe(value);
      }
    });

    it('exchanges an approved code over HTTP for credentials, keeping secrets out of metadata', async () => {
      const before = fake().counts.token;
      const tokens = await flow.connect();
      expect(fake().counts.token).toBe(before + 1);
      const { credentials } = tokens;
      expect(credentials.type).toBe('oauth2');
      expect(credentials.accessToken).not.toBe('');
      expect(fake().tokens.some((token) => token.value === credentials.accessToken)).toBe(true);
      if (issuesRefreshToken) expect(credentials.refreshToken).toBeTypeOf('string');
      const metadata = JSON.stringify(tokens.metadata);
      expect(metadata).not.toContain(credentials.accessToken);
      if (credentials.refreshToken) expect(metadata).not.toContain(credentials.refreshToken);
    });

    if (issuesRefreshToken) {
      it('refreshes the access token, rotating or keeping the refresh token', async () => {
        const { credentials } = await flow.connect();
        const before = fake().counts.refresh;
        const refreshed = await flow.oauth.refresh({ credentials });
        expect(fake().counts.refresh).toBe(before + 1);
        expect(refreshed.credentials.accessToken).not.toBe(credentials.accessToken);
        if (expectations.rotatesRefreshTokens) {
          expect(refreshed.credentials.refreshToken).toBeTypeOf('string');
          expect(refreshed.credentials.refreshToken).not.toBe(credentials.refreshToken);
          // The old refresh token died with the rotation.
          await expectConnectorError(flow.oauth.refresh({ credentials }), 'auth');
        } else if (expectations.refreshKeepsOldRefreshToken) {
          expect(refreshed.credentials.refreshToken).toBe(credentials.refreshToken);
        }
      });

      it('turns invalid_grant on refresh into reason "auth" without leaking the token', async () => {
        const { credentials } = await flow.connect();
        const bogus = `invalid-refresh-${randomUUID()}`;
        const error = await expectConnectorError(
          flow.oauth.refresh({ credentials: { ...credentials, refreshToken: bogus } }),
          'auth',
        );
        expect(error.message).not.toContain(bogus);
      });
    } else {
      // A provider that issues no refresh token (Slack without rotation): nothing to refresh with, so a refresh
      // must say "reconnect" (reason auth) without asking the provider anything.
      it('has no refresh token: refresh fails with reason "auth" and never calls the provider', async () => {
        const { credentials } = await flow.connect();
        expect(credentials.refreshToken).toBeUndefined();
        const before = fake().counts.refresh + fake().counts.token;
        await expectConnectorError(flow.oauth.refresh({ credentials }), 'auth');
        expect(fake().counts.refresh + fake().counts.token).toBe(before);
      });
    }

    it(`${expectations.hasRevoke ? 'revokes at' : 'never calls'} the provider's revocation endpoint`, async () => {
      const tokens = await flow.connect();
      const before = fake().counts.revoke;
      expect(flow.oauth.canRevoke).toBe(expectations.hasRevoke);
      await flow.oauth.revoke({ credentials: tokens.credentials });
      expect(fake().counts.revoke).toBe(before + (expectations.hasRevoke ? 1 : 0));
      if (expectations.hasRevoke) await expectConnectorError(connector.check(flow.context(tokens)), 'auth');
    });

    it('check() proves valid credentials and names the account', async () => {
      const result = await connector.check(flow.context(await flow.connect()));
      expect(result.identity.accountId).toBeTypeOf('string');
      expect(result.identity.accountId).not.toBe('');
    });

    it('check() fails with reason "auth" for a revoked or an expired access token', async () => {
      const revoked = await flow.connect();
      fake().revokeToken(revoked.credentials.accessToken);
      await expectConnectorError(connector.check(flow.context(revoked)), 'auth');
      const expired = await flow.connect();
      fake().expireAccessTokens();
      await expectConnectorError(connector.check(flow.context(expired)), 'auth');
    });

    if (connector.fetchSample) {
      it(`fetchSample() returns at most ${sampleLimit} items`, async () => {
        const sample = await connector.fetchSample?.(flow.context(await flow.connect()), {
          limit: sampleLimit,
        });
        expect(sample?.kind).toBeTypeOf('string');
        expect(sample?.kind).not.toBe('');
        expect(Array.isArray(sample?.items)).toBe(true);
        expect(sample?.items.length).toBeLessThanOrEqual(sampleLimit);
      });
    }

    it('surfaces a 429 from the provider as reason "rate_limited"', async () => {
      const context = flow.context(await flow.connect());
      fake().rateLimitNext(5, { 'Retry-After': '1' });
      try {
        const error = await expectConnectorError(connector.check(context), 'rate_limited');
        expect(error.retryable).toBe(true);
      } finally {
        fake().rateLimitNext(0);
      }
    });

    registerApiConformance(actionContext);
    registerActionConformance(actionContext);
  });
}
