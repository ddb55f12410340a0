import type {
  AuthorizeInput,
  ConnectorDefinition,
  ExchangeInput,
  OAuth2Context,
  OAuth2Credentials,
  OAuth2Hooks,
  RefreshInput,
  RevokeInput,
  TokenSet,
} from '@cfm/connector-sdk';
import { ConnectorError, connectorErrorFromResponse, createOAuth2Client } from '@cfm/connector-sdk';
import {
  appOrigin,
  configuredSite,
  type DatadogSite,
  isDatadogSite,
  siteFromCallbackParams,
} from './datadog-sites.js';

type DatadogConfig = { site?: string };
type Context = OAuth2Context<DatadogConfig>;

/** The site a token was issued on, kept in the (encrypted) credentials because refresh only sees those. */
export function siteOfCredentials(credentials: OAuth2Credentials): DatadogSite | undefined {
  const site = credentials.extra?.['site'];
  return isDatadogSite(site) ? site : undefined;
}

function withSite(tokens: TokenSet, site: DatadogSite): TokenSet {
  return {
    credentials: { ...tokens.credentials, extra: { ...tokens.credentials.extra, site } },
    metadata: { ...tokens.metadata, site },
  };
}

/**
 * The generic client again, but for another site: Datadog tells us in the callback where the user
 * really signed in, and the code is only valid at that site's token host. The nested client's hooks
 * see a config naming that site, so they take the plain path. `ctx.http` already applies the origin
 * overrides, so the real URLs built here still reach a local fake in tests.
 */
function clientForSite(definition: () => ConnectorDefinition, ctx: Context, site: DatadogSite) {
  return createOAuth2Client(definition(), {
    client: ctx.client,
    config: { ...ctx.config, site },
    http: ctx.http,
    logger: ctx.logger,
    signal: ctx.signal,
  });
}

/** Hooks for Datadog's per-site hosts. `definition` is late-bound: the hooks live inside it. */
export function createDatadogOAuth2Hooks(definition: () => ConnectorDefinition): OAuth2Hooks<DatadogConfig> {
  return {
    buildAuthorizeUrl(input: AuthorizeInput, ctx: Context, next: (input: AuthorizeInput) => URL): URL {
      const generic = next(input);
      // `app.<site>` is right for US1, EU1 and US1-FED only; the SDK applies origin overrides afterwards.
      const url = new URL(`${appOrigin(configuredSite(ctx.config))}${generic.pathname}`);
      url.search = generic.search;
      return url;
    },

    async exchangeCode(input: ExchangeInput, ctx: Context, next): Promise<TokenSet> {
      const configured = configuredSite(ctx.config);
      const named = siteFromCallbackParams(input.callbackParams);
      if (named !== undefined && named !== configured) {
        ctx.logger.info('datadog callback names another site than the config; exchanging there', {
          configuredSite: configured,
          callbackSite: named,
        });
        // The nested client's own hook stores the site in the credentials and metadata.
        return clientForSite(definition, ctx, named).exchangeCode(input);
      }
      return withSite(await next(input), configured);
    },

    async refresh(input: RefreshInput, ctx: Context, next): Promise<TokenSet> {
      const configured = configuredSite(ctx.config);
      const site = siteOfCredentials(input.credentials) ?? configured;
      if (site !== configured) return clientForSite(definition, ctx, site).refresh(input);
      // Datadog rotates refresh tokens: the generic parser keeps the new one.
      return withSite(await next(input), site);
    },

    async revoke(input: RevokeInput, ctx: Context): Promise<void> {
      const configured = configuredSite(ctx.config);
      const site = siteOfCredentials(input.credentials) ?? configured;
      if (site !== configured) return clientForSite(definition, ctx, site).revoke(input);
      const revokeUrl = ctx.descriptor.revokeUrl;
      if (revokeUrl === undefined)
        throw new ConnectorError('Datadog revoke URL is missing', { reason: 'config' });
      // Datadog documents exactly these three fields (no `token_type_hint`); revoking the refresh
      // token ends the whole grant.
      const response = await ctx.http.post(revokeUrl, {
        form: {
          client_id: ctx.client.clientId,
          client_secret: ctx.client.clientSecret,
          token: input.credentials.refreshToken ?? input.credentials.accessToken,
        },
        headers: { accept: 'application/json' },
        auth: false,
        throwOnError: false,
        retries: 0,
      });
      if (response.status < 200 || response.status >= 300) {
        throw connectorErrorFromResponse(response.status, response.headers, response.body, {
          operation: 'Datadog token revocation',
        });
      }
    },
  };
}
