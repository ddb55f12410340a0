import type { OAuth2Credentials, TokenSet } from '@cfm/connector-sdk';
import { ConnectorError, defineConnector, Type } from '@cfm/connector-sdk';
import { listChannels, postMessage } from './slack-actions.js';
import { callSlack, type SlackEnvelope } from './slack-api.js';
import { parseSlackTokenResponse, type SlackUserTokenExtra } from './slack-token-response.js';

const SLACK_API = 'https://slack.com/api';

/** Bot scopes: list public channels, read workspace members, read the workspace name. */
export const SLACK_BOT_SCOPES = ['channels:read', 'users:read', 'team:read'];

/**
 * Bot scopes a deployment may add. `chat:write` is what the `post_message` action needs: optional, so a
 * read-only deployment never asks users for write access.
 */
export const SLACK_OPTIONAL_BOT_SCOPES = [
  'chat:write',
  'channels:history',
  'groups:read',
  'users:read.email',
];

const SCOPE_LIST = '^[a-z][a-z0-9_.:-]*(,[a-z][a-z0-9_.:-]*)*$';

const configSchema = Type.Object({
  userScopes: Type.Optional(
    Type.String({
      pattern: SCOPE_LIST,
      description: 'Comma-separated user scopes (sent as `user_scope`), e.g. `channels:read,users:read`',
    }),
  ),
  userTokenOnly: Type.Optional(
    Type.Boolean({ description: 'Ask for no bot scopes: the connection then holds the user token (xoxp-)' }),
  ),
});

function splitList(value: string | null | undefined): string[] {
  return (value ?? '').split(/[,\s]+/).filter((scope) => scope.length > 0);
}

function userTokenOf(credentials: OAuth2Credentials): SlackUserTokenExtra | undefined {
  const candidate = credentials.extra?.['userToken'];
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const user = candidate as Partial<SlackUserTokenExtra>;
  return typeof user.accessToken === 'string' ? (user as SlackUserTokenExtra) : undefined;
}

interface AuthTestBody extends SlackEnvelope {
  url?: string;
  team?: string;
  user?: string;
  team_id?: string;
  user_id?: string;
  bot_id?: string;
  enterprise_id?: string;
}

interface SlackChannel {
  id: string;
  name?: string;
  is_private?: boolean;
  num_members?: number;
}

interface ConversationsListBody extends SlackEnvelope {
  channels?: SlackChannel[];
}

