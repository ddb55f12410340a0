import type { ConnectorContext, OAuth2Credentials, TokenResponseInput, TokenSet } from '@cfm/connector-sdk';
import { ConnectorError, defineConnector, Type } from '@cfm/connector-sdk';
import { getFile, listComments } from './figma-actions.js';

/** The only API origin the connector calls (the authorize page lives on www.figma.com). */
export const FIGMA_API_ORIGIN = 'https://api.figma.com';

/**
 * `current_user:read` for the who-am-I check; `file_metadata:read` and `file_content:read` so the
 * product can list and read the files and projects the user can see.
 */
export const FIGMA_SCOPES = ['current_user:read', 'file_content:read', 'file_metadata:read'];

/** Scopes a deployment may add: `file_comments:read` is what the `list_comments` action needs. */
export const FIGMA_OPTIONAL_SCOPES = ['file_comments:read'];

const configSchema = Type.Object(
  {
    teamId: Type.Optional(
      Type.String({
        title: 'Team id',
        description:
          'Optional. The number in a team URL (figma.com/files/team/<id>/…); when set, the sample lists its projects.',
        pattern: '^[0-9A-Za-z]+$',
        maxLength: 64,
      }),
    ),
  },
  { additionalProperties: false },
);

type FigmaConfig = { teamId?: string };

interface FigmaUser {
  id: string;
  handle?: string;
  img_url?: string;
  email?: string;
}

interface FigmaProjects {
  name?: string;
  projects?: Array<{ id: string | number; name?: string }>;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** `user_id_string` is the current field; the numeric `user_id` is deprecated (it loses precision). */
function figmaUserId(body: unknown): string | undefined {
  const record = asRecord(body);
  const text = record['user_id_string'];
  if (typeof text === 'string' && text.length > 0) return text;
  const numeric = record['user_id'];
  if (typeof numeric === 'number' || (typeof numeric === 'string' && numeric.length > 0))
    return String(numeric);
  return undefined;
}

function parseFigmaTokenResponse(
  input: TokenResponseInput,
  next: (input: TokenResponseInput) => TokenSet,
): TokenSet {
  const parsed = next(input);
  const credentials: OAuth2Credentials = { ...parsed.credentials };
  // Figma's refresh answer carries no refresh token and the old one stays valid: keep it.
  if (credentials.refreshToken === undefined && input.previous?.refreshToken !== undefined) {
    credentials.refreshToken = input.previous.refreshToken;
  }
  const userId = figmaUserId(input.body);
  const metadata = { ...parsed.metadata, ...(userId !== undefined && { userId }) };
  return Object.keys(metadata).length > 0 ? { credentials, metadata } : { credentials };
}

/** Figma answers a bad, expired or revoked token with 401 or 403 `{status, err}`: both mean reconnect. */
async function figmaGet<T>(ctx: ConnectorContext<FigmaConfig>, path: string, what: string) {
  try {
    return await ctx.http.get<T>(`${FIGMA_API_ORIGIN}${path}`);
  } catch (error) {
    if (ConnectorError.is(error) && (error.status === 401 || error.status === 403)) {
      throw new ConnectorError(`Figma refused the access token (${what} answered HTTP ${error.status})`, {
        reason: 'auth',
        status: error.status,
        ...(error.providerCode !== undefined && { providerCode: error.providerCode }),
        cause: error,
      });
    }
    throw error;
  }
}

export const figmaConnector = defineConnector({
  key: 'figma',
  name: 'Figma',
  description: 'Connects a Figma account to read its profile, team projects, files and their metadata.',
  iconUrl: 'https://static.figma.com/app/icon/1/favicon.svg',
  docsUrl: 'https://www.figma.com/developers/api#oauth2',
  categories: ['design'],
  configSchema,
  auth: [
    {
      type: 'oauth2',
      authorizeUrl: 'https://www.figma.com/oauth',
      tokenUrl: `${FIGMA_API_ORIGIN}/v1/oauth/token`,
      // The current refresh endpoint is the token endpoint; `/v1/oauth/refresh` is the legacy one.
      refreshUrl: `${FIGMA_API_ORIGIN}/v1/oauth/token`,
      // No revocation endpoint exists: disconnecting only deletes the tokens locally.
      scopes: { required: FIGMA_SCOPES, optional: FIGMA_OPTIONAL_SCOPES },
      scopeSeparator: ' ',
      pkce: 'S256',
      clientAuth: 'basic',
      tokenRequestFormat: 'form',
    },
  ],
  async check(ctx) {
    const response = await figmaGet<FigmaUser>(ctx, '/v1/me', 'GET /v1/me');
    const me = response.body;
    if (typeof me?.id !== 'string' && typeof me?.id !== 'number') {
      throw new ConnectorError('Figma GET /v1/me answered without a user id', { reason: 'provider' });
    }
    const accountId = String(me.id);
    return {
      identity: { accountId, displayName: me.handle ?? null, email: me.email ?? null },
      metadata: { userId: accountId, handle: me.handle ?? null, avatarUrl: me.img_url ?? null },
    };
  },
  async fetchSample(ctx, { limit }) {
    const teamId = ctx.config.teamId;
    if (teamId === undefined || teamId === '') {
      // Without a team there is nothing listable that every token can read: the profile is the sample.
      const response = await figmaGet<FigmaUser>(ctx, '/v1/me', 'GET /v1/me');
      const me = response.body;
      const item = { id: String(me.id), handle: me.handle ?? null, email: me.email ?? null };
      return { kind: 'profile', items: limit > 0 ? [item] : [] };
    }
    const path = `/v1/teams/${encodeURIComponent(teamId)}/projects`;
    const response = await figmaGet<FigmaProjects>(ctx, path, 'GET /v1/teams/{team_id}/projects');
    // The endpoint has no page size: trim to the limit here.
    const projects = (response.body.projects ?? []).slice(0, Math.max(0, limit));
    return {
      kind: 'projects',
      items: projects.map((project) => ({ id: String(project.id), name: project.name ?? null })),
    };
  },
  oauth2: {
    parseTokenResponse: (input, _ctx, next) => parseFigmaTokenResponse(input, next),
  },
  api: { baseUrl: FIGMA_API_ORIGIN },
  actions: { get_file: getFile, list_comments: listComments },
});
