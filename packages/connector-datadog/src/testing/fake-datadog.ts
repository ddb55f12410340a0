import type {
  FakeOAuth2Provider,
  FakeOAuth2ProviderOptions,
  FakeResponse,
  FakeRouteHandler,
  FakeRouteHelpers,
  FakeRouteRequest,
} from '@cfm/connector-sdk/testing/fakes';
import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { DATADOG_APP_HOSTS, DATADOG_SITES, type DatadogSite } from '../datadog-sites.js';
import {
  datadogError,
  type FakeDatadogMonitor,
  listMonitorsRoute,
  queryMetricsRoute,
} from './fake-datadog-routes.js';

export type { FakeDatadogMonitor } from './fake-datadog-routes.js';

export interface FakeDatadogOptions {
  clientId?: string;
  clientSecret?: string;
  /** The `domain` the callback carries (the site the user signed in on). Default `datadoghq.com`. */
  callbackDomain?: string | null;
  /** Keys accepted in API-key mode. */
  apiKey?: string;
  applicationKey?: string;
  monitors?: FakeDatadogMonitor[];
  /** Metrics `GET /api/v1/query` knows, each with the hosts reporting it. Default `system.cpu.user` and `system.load.1` on web-1 and web-2. */
  metrics?: Record<string, string[]>;
  /** `GET /api/v2/current_user` answer; `null` answers 403 like a grant without `user_access_read`. */
  user?: { id: string; name: string; handle: string; email: string } | null;
  /** Extra provider options, applied last. */
  provider?: Partial<FakeOAuth2ProviderOptions>;
}

/**
 * The fake provider, its API keys, and the map sending every Datadog origin to it. `rateLimitNext(n, headers)`
 * answers Datadog's `{"errors":["Rate limit exceeded"]}`: pass Datadog's `X-RateLimit-*` headers.
 */
export interface FakeDatadog extends FakeOAuth2Provider {
  readonly apiKey: string;
  readonly applicationKey: string;
  readonly monitors: readonly FakeDatadogMonitor[];
  /** Every real Datadog origin the connector may call (app and api hosts of every site) → the fake. */
  readonly originOverrides: Record<string, string>;
  /** The same map as `CONNECTOR_ORIGIN_OVERRIDES` text. */
  readonly originOverridesText: string;
  /** The same map, as `describeConformance` takes it. */
  readonly rewrite: ReadonlyMap<string, string>;
}

/** Every origin of every site: `app.<site>` too, since the descriptor template names it. */
export function datadogRealOrigins(): string[] {
  const origins = new Set<string>();
  for (const site of DATADOG_SITES as readonly DatadogSite[]) {
    origins.add(`https://api.${site}`);
    origins.add(`https://app.${site}`);
    origins.add(`https://${DATADOG_APP_HOSTS[site]}`);
  }
  return [...origins];
}

const FORBIDDEN: FakeResponse = datadogError(403, 'Forbidden');

const TEAMS = ['core', 'web', 'data'];
const DEFAULT_MONITORS: FakeDatadogMonitor[] = Array.from({ length: 15 }, (_unused, index) => ({
  id: 100_000 + index,
  name: `Fake monitor ${index + 1}`,
  type: index % 2 === 0 ? 'metric alert' : 'log alert',
  overall_state: index % 3 === 0 ? 'Alert' : 'OK',
  tags: [`team:${TEAMS[index % 3]}`, index % 2 === 0 ? 'env:prod' : 'env:staging'],
}));

const DEFAULT_METRICS: Record<string, string[]> = {
  'system.cpu.user': ['web-1', 'web-2'],
  'system.load.1': ['web-1', 'web-2'],
};

/**
 * Starts a fake Datadog: `/oauth2/v1/authorize` (PKCE S256 required; the callback carries `domain`),
 * `/oauth2/v1/token` (form, client credentials in the body, rotating refresh tokens; 401 without the
 * secret, 400 `{error}` otherwise), `/oauth2/v1/revoke`, `/api/v1/validate`, `/api/v1/monitor` (name and
 * tag filters, `page`/`page_size`), `/api/v1/query` (a metric query subset) and `/api/v2/current_user`
 * (Bearer, or `DD-API-KEY` + `DD-APPLICATION-KEY`). Bad credentials get 403 `{"errors":["Forbidden"]}`,
 * invalid input 400 `{"errors":[…]}`, injected 429s `{"errors":["Rate limit exceeded"]}`. One fake serves every site:
 * `originOverrides` maps them all to it.
 */
