import type { FakeTokenStore } from './fake-oauth2-store.js';
import type {
  FakeOAuth2Counts,
  FakeOAuth2Paths,
  FakeOAuth2ProviderOptions,
  FakeResponse,
  FakeRouteHandler,
} from './fake-oauth2-types.js';

type Required2<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

/** Options with every default filled in. */
export type ResolvedOptions = Required2<
  Omit<
    FakeOAuth2ProviderOptions,
    'paths' | 'tokenResponse' | 'unauthorizedResponse' | 'knownScopes' | 'routes' | 'rateLimitedBody'
  >
> &
  Pick<
    FakeOAuth2ProviderOptions,
    'tokenResponse' | 'unauthorizedResponse' | 'knownScopes' | 'rateLimitedBody'
  > & {
    paths: {
      authorize: string;
      token: string;
      refresh: string | null;
      revoke: string | null;
      userinfo: string;
    };
    routes: Record<string, FakeRouteHandler>;
  };

const DEFAULT_PATHS: FakeOAuth2Paths = {
  authorize: '/oauth/authorize',
  token: '/oauth/token',
  refresh: null,
  revoke: '/oauth/revoke',
  userinfo: '/api/me',
};

export function resolveOptions(options: FakeOAuth2ProviderOptions): ResolvedOptions {
  const errorShape = options.errorShape ?? 'oauth';
  const revokeResponse: FakeResponse = options.revokeResponse ?? {
    status: 200,
    body: errorShape === 'slack' ? { ok: true, revoked: true } : {},
  };
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  return {
    clientId: options.clientId ?? 'fake-client-id',
    clientSecret: options.clientSecret ?? 'fake-client-secret',
    clientAuth: options.clientAuth ?? 'either',
    tokenRequestFormat: options.tokenRequestFormat ?? 'either',
    paths: {
      authorize: paths.authorize,
      token: paths.token,
      refresh: paths.refresh ?? null,
      revoke: paths.revoke === undefined ? (DEFAULT_PATHS.revoke ?? null) : paths.revoke,
      userinfo: paths.userinfo,
    },
    pkce: options.pkce ?? 'optional',
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    issueRefreshToken: options.issueRefreshToken ?? true,
    refreshResponseIncludesRefreshToken: options.refreshResponseIncludesRefreshToken ?? true,
    expiresIn: options.expiresIn === undefined ? 3600 : options.expiresIn,
    scopeSeparator: options.scopeSeparator ?? ' ',
    knownScopes: options.knownScopes,
    errorShape,
    tokenResponse: options.tokenResponse,
    revokeAuth: options.revokeAuth ?? 'client',
    revokeResponse,
    autoApprove: options.autoApprove ?? false,
    extraCallbackParams: options.extraCallbackParams ?? {},
    denyMode: options.denyMode ?? 'redirect',
    identity: options.identity ?? { id: 'fake-user-1', name: 'Fake User', email: 'fake.user@example.com' },
    unauthorizedResponse: options.unauthorizedResponse,
    rateLimitedBody: options.rateLimitedBody,
    routes: options.routes ?? {},
    codeTtlMs: options.codeTtlMs ?? 60_000,
    accessTokenPrefix: options.accessTokenPrefix ?? (errorShape === 'slack' ? 'xoxb-' : 'fake-at-'),
    refreshTokenPrefix: options.refreshTokenPrefix ?? (errorShape === 'slack' ? 'xoxe-1-' : 'fake-rt-'),
  };
}

/** What the request handlers share. */
export interface FakeRuntime {
  options: ResolvedOptions;
  store: FakeTokenStore;
  counts: FakeOAuth2Counts;
}