/** Slack, OAuth v2: a bot token for the workspace, optionally with a user token. */
export const slackConnector = defineConnector({
  key: 'slack',
  name: 'Slack',
  description: 'Connects a Slack workspace (OAuth v2): workspace identity, members and public channels.',
  iconUrl: 'https://a.slack-edge.com/80588/marketing/img/meta/slack_hash_256.png',
  docsUrl: 'https://api.slack.com/authentication/oauth-v2',
  categories: ['communication', 'chat'],
  configSchema,
  auth: [
    {
      type: 'oauth2',
      authorizeUrl: 'https://slack.com/oauth/v2/authorize',
      tokenUrl: `${SLACK_API}/oauth.v2.access`,
      revokeUrl: `${SLACK_API}/auth.revoke`,
      scopes: {
        required: SLACK_BOT_SCOPES,
        optional: SLACK_OPTIONAL_BOT_SCOPES,
      },
      scopeSeparator: ',',
      // Slack's OAuth v2 does not implement PKCE for confidential clients.
      pkce: 'off',
      clientAuth: 'basic',
      tokenRequestFormat: 'form',
    },
  ],
  oauth2: {
    buildAuthorizeUrl(input, ctx, next) {
      const url = next(input);
      // User scopes may come from the descriptor (`extraAuthorizeParams.user_scope`) and from config.
      const userScopes = [
        ...new Set([...splitList(url.searchParams.get('user_scope')), ...splitList(ctx.config.userScopes)]),
      ];
      if (userScopes.length > 0) url.searchParams.set('user_scope', userScopes.join(','));
      else url.searchParams.delete('user_scope');
      if (ctx.config.userTokenOnly === true) {
        if (userScopes.length === 0) {
          throw new ConnectorError('Slack: userTokenOnly needs at least one user scope (userScopes)', {
            reason: 'config',
          });
        }
        url.searchParams.delete('scope');
      }
      return url;
    },
    // Not delegated to the generic parser: Slack's bot/user token layout needs its own reading.
    parseTokenResponse(input) {
      return parseSlackTokenResponse(input);
    },
    async refresh(input, _ctx, next): Promise<TokenSet> {
      if (input.credentials.refreshToken === undefined) {
        // Without token rotation Slack tokens never expire and there is nothing to refresh with.
        throw new ConnectorError('Slack token rotation is off for this app: the token cannot be refreshed', {
          reason: 'auth',
        });
      }
      const refreshed = await next(input);
      const user = userTokenOf(input.credentials);
      if (user?.refreshToken === undefined) return refreshed;
      // A bot + user grant with rotation has two refresh tokens: the user one rotates separately.
      const userRefreshed = await next({
        credentials: { type: 'oauth2', accessToken: user.accessToken, refreshToken: user.refreshToken },
      });
      const renewed: SlackUserTokenExtra = {
        accessToken: userRefreshed.credentials.accessToken,
        expiresAt: userRefreshed.credentials.expiresAt ?? null,
        scopes: user.scopes,
      };
      if (userRefreshed.credentials.refreshToken !== undefined)
        renewed.refreshToken = userRefreshed.credentials.refreshToken;
      return {
        ...refreshed,
        credentials: {
          ...refreshed.credentials,
          extra: { ...refreshed.credentials.extra, userToken: renewed },
        },
      };
    },
    async revoke(input, ctx) {
      const revokeUrl = ctx.descriptor.revokeUrl ?? `${SLACK_API}/auth.revoke`;
      // auth.revoke takes the token to revoke as the Bearer token, not client credentials.
      const tokens = [userTokenOf(input.credentials)?.accessToken, input.credentials.accessToken];
      for (const token of tokens) {
        if (token === undefined) continue;
        await callSlack(ctx.http, revokeUrl, 'auth.revoke', {
          headers: { authorization: `Bearer ${token}` },
        });
      }
    },
  },
  async check(ctx) {
    const me = await callSlack<AuthTestBody>(ctx.http, `${SLACK_API}/auth.test`, 'auth.test');
    const accountId = me.user_id ?? me.bot_id;
    if (accountId === undefined) {
      throw new ConnectorError('Slack auth.test answered without a user id', { reason: 'provider' });
    }
    const metadata: Record<string, unknown> = {};
    if (me.team_id !== undefined) metadata['teamId'] = me.team_id;
    if (me.team !== undefined) metadata['teamName'] = me.team;
    if (me.url !== undefined) metadata['teamUrl'] = me.url;
    if (me.user_id !== undefined) metadata['userId'] = me.user_id;
    if (me.bot_id !== undefined) metadata['botId'] = me.bot_id;
    if (me.enterprise_id !== undefined) metadata['enterpriseId'] = me.enterprise_id;
    return {
      identity: { accountId, displayName: me.user ?? null, workspace: me.team ?? null, site: me.url ?? null },
      metadata,
    };
  },
  async fetchSample(ctx, { limit }) {
    // conversations.list accepts 1..1000; asking for nothing needs no call.
    const bounded = Math.min(Math.floor(limit), 1000);
    if (!(bounded > 0)) return { kind: 'channels', items: [] };
    const body = await callSlack<ConversationsListBody>(
      ctx.http,
      `${SLACK_API}/conversations.list`,
      'conversations.list',
      { httpMethod: 'GET', query: { limit: bounded, types: 'public_channel', exclude_archived: true } },
    );
    const channels = (body.channels ?? []).slice(0, bounded).map((channel) => ({
      id: channel.id,
      name: channel.name ?? null,
      isPrivate: channel.is_private ?? false,
      memberCount: channel.num_members ?? null,
    }));
    return { kind: 'channels', items: channels };
  },
  // The Web API: `POST https://slack.com/api/<method>` with the bot token as a Bearer header.
  api: { baseUrl: SLACK_API },
  actions: { list_channels: listChannels, post_message: postMessage },
});
