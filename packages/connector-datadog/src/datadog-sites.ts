import { ConnectorError } from '@cfm/connector-sdk';

/** Every Datadog site, by the name Datadog uses in `DD_SITE` and in the OAuth callback's `domain`. */
export const DATADOG_SITES = [
  'datadoghq.com',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'datadoghq.eu',
  'ap1.datadoghq.com',
  'ddog-gov.com',
] as const;

export type DatadogSite = (typeof DATADOG_SITES)[number];

export const DEFAULT_DATADOG_SITE: DatadogSite = 'datadoghq.com';

/**
 * The web application host of each site, where the consent page lives. It is not `app.<site>`
 * everywhere: the regional sites serve the app on the site name itself (`https://us5.datadoghq.com`),
 * while US1, EU1 and US1-FED use `app.` (see Datadog's "Getting started with Datadog sites").
 */
export const DATADOG_APP_HOSTS: Readonly<Record<DatadogSite, string>> = {
  'datadoghq.com': 'app.datadoghq.com',
  'us3.datadoghq.com': 'us3.datadoghq.com',
  'us5.datadoghq.com': 'us5.datadoghq.com',
  'datadoghq.eu': 'app.datadoghq.eu',
  'ap1.datadoghq.com': 'ap1.datadoghq.com',
  'ddog-gov.com': 'app.ddog-gov.com',
};

export function isDatadogSite(value: unknown): value is DatadogSite {
  return typeof value === 'string' && (DATADOG_SITES as readonly string[]).includes(value);
}

/** `https://api.<site>`: the API and OAuth token host is uniform across sites. */
export function apiOrigin(site: DatadogSite): string {
  return `https://api.${site}`;
}

export function appOrigin(site: DatadogSite): string {
  return `https://${DATADOG_APP_HOSTS[site]}`;
}

/**
 * Reads a site named by the OAuth callback (`domain`, older docs `site`). Accepts the bare site
 * (`datadoghq.eu`), its app or api host, with or without scheme. Returns undefined for anything
 * else: the value comes from the browser, and it picks where the code and client secret are sent.
 */
export function siteFromCallbackValue(value: string): DatadogSite | undefined {
  let host = value.trim().toLowerCase();
  if (/^https?:\/\//.test(host)) {
    try {
      host = new URL(host).hostname;
    } catch {
      return undefined;
    }
  }
  host = host.replace(/\/+$/, '');
  if (isDatadogSite(host)) return host;
  for (const site of DATADOG_SITES) {
    if (host === DATADOG_APP_HOSTS[site] || host === `api.${site}` || host === `app.${site}`) return site;
  }
  return undefined;
}

/** The site the callback names, or undefined when it names none; an unknown site is a `config` error. */
export function siteFromCallbackParams(params: Record<string, string>): DatadogSite | undefined {
  const named = params['domain'] ?? params['site'];
  if (named === undefined || named.trim() === '') return undefined;
  const site = siteFromCallbackValue(named);
  if (site === undefined) {
    throw new ConnectorError(
      `The Datadog callback names a site that is not one of ${DATADOG_SITES.join(', ')}; refusing to send the code there`,
      { reason: 'config' },
    );
  }
  return site;
}

/** The configured site, defaulting to US1 when the config leaves it out. */
export function configuredSite(config: { site?: unknown }): DatadogSite {
  const site = config.site ?? DEFAULT_DATADOG_SITE;
  if (!isDatadogSite(site)) {
    throw new ConnectorError(`Datadog site must be one of ${DATADOG_SITES.join(', ')}`, { reason: 'config' });
  }
  return site;
}
