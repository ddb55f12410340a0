import type { ApiDescriptor } from '@cfm/connector-sdk';
import type { AtlassianConfig } from './atlassian-config.js';
import { ATLASSIAN_API_ORIGIN, CLOUD_ID_KEY } from './atlassian-site.js';

/**
 * The `api` descriptor of an Atlassian product: `https://api.atlassian.com/ex/<product>/{cloudId}`, the
 * cloud id being the one `check` stored with {@link siteMetadata}. Credentials go as a Bearer token (the
 * SDK's default for OAuth 2), so the proxy path `rest/api/3/myself` reaches Jira's `myself`.
 *
 * @example
 * ```ts
 * defineConnector({ …, api: atlassianApi('jira') });
 * ```
 */
export function atlassianApi(product: string): ApiDescriptor<AtlassianConfig> {
  return { baseUrl: `${ATLASSIAN_API_ORIGIN}/ex/${product}/{${CLOUD_ID_KEY}}` };
}