export async function startFakeDatadog(options: FakeDatadogOptions = {}): Promise<FakeDatadog> {
  const apiKey = options.apiKey ?? 'fake-dd-api-key-0001';
  const applicationKey = options.applicationKey ?? 'fake-dd-application-key-0001';
  const monitors = options.monitors ?? DEFAULT_MONITORS;
  const metrics = options.metrics ?? DEFAULT_METRICS;
  const user =
    options.user === undefined
      ? {
          id: '3b1f7f7e-0000-4000-8000-00000000feed',
          name: 'Fake Operator',
          handle: 'op@example.com',
          email: 'op@example.com',
        }
      : options.user;

  /** Null when the request is authenticated (Bearer or both keys), else Datadog's 403. */
  const authenticate = (request: FakeRouteRequest, helpers: FakeRouteHelpers, needsAppKey: boolean) => {
    const presentedKey = request.headers['dd-api-key'];
    if (presentedKey === undefined) {
      helpers.requireToken();
      return null;
    }
    if (presentedKey !== apiKey) return FORBIDDEN;
    if (needsAppKey && request.headers['dd-application-key'] !== applicationKey) return FORBIDDEN;
    return null;
  };
  /** The route's answer to an authenticated request, else Datadog's 403. */
  const api =
    (needsAppKey: boolean, handler: FakeRouteHandler): FakeRouteHandler =>
    (request, helpers) =>
      authenticate(request, helpers, needsAppKey) ?? handler(request, helpers);
  const currentUser: FakeRouteHandler = () => {
    if (user === null) return FORBIDDEN;
    const { id, ...attributes } = user;
    return { status: 200, body: { data: { id, type: 'users', attributes } } };
  };

  const callbackDomain = options.callbackDomain === undefined ? 'datadoghq.com' : options.callbackDomain;
  const provider = await startFakeOAuth2Provider({
    ...(options.clientId !== undefined && { clientId: options.clientId }),
    ...(options.clientSecret !== undefined && { clientSecret: options.clientSecret }),
    clientAuth: 'body',
    tokenRequestFormat: 'form',
    paths: {
      authorize: '/oauth2/v1/authorize',
      token: '/oauth2/v1/token',
      refresh: null,
      revoke: '/oauth2/v1/revoke',
      // Datadog has no OAuth userinfo endpoint: validate, monitors and current_user also take API
      // keys, so they are custom routes, and this path is one the connector never calls.
      userinfo: '/oauth2/v1/userinfo',
    },
    pkce: 'required',
    rotateRefreshTokens: true,
    expiresIn: 3600,
    errorShape: 'oauth',
    revokeAuth: 'client',
    revokeResponse: { status: 200, body: {} },
    ...(callbackDomain !== null && { extraCallbackParams: { domain: callbackDomain } }),
    identity: { valid: true },
    unauthorizedResponse: () => FORBIDDEN,
    rateLimitedBody: { errors: ['Rate limit exceeded'] },
    routes: {
      'GET /api/v1/validate': api(false, () => ({ status: 200, body: { valid: true } })),
      'GET /api/v1/monitor': api(true, listMonitorsRoute(monitors)),
      'GET /api/v1/query': api(true, queryMetricsRoute(metrics)),
      'GET /api/v2/current_user': api(true, currentUser),
    },
    ...options.provider,
  });
  const originOverrides = Object.fromEntries(datadogRealOrigins().map((origin) => [origin, provider.url]));
  // The provider object is plain data and closures: extending it keeps every member working.
  return Object.assign(provider, {
    apiKey,
    applicationKey,
    monitors,
    originOverrides,
    originOverridesText: Object.entries(originOverrides)
      .map(([from, to]) => `${from}=${to}`)
      .join(','),
    rewrite: new Map(Object.entries(originOverrides)),
  });
}
