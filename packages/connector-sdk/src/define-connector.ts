import type { TObject } from 'typebox';
import type { ConnectorDefinition, ConnectorSpec } from './types.js';
import { CONTRACT_VERSION } from './types.js';
import { CONNECTOR_DEFINITION_BRAND, connectorSpecProblems } from './validate-connector-definition.js';

/**
 * Validates a connector spec and returns it frozen, branded and stamped with the contract version.
 * Throws a `TypeError` listing every problem at once.
 *
 * @example
 * ```ts
 * import { Type } from 'typebox';
 * import { defineConnector } from '@cfm/connector-sdk';
 *
 * export default defineConnector({
 *   key: 'acme',
 *   name: 'Acme',
 *   description: 'Reads Acme projects.',
 *   configSchema: Type.Object({}),
 *   auth: [{
 *     type: 'oauth2',
 *     authorizeUrl: 'https://acme.example/oauth/authorize',
 *     tokenUrl: 'https://acme.example/oauth/token',
 *     scopes: { required: ['read'] },
 *   }],
 *   async check(ctx) {
 *     const me = await ctx.http.get<{ id: string; name: string }>('https://api.acme.example/me');
 *     return { identity: { accountId: me.body.id, displayName: me.body.name } };
 *   },
 * });
 * ```
 */
export function defineConnector<TConfigSchema extends TObject>(
  spec: ConnectorSpec<TConfigSchema>,
): ConnectorDefinition<TConfigSchema> {
  const problems = connectorSpecProblems(spec);
  if (problems.length > 0) {
    const key = typeof spec?.key === 'string' ? ` "${spec.key}"` : '';
    throw new TypeError(`Invalid connector definition${key}:\n- ${problems.join('\n- ')}`);
  }
  const definition = { ...spec, contractVersion: CONTRACT_VERSION };
  Object.defineProperty(definition, CONNECTOR_DEFINITION_BRAND, { value: true, enumerable: false });
  deepFreeze(definition);
  return definition as unknown as ConnectorDefinition<TConfigSchema>;
}

// Freezes plain data (descriptors, scopes); TypeBox schemas are data too, so they freeze the same way.
function deepFreeze(value: object): void {
  Object.freeze(value);
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null && !Object.isFrozen(child)) deepFreeze(child);
  }
}
