import type { ConnectorContext, ConnectorDefinition } from '@cfm/connector-sdk';
import { ConnectorError, defineConnector, Type } from '@cfm/connector-sdk';
import { listMonitors } from './actions/list-monitors.js';
import { queryMetrics } from './actions/query-metrics.js';
import { connectionSite, type DatadogConfig } from './datadog-connection-site.js';
import { createDatadogOAuth2Hooks } from './datadog-oauth2-hooks.js';
import { apiOrigin, appOrigin, type DatadogSite, DEFAULT_DATADOG_SITE } from './datadog-sites.js';

const configSchema = Type.Object(
  {
    // Spelled out (not mapped from DATADOG_SITES) so `Static<>` keeps the literal union.
    site: Type.Union(
      [
        Type.Literal('datadoghq.com'),
        Type.Literal('us3.datadoghq.com'),
        Type.Literal('us5.datadoghq.com'),
        Type.Literal('datadoghq.eu'),
        Type.Literal('ap1.datadoghq.com'),
        Type.Literal('ddog-gov.com'),
      ],
      {
        title: 'Datadog site',
        description:
          'Where the Datadog organization lives: the host of its URL without "app." (US1 is datadoghq.com).',
        default: DEFAULT_DATADOG_SITE,
      },
    ),
  },
  { additionalProperties: false },
);

interface MonitorSummary {
  id: number;
  name?: string;
  type?: string;
  overall_state?: string;
}

interface CurrentUser {
  data?: { id?: string; attributes?: { name?: string | null; handle?: string; email?: string } };
}

/** Datadog answers bad credentials with 403 `{"errors":["Forbidden"]}`, so a 403 here means reconnect. */
async function validate(ctx: ConnectorContext<DatadogConfig>, site: DatadogSite): Promise<void> {
  let valid: unknown;
  try {
    const response = await ctx.http.get<{ valid?: unknown }>(`${apiOrigin(site)}/api/v1/validate`);
    valid = response.body.valid;
  } catch (error) {
    if (ConnectorError.is(error) && (error.status === 401 || error.status === 403)) {
      throw new ConnectorError(
        `Datadog refused the credentials (GET /api/v1/validate answered HTTP ${error.status})`,
        {
          reason: 'auth',
          status: error.status,
          ...(error.providerCode !== undefined && { providerCode: error.providerCode }),
          cause: error,
        },
      );
    }
    throw error;
  }
  if (valid !== true) {
    throw new ConnectorError('Datadog GET /api/v1/validate did not answer {"valid":true}', {
      reason: 'auth',
    });
  }
}

/** The user behind the token, when the grant allows reading it (`user_access_read`); optional. */
async function currentUser(
  ctx: ConnectorContext<DatadogConfig>,
  site: DatadogSite,
): Promise<CurrentUser['data']> {
  try {
    const response = await ctx.http.get<CurrentUser>(`${apiOrigin(site)}/api/v2/current_user`, {
      retries: 0,
    });
    return response.body.data;
  } catch (error) {
    // Validation already proved the credentials; a missing scope here only costs us the user's name.
    if (!ConnectorError.is(error)) throw error;
    ctx.logger.info('datadog current_user unavailable; identifying the connection by site', {
      status: error.status,
      reason: error.reason,
    });
    return undefined;
  }
}

export const datadogConnector: ConnectorDefinition<typeof configSchema> = defineConnector({
  key: 'datadog',
  name: 'Datadog',
  description:
    'Connects a Datadog organization on any Datadog site to list its monitors and query its metrics.',
  iconUrl: 'https://imgix.datadoghq.com/img/dd_logo_n_70x75.png',
  docsUrl: 'https://docs.datadoghq.com/developers/authorization/oauth2_in_datadog/',
  categories: ['monitoring', 'observability'],
  configSchema,
  auth: [
    {
      type: 'oauth2',
      // The hook replaces the host for sites whose app does not live on `app.<site>`.
      authorizeUrl: 'https://app.{site}/oauth2/v1/authorize',
      tokenUrl: 'https://api.{site}/oauth2/v1/token',
      revokeUrl: 'https://api.{site}/oauth2/v1/revoke',
      // Scopes are chosen on the OAuth client in Datadog's Developer Platform, not per request.
      scopes: { required: [] },
      pkce: 'S256',
      clientAuth: 'body',
      tokenRequestFormat: 'form',
      callbackParams: ['domain', 'site'],
    },
    {
      type: 'api_key',
      fields: [
        {
          name: 'apiKey',
          label: 'API key',
          description: 'Organization settings → API keys.',
          in: 'header',
          param: 'DD-API-KEY',
        },
        {
          name: 'applicationKey',
          label: 'Application key',
          description: 'Organization settings → Application keys (needs monitors_read).',
          in: 'header',
          param: 'DD-APPLICATION-KEY',
        },
      ],
    },
  ],
  // The proxy's base URL: the configured site. A connection whose OAuth callback named another site has its
  // token there; actions follow the token (connectionSite), the proxy follows the config.
  api: { baseUrl: 'https://api.{site}' },
  actions: {
    list_monitors: listMonitors,
    query_metrics: queryMetrics,
  },
  async check(ctx) {
    const site = connectionSite(ctx);
    await validate(ctx, site);
    const user = await currentUser(ctx, site);
    const attributes = user?.attributes;
    return {
      identity: {
        // Validate names no account: without the user, the site is the only stable non-secret fact.
        accountId: user?.id ?? site,
        displayName: attributes?.name ?? attributes?.handle ?? null,
        email: attributes?.email ?? null,
        site: appOrigin(site),
      },
      metadata: { site, ...(user?.id !== undefined && { userId: user.id }) },
    };
  },
  async fetchSample(ctx, { limit }) {
    if (limit <= 0) return { kind: 'monitors', items: [] };
    const site = connectionSite(ctx);
    const response = await ctx.http.get<MonitorSummary[]>(`${apiOrigin(site)}/api/v1/monitor`, {
      query: { page_size: limit, page: 0 },
    });
    const monitors = Array.isArray(response.body) ? response.body.slice(0, limit) : [];
    return {
      kind: 'monitors',
      items: monitors.map((monitor) => ({
        id: monitor.id,
        name: monitor.name ?? null,
        type: monitor.type ?? null,
        overallState: monitor.overall_state ?? null,
      })),
    };
  },
  oauth2: createDatadogOAuth2Hooks(() => datadogConnector as unknown as ConnectorDefinition),
});
