import { randomUUID } from 'node:crypto';
import type {
  FakeOAuth2Provider,
  FakeOAuth2ProviderOptions,
  FakeRouteHelpers,
  FakeRouteRequest,
  FakeTokenResponseContext,
} from '@cfm/connector-sdk/testing/fakes';
import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { slackWebApiMethods } from './fake-slack-web-api.js';

export interface FakeSlackChannel {
  id: string;
  name: string;
  is_private?: boolean;
  is_archived?: boolean;
  /** Whether the app's bot user is in the channel (it can post only there, unless `chat:write.public`). */
  is_member?: boolean;
  num_members?: number;
}

/** A message `chat.postMessage` accepted. */
export interface FakeSlackMessage {
  channel: string;
  ts: string;
  text: string;
  thread_ts?: string;
}

export interface FakeSlackOptions {
  /** Token rotation on the app: refresh tokens (`xoxe-1-`), `expires_in: 43200`. Default false (tokens never expire). */
  rotation?: boolean;
  /** How the token endpoint accepts client credentials. Default `either`, like Slack. */
  clientAuth?: 'basic' | 'body' | 'either';
  team?: { id: string; name: string };
  enterprise?: { id: string; name: string } | null;
  channels?: FakeSlackChannel[];
  /** Passed through to the generic fake (autoApprove, codeTtlMs, knownScopes…). */
  provider?: Omit<
    FakeOAuth2ProviderOptions,
    'routes' | 'tokenResponse' | 'identity' | 'errorShape' | 'paths'
  >;
}

export interface FakeSlack extends FakeOAuth2Provider {
  /** Real origin → fake origin, for `CONNECTOR_ORIGIN_OVERRIDES` or `createOriginRewriter`. */
  readonly originOverrides: Record<string, string>;
  /** The same map, in the shape `describeConformance` and `createOriginRewriter` take. */
  readonly rewrite: ReadonlyMap<string, string>;
  readonly team: { id: string; name: string };
  readonly appId: string;
  readonly botUserId: string;
  readonly authedUserId: string;
  /** Token families that are user tokens (`authed_user`), for `auth.test` answers. */
  readonly userTokenFamilies: ReadonlySet<string>;
  /** Every message `chat.postMessage` accepted, oldest first. */
  readonly messages: readonly FakeSlackMessage[];
}

const DEFAULT_CHANNELS: FakeSlackChannel[] = [
  { id: 'C0000000001', name: 'general', is_member: true, num_members: 42 },
  { id: 'C0000000002', name: 'random', is_member: true, num_members: 40 },
  { id: 'C0000000003', name: 'engineering', is_member: false, num_members: 12 },
  { id: 'C0000000004', name: 'old-project', is_archived: true, is_member: true, num_members: 3 },
  { id: 'C0000000005', name: 'secret-plans', is_private: true, is_member: false, num_members: 2 },
];

