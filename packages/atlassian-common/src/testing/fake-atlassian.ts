import { createHash } from 'node:crypto';
import type {
  FakeOAuth2Provider,
  FakeOAuth2ProviderOptions,
  FakeResponse,
  FakeRouteHandler,
  FakeRouteRequest,
} from '@cfm/connector-sdk/testing/fakes';
import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';

/** A site as `GET /oauth/token/accessible-resources` lists it. */
export interface FakeAtlassianSite {
  id: string;
  name: string;
  url: string;
  scopes: string[];
  avatarUrl: string;
}

export interface FakeAtlassianOptions
  extends Omit<FakeOAuth2ProviderOptions, 'errorShape' | 'clientAuth' | 'tokenRequestFormat' | 'routes'> {
  /** Sites the grant covers; `[]` models a grant without any site. */
  sites?: FakeAtlassianSite[];
  /** Extra API routes, keyed `'METHOD /path/:param'`. */
  routes?: Record<string, FakeRouteHandler>;
}

export interface FakeAtlassian extends FakeOAuth2Provider {
  readonly sites: FakeAtlassianSite[];
  /** Real origin → fake origin, for `createOriginRewriter` or `CONNECTOR_ORIGIN_OVERRIDES`. */
  readonly originOverrides: Record<string, string>;
  /** The same map, as `describeConformance` and `createOriginRewriter` take it. */
  readonly rewrite: ReadonlyMap<string, string>;
}

/** A site named `name` (`https://<name>.atlassian.net`) with a cloud id derived from the name. */
export function fakeSite(name: string, scopes: string[]): FakeAtlassianSite {
  const hex = createHash('sha256').update(name).digest('hex');
  return {
    id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
    name,
    url: `https://${name}.atlassian.net`,
    scopes,
    avatarUrl: `https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/${name}.png`,
  };
}

/** Answers with Atlassian's 404 for a cloud id the grant does not cover. */
export function requireSite(sites: FakeAtlassianSite[], request: FakeRouteRequest): FakeResponse | null {
  if (sites.some((site) => site.id === request.params['cloudId'])) return null;
  return {
    status: 404,
    body: { code: 404, message: 'Cloud id not found or not accessible with this token' },
  };
}

/**
 * A fake of `auth.atlassian.com` and `api.atlassian.com` on one port: JSON token requests with the client
 * secret in the body, rotating refresh tokens, 403 `invalid_grant`, no revoke endpoint, no PKCE, the
 * accessible-resources list and the `/me` identity endpoint.
 */
export async function startFakeAtlassian(options: FakeAtlassianOptions): Promise<FakeAtlassian> {
  const { sites: givenSites, routes, ...rest } = options;
  const sites = givenSites ?? [];
  const provider = await startFakeOAuth2Provider({
    identity: {
      account_id: '5b10a2844c20165700ede21g',
      email: 'mia.krystof@example.com',
      name: 'Mia Krystof',
      nickname: 'mia',
      account_status: 'active',
    },
    ...rest,
    errorShape: 'atlassian',
    clientAuth: 'body',
    tokenRequestFormat: 'json',
    pkce: 'off',
    paths: { authorize: '/authorize', token: '/oauth/token', revoke: null, userinfo: '/me', ...rest.paths },
    routes: {
      'GET /oauth/token/accessible-resources': (_request, helpers) => {
        helpers.requireToken();
        return { status: 200, body: sites };
      },
      ...routes,
    },
  });
  const originOverrides = {
    'https://auth.atlassian.com': provider.url,
    'https://api.atlassian.com': provider.url,
  };
  return Object.assign(provider, {
    sites,
    originOverrides,
    rewrite: new Map(Object.entries(originOverrides)),
  });
}
