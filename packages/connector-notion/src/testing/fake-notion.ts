import { randomUUID } from 'node:crypto';
import type {
  FakeOAuth2Provider,
  FakeOAuth2ProviderOptions,
  FakeResponse,
  FakeRouteHelpers,
  FakeRouteRequest,
  FakeUnauthorizedReason,
} from '@cfm/connector-sdk/testing/fakes';
import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { notionApiRoutes, notionError } from './fake-notion-api.js';

export interface FakeNotionPage {
  object: 'page' | 'database';
  id: string;
  title: string;
  last_edited_time: string;
}

export interface FakeNotionOptions {
  workspace?: { id: string; name: string; icon: string | null };
  pages?: FakeNotionPage[];
  /** Passed through to the generic fake (autoApprove, codeTtlMs…). */
  provider?: Omit<
    FakeOAuth2ProviderOptions,
    'routes' | 'tokenResponse' | 'identity' | 'errorShape' | 'paths' | 'unauthorizedResponse'
  >;
}

export interface FakeNotion extends FakeOAuth2Provider {
  /** Real origin → fake origin, for `CONNECTOR_ORIGIN_OVERRIDES` or `createOriginRewriter`. */
  readonly originOverrides: Record<string, string>;
  /** The same map, in the shape `describeConformance` and `createOriginRewriter` take. */
  readonly rewrite: ReadonlyMap<string, string>;
  readonly botId: string;
  readonly workspace: { id: string; name: string; icon: string | null };
  readonly owner: { id: string; name: string; email: string };
}

const DEFAULT_PAGES: FakeNotionPage[] = [
  {
    object: 'page',
    id: '6f1c8a52-0d1a-4b8e-9c55-1a2b3c4d5e01',
    title: 'Roadmap',
    last_edited_time: '2025-01-10T09:00:00.000Z',
  },
  {
    object: 'database',
    id: '6f1c8a52-0d1a-4b8e-9c55-1a2b3c4d5e02',
    title: 'Tasks',
    last_edited_time: '2025-01-09T09:00:00.000Z',
  },
  {
    object: 'page',
    id: '6f1c8a52-0d1a-4b8e-9c55-1a2b3c4d5e03',
    title: 'Meeting notes',
    last_edited_time: '2025-01-08T09:00:00.000Z',
  },
  {
    object: 'page',
    id: '6f1c8a52-0d1a-4b8e-9c55-1a2b3c4d5e04',
    title: 'Onboarding',
    last_edited_time: '2025-01-07T09:00:00.000Z',
  },
];

/**
 * A fake Notion (public-integration OAuth + the API calls the Notion connector makes) on 127.0.0.1:
 * the token endpoint accepts only HTTP Basic client auth with a JSON body, tokens never expire,
 * refresh tokens rotate, revoke takes `{ token }`, and API errors use Notion's `{ object: "error" }`.
 * API routes refuse requests without a `Notion-Version` header, as Notion does. `POST /v1/search` takes
 * `query`, `filter`, `start_cursor` and `page_size`; `GET /v1/pages/{id}` answers 404 `object_not_found`
 * for an unknown id and 400 `validation_error` for a malformed one or a database id.
 */
export async function startFakeNotion(options: FakeNotionOptions = {}): Promise<FakeNotion> {
  const workspace = options.workspace ?? {
    id: 'a1b2c3d4-0000-4000-8000-00000000feed',
    name: 'Fake Workspace',
    icon: '🧪',
  };
  const pages = options.pages ?? DEFAULT_PAGES;
  const botId = 'b0b0b0b0-0000-4000-8000-000000000b07';
  const owner = {
    id: 'u5e70000-0000-4000-8000-000000000001',
    name: 'Fake Owner',
    email: 'owner@example.com',
  };
  const ownerObject = {
    type: 'user',
    user: {
      object: 'user',
      id: owner.id,
      name: owner.name,
      avatar_url: null,
      type: 'person',
      person: { email: owner.email },
    },
  };

  const api = notionApiRoutes(pages, botId);
  const versioned =
    (handler: (request: FakeRouteRequest, helpers: FakeRouteHelpers) => FakeResponse) =>
    (request: FakeRouteRequest, helpers: FakeRouteHelpers): FakeResponse => {
      helpers.requireToken();
      if (request.headers['notion-version'] === undefined) {
        return notionError(400, 'missing_version', 'Notion-Version header failed validation.');
      }
      return handler(request, helpers);
    };

  const provider = await startFakeOAuth2Provider({
    ...options.provider,
    clientAuth: 'basic',
    tokenRequestFormat: 'json',
    errorShape: 'oauth',
    pkce: 'off',
    rotateRefreshTokens: true,
    issueRefreshToken: true,
    expiresIn: null,
    paths: {
      authorize: '/v1/oauth/authorize',
      token: '/v1/oauth/token',
      revoke: '/v1/oauth/revoke',
      // Served by the versioned `users/me` route below.
      userinfo: `/fake/userinfo-${randomUUID()}`,
    },
    revokeAuth: 'client',
    revokeResponse: { status: 200, body: { request_id: randomUUID() } },
    tokenResponse(standard) {
      return {
        access_token: standard['access_token'],
        token_type: 'bearer',
        refresh_token: standard['refresh_token'],
        bot_id: botId,
        workspace_id: workspace.id,
        workspace_name: workspace.name,
        workspace_icon: workspace.icon,
        owner: ownerObject,
        duplicated_template_id: null,
        request_id: randomUUID(),
      };
    },
    unauthorizedResponse: (_reason: FakeUnauthorizedReason) =>
      notionError(401, 'unauthorized', 'API token is invalid.'),
    rateLimitedBody: {
      object: 'error',
      status: 429,
      code: 'rate_limited',
      message: 'You have been rate limited. Please try again in a few minutes.',
    },
    identity: { object: 'user', id: botId },
    routes: {
      'GET /v1/users/me': versioned(() => ({
        status: 200,
        body: {
          object: 'user',
          id: botId,
          name: 'Fake Integration',
          avatar_url: null,
          type: 'bot',
          bot: { owner: ownerObject, workspace_name: workspace.name, workspace_id: workspace.id },
          request_id: randomUUID(),
        },
      })),
      'POST /v1/search': versioned(api.search),
      'GET /v1/pages/:page_id': versioned(api.retrievePage),
    },
  });
  return Object.assign(provider, {
    originOverrides: { 'https://api.notion.com': provider.url },
    rewrite: new Map([['https://api.notion.com', provider.url]]),
    botId,
    workspace,
    owner,
  });
}