/**
 * A fake Slack (OAuth v2 + the Web API methods the Slack connector calls) on 127.0.0.1: errors are
 * HTTP 200 `{ ok: false, error }`, bot scopes in `scope`, user scopes in `user_scope` (a user token is
 * returned under `authed_user`), `auth.test`, `auth.revoke` (Bearer), `conversations.list` (cursor
 * pagination, `invalid_cursor`) and `chat.postMessage` (`missing_scope` without `chat:write`,
 * `channel_not_found`, `not_in_channel`, `is_archived`, `no_text`, `msg_too_long`).
 *
 * @example
 * ```ts
 * const slack = await startFakeSlack({ rotation: true });
 * process.env.CONNECTOR_ORIGIN_OVERRIDES = JSON.stringify(slack.originOverrides);
 * ```
 */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const rotation = options.rotation ?? false;
  const team = options.team ?? { id: 'T0FAKE001', name: 'Fake Workspace' };
  const enterprise = options.enterprise ?? null;
  const channels = options.channels ?? DEFAULT_CHANNELS;
  const appId = 'A0FAKE001';
  const botUserId = 'U0FAKEBOT';
  const authedUserId = 'U0FAKEUSER';
  const botId = 'B0FAKE001';
  const userTokenFamilies = new Set<string>();
  const messages: FakeSlackMessage[] = [];
  const webApi = slackWebApiMethods({
    channels,
    messages,
    ids: { appId, botId, botUserId, teamId: team.id },
  });
  // Assigned right after start; the callbacks below only run on requests, after that.
  let provider: FakeOAuth2Provider | undefined;

  const familyOf = (token: string): string | undefined =>
    provider?.tokens.find((record) => record.value === token)?.family;

  /** The `user_scope` of the latest authorize request (the fake serves one flow at a time in tests). */
  const lastUserScope = (): string => {
    const requests = provider?.requests ?? [];
    for (let index = requests.length - 1; index >= 0; index -= 1) {
      const request = requests[index];
      if (request?.method === 'GET' && request.path === '/oauth/v2/authorize')
        return request.query['user_scope'] ?? '';
    }
    return '';
  };

  const expiry = (standard: Record<string, unknown>) =>
    rotation ? { refresh_token: standard['refresh_token'], expires_in: standard['expires_in'] } : {};

  const workspace = { app_id: appId, team, enterprise, is_enterprise_install: false };

  function tokenResponse(standard: Record<string, unknown>, context: FakeTokenResponseContext) {
    if (context.grant === 'refresh_token') {
      const isUser = userTokenFamilies.has(context.access.family);
      return {
        ...workspace,
        access_token: standard['access_token'],
        token_type: isUser ? 'user' : 'bot',
        scope: standard['scope'],
        ...(isUser ? {} : { bot_user_id: botUserId }),
        ...expiry(standard),
      };
    }
    const userScope = lastUserScope();
    if (context.access.scopes.length === 0) {
      // No bot scopes: Slack answers with the user token only, under `authed_user`.
      userTokenFamilies.add(context.access.family);
      return {
        ...workspace,
        authed_user: {
          id: authedUserId,
          scope: userScope,
          access_token: standard['access_token'],
          token_type: 'user',
          ...expiry(standard),
        },
      };
    }
    let authedUser: Record<string, unknown> = { id: authedUserId };
    if (userScope !== '' && provider) {
      const user = provider.issueTokensDirectly({ scopes: userScope.split(',') });
      const family = familyOf(user.accessToken);
      if (family !== undefined) userTokenFamilies.add(family);
      authedUser = {
        id: authedUserId,
        scope: userScope,
        access_token: user.accessToken,
        token_type: 'user',
        ...(rotation ? { refresh_token: user.refreshToken, expires_in: 43200 } : {}),
      };
    }
    return {
      ...workspace,
      access_token: standard['access_token'],
      token_type: 'bot',
      scope: standard['scope'],
      bot_user_id: botUserId,
      authed_user: authedUser,
      ...expiry(standard),
    };
  }

  function authTest(_request: FakeRouteRequest, helpers: FakeRouteHelpers) {
    const token = helpers.requireToken();
    const isUser = userTokenFamilies.has(token.family);
    const url = `https://${team.name.toLowerCase().replaceAll(/[^a-z0-9]+/g, '-')}.slack.com/`;
    const identity = isUser
      ? { url, team: team.name, user: 'fake.user', team_id: team.id, user_id: authedUserId }
      : { url, team: team.name, user: 'fakebot', team_id: team.id, user_id: botUserId, bot_id: botId };
    return { status: 200, body: { ok: true, ...identity, is_enterprise_install: false } };
  }

  provider = await startFakeOAuth2Provider({
    ...options.provider,
    clientAuth: options.clientAuth ?? 'either',
    errorShape: 'slack',
    pkce: 'off',
    scopeSeparator: ',',
    rotateRefreshTokens: rotation,
    issueRefreshToken: rotation,
    expiresIn: rotation ? 43200 : null,
    paths: {
      authorize: '/oauth/v2/authorize',
      token: '/api/oauth.v2.access',
      revoke: '/api/auth.revoke',
      // Served by the `auth.test` route below, which tells bot tokens from user tokens.
      userinfo: `/fake/userinfo-${randomUUID()}`,
    },
    revokeAuth: 'bearer',
    revokeResponse: { status: 200, body: { ok: true, revoked: true } },
    identity: { user_id: botUserId, team_id: team.id },
    tokenResponse,
    routes: {
      'POST /api/auth.test': authTest,
      'GET /api/auth.test': authTest,
      'GET /api/conversations.list': webApi.conversationsList,
      'POST /api/conversations.list': webApi.conversationsList,
      'POST /api/chat.postMessage': webApi.chatPostMessage,
    },
  });
  return Object.assign(provider, {
    originOverrides: { 'https://slack.com': provider.url },
    rewrite: new Map([['https://slack.com', provider.url]]),
    team,
    appId,
    botUserId,
    authedUserId,
    userTokenFamilies,
    messages,
  });
}
