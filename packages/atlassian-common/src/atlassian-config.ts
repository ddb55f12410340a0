import type { ConnectorContext } from '@cfm/connector-sdk';
import { Type } from '@cfm/connector-sdk';

/** The connection config every Atlassian product connector takes. */
export interface AtlassianConfig {
  site?: string;
}

export type AtlassianContext = ConnectorContext<AtlassianConfig>;

/**
 * The config schema with the optional `site` field, worded for one product.
 *
 * @example
 * ```ts
 * defineConnector({ …, configSchema: atlassianConfigSchema('Jira') });
 * ```
 */
export function atlassianConfigSchema(productName: string) {
  return Type.Object({
    site: Type.Optional(
      Type.String({
        title: 'Site',
        description: `The ${productName} site to use when the grant covers several, e.g. https://acme.atlassian.net or acme. Default: the first one.`,
        maxLength: 255,
      }),
    ),
  });
}
