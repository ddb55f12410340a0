import type { ConnectorContext } from '@cfm/connector-sdk';
import { siteOfCredentials } from './datadog-oauth2-hooks.js';
import { configuredSite, type DatadogSite, isDatadogSite } from './datadog-sites.js';

export type DatadogConfig = { site?: string };

/**
 * The site a connection's calls go to: where its OAuth token was issued (the callback may name another site
 * than the config), else the site `check` stored, else the configured one.
 */
export function connectionSite(ctx: ConnectorContext<DatadogConfig>): DatadogSite {
  if (ctx.credentials.type === 'oauth2') {
    const issuedOn = siteOfCredentials(ctx.credentials);
    if (issuedOn !== undefined) return issuedOn;
  }
  const persisted = ctx.metadata['site'];
  return isDatadogSite(persisted) ? persisted : configuredSite(ctx.config);
}
