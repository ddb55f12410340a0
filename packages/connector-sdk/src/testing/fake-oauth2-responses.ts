import type { FakeErrorShape, FakeResponse, FakeUnauthorizedReason } from './fake-oauth2-types.js';

/** The RFC 6749 error codes the fake produces, with Slack's name for the same failure. */
export interface OAuthFailure {
  error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type';
  slackError: string;
  description: string;
}

export function failure(error: OAuthFailure['error'], slackError: string, description: string): OAuthFailure {
  return { error, slackError, description };
}

/** Thrown inside handlers to stop and answer; caught by the dispatcher. */
export class FakeResponseSignal extends Error {
  readonly response: FakeResponse;
  constructor(response: FakeResponse) {
    super(`fake provider answers ${response.status}`);
    this.name = 'FakeResponseSignal';
    this.response = response;
  }
}

/** A token-endpoint failure in the provider's shape. */
export function oauthFailureResponse(shape: FakeErrorShape, failed: OAuthFailure): FakeResponse {
  if (shape === 'slack') {
    // Slack answers every OAuth failure with HTTP 200.
    return { status: 200, body: { ok: false, error: failed.slackError } };
  }
  const body = { error: failed.error, error_description: failed.description };
  if (failed.error === 'invalid_client') {
    return { status: 401, headers: { 'www-authenticate': 'Basic realm="fake-oauth2"' }, body };
  }
  if (failed.error === 'invalid_grant' && shape === 'atlassian') {
    return { status: 403, body };
  }
  return { status: 400, body };
}

/** The answer to an API call with a missing or bad bearer token, in the provider's shape. */
export function unauthorizedResponse(shape: FakeErrorShape, reason: FakeUnauthorizedReason): FakeResponse {
  if (shape === 'slack') {
    const error =
      reason === 'missing' ? 'not_authed' : reason === 'invalid' ? 'invalid_auth' : `token_${reason}`;
    return { status: 200, body: { ok: false, error } };
  }
  if (shape === 'atlassian') {
    return { status: 401, body: { code: 401, message: 'Unauthorized' } };
  }
  const description = reason === 'missing' ? 'Bearer token required' : `The access token is ${reason}`;
  return {
    status: 401,
    headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${description}"` },
    body: { error: 'invalid_token', error_description: description },
  };
}

export function rateLimitedResponse(shape: FakeErrorShape, headers: Record<string, string>): FakeResponse {
  const body =
    shape === 'slack'
      ? { ok: false, error: 'ratelimited' }
      : shape === 'atlassian'
        ? { code: 429, message: 'Rate limit exceeded' }
        : { error: 'rate_limited', error_description: 'Too many requests' };
  return { status: 429, headers, body };
}

export function notFoundResponse(shape: FakeErrorShape): FakeResponse {
  return {
    status: 404,
    body: shape === 'slack' ? { ok: false, error: 'unknown_method' } : { error: 'not_found' },
  };
}

/** Adds Slack's `ok: true` to success bodies. */
export function successBody(shape: FakeErrorShape, body: Record<string, unknown>): Record<string, unknown> {
  return shape === 'slack' ? { ok: true, ...body } : body;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
