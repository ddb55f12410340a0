import { describe, expect, it } from 'vitest';
import { ERROR_CODES, toErrorBody } from '../errors.js';
import { SERVICE_ERROR_CODES, ServiceError } from '../services/service-error.js';
import { fromServiceError, toAppError } from './error-handler.js';

describe('ServiceError → API error', () => {
  it('every service code is an API code with the same status', () => {
    for (const [code, status] of Object.entries(SERVICE_ERROR_CODES)) {
      expect(ERROR_CODES[code as keyof typeof ERROR_CODES]?.statusCode, code).toBe(status);
    }
  });

  it('keeps code, status and message, and adds provider_error', () => {
    const error = new ServiceError(
      'CFM_OAUTH_EXCHANGE_FAILED',
      'The provider refused the code exchange (invalid_grant)',
      {
        providerCode: 'invalid_grant',
      },
    );
    const appError = toAppError(error);
    expect(toErrorBody(appError)).toEqual({
      statusCode: 502,
      code: 'CFM_OAUTH_EXCHANGE_FAILED',
      error: 'Bad Gateway',
      message: 'The provider refused the code exchange (invalid_grant)',
      provider_error: 'invalid_grant',
    });
    expect(appError.headers).toEqual({});
  });

  it('names the missing variables', () => {
    const error = new ServiceError('CFM_CONNECTOR_NOT_CONFIGURED', 'Connector "jira" is not configured', {
      missingVariables: ['JIRA_CLIENT_ID'],
    });
    expect(toErrorBody(fromServiceError(error))).toMatchObject({
      statusCode: 409,
      missing_variables: ['JIRA_CLIENT_ID'],
    });
  });

  it('a retryable 503 carries Retry-After in whole seconds (a default when the provider gave none)', () => {
    const later = new ServiceError('CFM_TOKEN_REFRESH_FAILED', 'The token refresh failed', {
      retryable: true,
      retryAfterMs: 4_200,
    });
    expect(fromServiceError(later).headers).toEqual({ 'retry-after': '5' });
    const unknown = new ServiceError('CFM_TOKEN_REFRESH_FAILED', 'The token refresh failed', {
      retryable: true,
    });
    expect(fromServiceError(unknown).headers).toEqual({ 'retry-after': '30' });
    const final = new ServiceError('CFM_TOKEN_REFRESH_FAILED', 'The token refresh failed', {
      retryable: false,
    });
    expect(fromServiceError(final).headers).toEqual({});
  });
});
