import type {
  FakeOAuth2Provider,
  FakeOAuth2ProviderOptions,
  FakeRouteHandler,
} from '@cfm/connector-sdk/testing/fakes';
import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { DEFAULT_FILES, type FakeFigmaFile, figmaError, figmaFileRoutes } from './fake-figma-files.js';

/** Every scope Figma's authorize page knows, so a typo in the connector fails like it would there. */
export const FIGMA_KNOWN_SCOPES = [
  'current_user:read',
  'file_content:read',
  'file_metadata:read',
  'file_comments:read',
  'file_comments:write',
  'file_dev_resources:read',
  'file_dev_resources:write',
  'file_variables:read',
  'file_variables:write',
  'library_analytics:read',
  'library_assets:read',
  'library_content:read',
  'team_library_content:read',
  'projects:read',
  'webhooks:read',
  'webhooks:write',
];

export interface FakeFigmaProject {
  id: string;
  name: string;
}

export interface FakeFigmaOptions {
  clientId?: string;
  clientSecret?: string;
  /** `/v1/me` answer. */
  user?: { id: string; handle: string; img_url: string; email: string };
  /** Teams by id with their projects (`GET /v1/teams/:team_id/projects`). */
  teams?: Record<string, { name: string; projects: FakeFigmaProject[] }>;
  /** Files by key (`GET /v1/files/:file_key`, `…/comments`). Default one file, `FAKE_FIGMA_FILE_KEY`. */
  files?: Record<string, FakeFigmaFile>;
  /** Access token lifetime in seconds. Default 90 days, as Figma issues them. */
  expiresIn?: number | null;
  /** Extra provider options (autoApprove, codeTtlMs…), applied last. */
  provider?: Partial<FakeOAuth2ProviderOptions>;
}

/** The fake provider, plus the map sending Figma's real origins to it. */
export interface FakeFigma extends FakeOAuth2Provider {
  /** Real origin → fake origin, for `createOriginRewriter` or the server's `CONNECTOR_ORIGIN_OVERRIDES`. */
  readonly originOverrides: Record<string, string>;
  /** The same map as `CONNECTOR_ORIGIN_OVERRIDES` text. */
  readonly originOverridesText: string;
  /** The same map, as `describeConformance` takes it. */
  readonly rewrite: ReadonlyMap<string, string>;
}

export const FIGMA_REAL_ORIGINS = ['https://www.figma.com', 'https://api.figma.com'] as const;

const DEFAULT_USER = {
  id: '1234567890123456789',
  handle: 'Fake Designer',
  img_url: 'https://s3-alpha.figma.com/profile/fake',
  email: 'designer@example.com',
};

const DEFAULT_TEAMS: Record<string, { name: string; projects: FakeFigmaProject[] }> = {
  '987654321': {
    name: 'Fake Team',
    projects: Array.from({ length: 12 }, (_unused, index) => ({
      id: String(1000 + index),
      name: `Project ${index + 1}`,
    })),
  },
};

/**
 * Starts a fake Figma: `www.figma.com/oauth` (PKCE S256 optional; rejecting never calls back),
 * `api.figma.com/v1/oauth/token` (form, HTTP Basic; answers `user_id_string`; refresh answers no
 * refresh token), the legacy `/v1/oauth/refresh`, `/v1/me`, `/v1/teams/:team_id/projects`,
 * `/v1/files/:file_key` (honouring `depth`) and `/v1/files/:file_key/comments` (every comment at once, as
 * Figma has no pagination there). Bad tokens get Figma's 403 `{status, err}`, unknown files 404
 * `{"status":404,"err":"Not found"}`. Scopes are not checked per endpoint.
 *
 * @example
 * ```ts
 * const fake = await startFakeFigma();
 * process.env.CONNECTOR_ORIGIN_OVERRIDES = fake.originOverridesText;
 * ```
 */
export async function startFakeFigma(options: FakeFigmaOptions = {}): Promise<FakeFigma> {
  const user = options.user ?? DEFAULT_USER;
  const teams = options.teams ?? DEFAULT_TEAMS;
  const projects: FakeRouteHandler = (request, helpers) => {
    helpers.requireToken();
    const team = teams[request.params['team_id'] ?? ''];
    if (!team) return figmaError(404, 'Not found');
    return { status: 200, body: { name: team.name, projects: team.projects } };
  };
  const provider = await startFakeOAuth2Provider({
    ...(options.clientId !== undefined && { clientId: options.clientId }),
    ...(options.clientSecret !== undefined && { clientSecret: options.clientSecret }),
    clientAuth: 'basic',
    tokenRequestFormat: 'form',
    paths: {
      authorize: '/oauth',
      token: '/v1/oauth/token',
      refresh: '/v1/oauth/refresh',
      revoke: null,
      userinfo: '/v1/me',
    },
    pkce: 'optional',
    rotateRefreshTokens: false,
    refreshResponseIncludesRefreshToken: false,
    expiresIn: options.expiresIn === undefined ? 90 * 24 * 3600 : options.expiresIn,
    scopeSeparator: ' ',
    knownScopes: FIGMA_KNOWN_SCOPES,
    denyMode: 'none',
    identity: user,
    tokenResponse(standard, context) {
      // Figma's shapes: no `scope`, a lowercase `bearer`, the user id on the code grant only.
      const body: Record<string, unknown> = {
        access_token: standard['access_token'],
        token_type: 'bearer',
        expires_in: standard['expires_in'],
      };
      if (context.grant === 'authorization_code') {
        body['user_id_string'] = user.id;
        body['refresh_token'] = standard['refresh_token'];
      }
      return body;
    },
    unauthorizedResponse: () => figmaError(403, 'Invalid token'),
    // Figma's `{status, err}` shape; the exact text of a 429's `err` is not documented.
    rateLimitedBody: { status: 429, err: 'Rate limit exceeded' },
    routes: {
      'GET /v1/teams/:team_id/projects': projects,
      ...figmaFileRoutes(options.files ?? DEFAULT_FILES),
    },
    ...options.provider,
  });
  const originOverrides = Object.fromEntries(FIGMA_REAL_ORIGINS.map((origin) => [origin, provider.url]));
  // The provider object is plain data and closures: extending it keeps every member working.
  return Object.assign(provider, {
    originOverrides,
    originOverridesText: Object.entries(originOverrides)
      .map(([from, to]) => `${from}=${to}`)
      .join(','),
    rewrite: new Map(Object.entries(originOverrides)),
  });
}
