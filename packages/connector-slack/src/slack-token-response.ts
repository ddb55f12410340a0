import type { OAuth2Credentials, TokenResponseInput, TokenSet } from '@cfm/connector-sdk';
import { ConnectorError } from '@cfm/connector-sdk';
import { slackError } from './slack-api.js';

/** Where the user token of a bot + user grant is kept, inside `credentials.extra` (it is a secret). */
export interface SlackUserTokenExtra {
  accessToken: string;
  refreshToken?: string;
  expiresAt: string | null;
  scopes: string[];
}

type JsonRecord = Record<string, unknown>;

function record(value: unknown): JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function splitScopes(value: unknown): string[] {
  return typeof value === 'string' ? value.split(/[,\s]+/).filter((scope) => scope.length > 0) : [];
}

function expiresAt(expiresIn: unknown, now: number): string | null {
  // Without token rotation Slack sends no `expires_in`: those tokens never expire.
  return typeof expiresIn === 'number' && expiresIn > 0
    ? new Date(now + expiresIn * 1000).toISOString()
    : null;
}

/** The non-secret facts of an `oauth.v2.access` answer, without keys Slack left out. */
function metadataOf(body: JsonRecord, tokenType: 'bot' | 'user'): JsonRecord {
  const team = record(body['team']);
  const enterprise = record(body['enterprise']);
  const authedUser = record(body['authed_user']);
  const facts: JsonRecord = {
    tokenType,
    appId: text(body['app_id']),
    teamId: text(team['id']),
    teamName: text(team['name']),
    enterpriseId: text(enterprise['id']),
    enterpriseName: text(enterprise['name']),
    isEnterpriseInstall:
      typeof body['is_enterprise_install'] === 'boolean' ? body['is_enterprise_install'] : undefined,
    botUserId: text(body['bot_user_id']),
    authedUserId: text(authedUser['id']),
  };
  return Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined));
}

/**
 * Reads Slack's `oauth.v2.access` answer, for code exchanges and refreshes alike.
 * - HTTP 200 is not success: `{ ok: false, error }` becomes a {@link ConnectorError} (`auth` for
 *   `invalid_code`, `bad_client_secret`, `invalid_refresh_token`…), `providerCode` = Slack's error.
 * - With bot scopes the bot token (`xoxb-`) is the connection's token and a user token, when the grant
 *   also asked for user scopes, is kept in `credentials.extra.userToken`.
 * - With no bot scopes Slack only returns `authed_user.access_token` (`xoxp-`): that becomes the token.
 * - Refresh tokens and `expires_in` only exist when the app has token rotation on.
 */
export function parseSlackTokenResponse(input: TokenResponseInput): TokenSet {
  // The SDK maps non-2xx answers (429, 5xx) before parsing; Slack's failures arrive as 200 `ok: false`.
  const body = record(input.body);
  if (input.status < 200 || input.status >= 300 || body['ok'] !== true) {
    throw slackError('oauth.v2.access', input.status, input.body);
  }

  const now = Date.now();
  const authedUser = record(body['authed_user']);
  const botToken = text(body['access_token']);
  const userToken = text(authedUser['access_token']);
  // A refreshed user token comes back at the top level with `token_type: "user"`.
  const topLevelIsUser = body['token_type'] === 'user';
  const tokenType: 'bot' | 'user' = botToken !== undefined && !topLevelIsUser ? 'bot' : 'user';
  const primary = botToken ?? userToken;
  if (primary === undefined) {
    throw new ConnectorError('Slack oauth.v2.access answered ok without an access token', {
      reason: 'provider',
    });
  }
  const fromTop = botToken !== undefined;
  const source = fromTop ? body : authedUser;
  const credentials: OAuth2Credentials = {
    type: 'oauth2',
    accessToken: primary,
    tokenType,
    expiresAt: expiresAt(source['expires_in'], now),
    scopes: splitScopes(source['scope']),
  };
  const refreshToken = text(source['refresh_token']) ?? input.previous?.refreshToken;
  if (refreshToken !== undefined) credentials.refreshToken = refreshToken;

  const extra: JsonRecord = { ...input.previous?.extra };
  if (fromTop && userToken !== undefined) {
    const user: SlackUserTokenExtra = {
      accessToken: userToken,
      expiresAt: expiresAt(authedUser['expires_in'], now),
      scopes: splitScopes(authedUser['scope']),
    };
    const userRefresh = text(authedUser['refresh_token']);
    if (userRefresh !== undefined) user.refreshToken = userRefresh;
    extra['userToken'] = user;
  }
  if (Object.keys(extra).length > 0) credentials.extra = extra;
  return { credentials, metadata: metadataOf(body, tokenType) };
}
