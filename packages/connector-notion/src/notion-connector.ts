import { defineConnector, Type } from '@cfm/connector-sdk';
import { getPage, search } from './notion-actions.js';
import {
  assertNotNotionError,
  basicAuthorization,
  NOTION_API,
  NOTION_ORIGIN,
  NOTION_VERSION,
} from './notion-api.js';
import { type NotionSearchBody, titleOf } from './notion-objects.js';
import { parseNotionTokenResponse } from './notion-token-response.js';

const VERSION_HEADER = { 'notion-version': NOTION_VERSION };

interface NotionBotUser {
  object: 'user';
  id: string;
  name?: string | null;
  avatar_url?: string | null;
  type?: 'bot' | 'person';
  bot?: {
    owner?: {
      type?: 'user' | 'workspace';
      workspace?: boolean;
      user?: { id?: string; person?: { email?: string } };
    };
    workspace_name?: string | null;
    workspace_id?: string | null;
  };
}

/** Notion public integration: the pages and databases a user shared with it. */
export const notionConnector = defineConnector({
  key: 'notion',
  name: 'Notion',
  description:
    'Connects a Notion workspace (public integration OAuth): the pages and databases shared with it.',
  iconUrl: 'https://www.notion.so/images/logo-ios.png',
  docsUrl: 'https://developers.notion.com/docs/authorization',
  categories: ['documentation', 'knowledge-base'],
  configSchema: Type.Object({}),
  auth: [
    {
      type: 'oauth2',
      authorizeUrl: `${NOTION_API}/oauth/authorize`,
      tokenUrl: `${NOTION_API}/oauth/token`,
      revokeUrl: `${NOTION_API}/oauth/revoke`,
      // Capabilities are set on the integration in Notion's dashboard, not requested as scopes.
      scopes: { required: [] },
      pkce: 'off',
      clientAuth: 'basic',
      tokenRequestFormat: 'json',
      extraAuthorizeParams: { owner: 'user' },
      tokenHeaders: VERSION_HEADER,
    },
  ],
  oauth2: {
    buildAuthorizeUrl(input, _ctx, next) {
      const url = next(input);
      // Notion documents no `scope` parameter; an empty one is noise at best.
      url.searchParams.delete('scope');
      url.searchParams.set('response_type', 'code');
      return url;
    },
    parseTokenResponse(input, _ctx, next) {
      return parseNotionTokenResponse(input, next);
    },
    async revoke(input, ctx) {
      // Notion revokes with client Basic auth and a JSON `{ token }`, not RFC 7009's form body.
      const revokeUrl = ctx.descriptor.revokeUrl ?? `${NOTION_API}/oauth/revoke`;
      await ctx.http.post(revokeUrl, {
        headers: {
          ...VERSION_HEADER,
          authorization: basicAuthorization(ctx.client.clientId, ctx.client.clientSecret),
        },
        json: { token: input.credentials.accessToken },
      });
    },
  },
  async check(ctx) {
    const response = await ctx.http.get<NotionBotUser>(`${NOTION_API}/users/me`, { headers: VERSION_HEADER });
    const me = assertNotNotionError('users/me', response);
    const owner = me.bot?.owner;
    const metadata: Record<string, unknown> = { botId: me.id };
    if (me.bot?.workspace_id) metadata['workspaceId'] = me.bot.workspace_id;
    if (me.bot?.workspace_name) metadata['workspaceName'] = me.bot.workspace_name;
    if (owner?.type) metadata['ownerType'] = owner.type;
    return {
      identity: {
        accountId: me.id,
        displayName: me.name ?? null,
        email: owner?.user?.person?.email ?? null,
        workspace: me.bot?.workspace_name ?? null,
      },
      metadata,
    };
  },
  async fetchSample(ctx, { limit }) {
    // `page_size` accepts 1..100.
    const pageSize = Math.min(Math.floor(limit), 100);
    if (!(pageSize > 0)) return { kind: 'pages', items: [] };
    const response = await ctx.http.post<NotionSearchBody>(`${NOTION_API}/search`, {
      headers: VERSION_HEADER,
      json: { page_size: pageSize },
    });
    const body = assertNotNotionError('search', response);
    const items = (body.results ?? []).slice(0, pageSize).map((result) => ({
      id: result.id,
      object: result.object,
      title: titleOf(result),
      lastEditedTime: result.last_edited_time ?? null,
      url: result.url ?? null,
    }));
    return { kind: 'pages', items };
  },
  // Every API call is pinned to one version: Notion changes shapes between versions.
  api: { baseUrl: NOTION_ORIGIN, headers: { 'Notion-Version': NOTION_VERSION } },
  actions: { search, get_page: getPage },
});
