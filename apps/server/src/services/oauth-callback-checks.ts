import { ConnectorError, fillTemplate, type OAuth2AuthDescriptor } from '@cfm/connector-sdk';
import type { JsonObject } from '@cfm/db';
import type { ResolvedConnector } from './connector-resolver.js';
import { describeError } from './engine-context.js';
import { ServiceError, safeProviderError } from './service-error.js';

export function oauth2Descriptor(connector: ResolvedConnector): OAuth2AuthDescriptor {
  const descriptor = connector.definition.auth.find((auth) => auth.type === 'oauth2');
  if (!descriptor) {
    throw new ServiceError('CFM_OAUTH_NOT_SUPPORTED', `Connector "${connector.key}" does not use OAuth 2`);
  }
  return descriptor;
}

/**
 * RFC 9207 mix-up defence: when the connector declares its issuer, a callback whose `iss` names another
 * one is refused before any code exchange. A callback without `iss` passes (most providers send none;
 * the state already binds the response to the connector).
 */
export function checkIssuer(
  descriptor: OAuth2AuthDescriptor,
  config: JsonObject,
  iss: string | undefined,
): void {
  if (descriptor.issuer === undefined || iss === undefined) return;
  let expected: string | undefined;
  try {
    expected = fillTemplate(descriptor.issuer, config);
  } catch (error) {
    // A placeholder the settings cannot fill: there is no issuer to match, so the response is refused.
    if (!ConnectorError.is(error)) throw error;
  }
  if (iss !== expected) {
    throw new ServiceError(
      'CFM_OAUTH_ISSUER_MISMATCH',
      "The authorization response names another issuer than the connector's: start again",
    );
  }
}

export function exchangeFailure(error: unknown): ServiceError {
  if (ConnectorError.is(error)) {
    const providerCode = safeProviderError(error.providerCode);
    const detail = providerCode ?? (error.status !== undefined ? `HTTP ${error.status}` : error.reason);
    return new ServiceError(
      'CFM_OAUTH_EXCHANGE_FAILED',
      `The provider refused the code exchange (${detail})`,
      {
        ...(providerCode !== undefined && { providerCode }),
        retryable: error.retryable,
      },
    );
  }
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  return new ServiceError(
    'CFM_OAUTH_EXCHANGE_FAILED',
    timedOut
      ? 'The provider did not answer the code exchange in time'
      : `The code exchange failed (${describeError(error)})`,
    { retryable: true },
  );
}
