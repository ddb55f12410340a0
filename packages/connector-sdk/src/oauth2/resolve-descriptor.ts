import { ConnectorError } from '../errors.js';
import type { ConnectorDefinition, OAuth2AuthDescriptor } from '../types.js';
import { fillTemplate } from './fill-template.js';

/** Finds the connector's OAuth 2 descriptor and fills and rewrites its URLs. */
export function resolveDescriptor(
  definition: ConnectorDefinition,
  config: Record<string, unknown>,
  rewrite: (url: string) => string,
  authIndex?: number,
): OAuth2AuthDescriptor {
  const chosen =
    authIndex === undefined
      ? definition.auth.find((auth) => auth.type === 'oauth2')
      : definition.auth[authIndex];
  if (chosen?.type !== 'oauth2') {
    const problem =
      authIndex === undefined ? 'has no oauth2 auth descriptor' : `auth[${authIndex}] is not oauth2`;
    throw new ConnectorError(`Connector "${definition.key}" ${problem}`, { reason: 'config' });
  }
  const resolve = (url: string) => rewrite(fillTemplate(url, config));
  return {
    ...chosen,
    authorizeUrl: resolve(chosen.authorizeUrl),
    tokenUrl: resolve(chosen.tokenUrl),
    ...(chosen.refreshUrl !== undefined && { refreshUrl: resolve(chosen.refreshUrl) }),
    ...(chosen.revokeUrl !== undefined && { revokeUrl: resolve(chosen.revokeUrl) }),
  };
}
