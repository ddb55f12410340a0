// TypeBox, re-exported so a connector package depends on the SDK alone (one TypeBox for everyone).
export type { Static, TObject, TSchema } from 'typebox';
export { Type } from 'typebox';
export type { ApiClientOptions } from './api/api-client.js';
export {
  apiDefaultHeaders,
  applyApiCredentials,
  createApiClient,
  joinApiUrl,
  missingApiPlaceholders,
  resolveApiBaseUrl,
} from './api/api-client.js';
export type { ConnectorContextOptions } from './connector-context.js';
export { createActionContext, createConnectorContext } from './connector-context.js';
export { ACTION_NAME_PATTERN, defineAction, isActionDefinition } from './define-action.js';
export { defineConnector } from './define-connector.js';
export type { ConnectorErrorOptions, ConnectorErrorReason, ErrorFromResponseOptions } from './errors.js';
export { ConnectorError, connectorErrorFromResponse, extractProviderCode } from './errors.js';
export type { HttpClientOptions } from './http/http-client.js';
export { createHttpClient } from './http/http-client.js';
export { createOriginRewriter, parseOriginOverrides } from './http/origin-rewriter.js';
export { parseRetryAfter } from './http/retry-after.js';
export { noopLogger } from './logger.js';
export type { ManifestCheck } from './manifest.js';
export { checkManifest, resolveConnectorExport, SDK_VERSION } from './manifest.js';
export { fillTemplate } from './oauth2/fill-template.js';
export type { OAuth2Client, OAuth2ClientOptions } from './oauth2/oauth2-client.js';
export { createOAuth2Client } from './oauth2/oauth2-client.js';
export { createPkcePair } from './oauth2/pkce.js';
export { parseTokenResponse } from './oauth2/token-response.js';
export * from './types.js';
export { isConnectorDefinition, validateConnectorDefinition } from './validate-connector-definition.js';
