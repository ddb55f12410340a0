import type { FakeRuntime } from './fake-oauth2-config.js';
import { basicCredentials, bearerToken, bodyFields, type ParsedRequest } from './fake-oauth2-http.js';
import {
  FakeResponseSignal,
  failure,
  type OAuthFailure,
  oauthFailureResponse,
  successBody,
  unauthorizedResponse,
} from './fake-oauth2-responses.js';
import { s256 } from './fake-oauth2-store.js';
import type {
  FakeResponse,
  FakeTokenRecord,
  FakeTokenResponseContext,
  FakeUnauthorizedReason,
} from './fake-oauth2-types.js';

const INVALID_REFRESH = 'Unknown or invalid refresh token.';

function authenticateClient(runtime: FakeRuntime, request: ParsedRequest, fields: Record<string, string>) {
  const { options } = runtime;
  const basic = basicCredentials(request);
  const fromBody =
    fields['client_secret'] === undefined
      ? null
      : { id: fields['client_id'] ?? '', secret: fields['client_secret'] };
  let presented: { id: string; secret: string } | null;
  if (options.clientAuth === 'basic') {
    presented = basic;
    if (presented && fields['client_id'] !== undefined && fields['client_id'] !== presented.id)
      presented = null;
  } else if (options.clientAuth === 'body') {
    presented = fromBody;
  } else {
    presented = basic ?? fromBody;
  }
  const how = options.clientAuth === 'either' ? 'HTTP Basic or the body' : options.clientAuth;
  if (!presented)
    return failure('invalid_client', 'invalid_client_id', `Client authentication (${how}) required`);
  if (presented.id !== options.clientId)
    return failure('invalid_client', 'invalid_client_id', 'Unknown client');
  if (presented.secret !== options.clientSecret) {
    return failure('invalid_client', 'bad_client_secret', 'Client authentication failed');
  }
  return null;
}

function tokenSuccess(
  runtime: FakeRuntime,
  context: FakeTokenResponseContext,
  refreshTokenToSend: string | null,
): FakeResponse {
  const { options } = runtime;
  const body: Record<string, unknown> = { access_token: context.access.value, token_type: 'Bearer' };
  if (context.access.expiresAt !== null) {
    body['expires_in'] = Math.round(
      (context.access.expiresAt.getTime() - context.access.issuedAt.getTime()) / 1000,
    );
  }
  if (refreshTokenToSend !== null) body['refresh_token'] = refreshTokenToSend;
  body['scope'] = context.access.scopes.join(options.scopeSeparator);
  const shaped = options.tokenResponse ? options.tokenResponse(body, context) : body;
  return { status: 200, body: successBody(options.errorShape, shaped) };
}

function exchangeCode(runtime: FakeRuntime, fields: Record<string, string>): FakeResponse | OAuthFailure {
  const { options, store } = runtime;
  runtime.counts.token += 1;
  const record = fields['code'] === undefined ? undefined : store.findCode(fields['code']);
  if (!record || record.clientId !== options.clientId) {
    return failure('invalid_grant', 'invalid_code', 'Invalid authorization code');
  }
  if (record.used) {
    // RFC 6749 §4.1.2: a replayed code revokes what it produced.
    if (record.family !== null) store.revokeFamily(record.family);
    return failure('invalid_grant', 'invalid_code', 'Authorization code already used');
  }
  // One attempt per code, like most providers: a failed exchange burns it.
  record.used = true;
  if (record.expiresAt <= Date.now())
    return failure('invalid_grant', 'invalid_code', 'Authorization code expired');
  if (fields['redirect_uri'] !== record.redirectUri) {
    return failure(
      'invalid_grant',
      'bad_redirect_uri',
      'redirect_uri does not match the authorization request',
    );
  }
  if (record.codeChallenge !== null) {
    const verifier = fields['code_verifier'];
    if (verifier === undefined || s256(verifier) !== record.codeChallenge) {
      return failure('invalid_grant', 'invalid_code_verifier', 'PKCE verification failed');
    }
  }
  const { access, refresh } = store.issue({
    clientId: options.clientId,
    scopes: record.scopes,
    expiresIn: options.expiresIn,
    withRefresh: options.issueRefreshToken,
  });
  record.family = access.family;
  const context = {
    grant: 'authorization_code' as const,
    access,
    refresh,
    callbackParams: record.callbackParams,
  };
  return tokenSuccess(runtime, context, refresh?.value ?? null);
}

function refreshGrant(runtime: FakeRuntime, fields: Record<string, string>): FakeResponse | OAuthFailure {
  const { options, store } = runtime;
  runtime.counts.refresh += 1;
  const presented = fields['refresh_token'];
  if (presented === undefined)
    return failure('invalid_request', 'invalid_refresh_token', 'refresh_token is required');
  const found = store.lookup(presented, 'refresh');
  if (!found.ok) {
    // Replaying a rotated refresh token looks like theft: the whole grant dies (Atlassian, RFC 9700 §4.14).
    const replayed = found.reason === 'rotated' ? store.findAny(presented) : undefined;
    if (replayed) store.revokeFamily(replayed.family);
    return failure('invalid_grant', 'invalid_refresh_token', INVALID_REFRESH);
  }
  const old = found.record;
  if (old.clientId !== options.clientId)
    return failure('invalid_grant', 'invalid_refresh_token', INVALID_REFRESH);
  // A provider that omits the refresh token from the answer cannot rotate it (Figma).
  const rotate = options.rotateRefreshTokens && options.refreshResponseIncludesRefreshToken;
  const { access, refresh } = store.issue({
    clientId: old.clientId,
    scopes: old.scopes,
    expiresIn: options.expiresIn,
    withRefresh: rotate,
    family: old.family,
  });
  if (rotate) old.state = 'rotated';
  const toSend = options.refreshResponseIncludesRefreshToken ? (refresh ?? old).value : null;
  return tokenSuccess(
    runtime,
    { grant: 'refresh_token', access, refresh: refresh ?? old, callbackParams: {} },
    toSend,
  );
}

/** The token endpoint (and the refresh alias): client auth, body format, then the grant. */
export function handleTokenRequest(
  runtime: FakeRuntime,
  request: ParsedRequest,
  refreshAlias: boolean,
): FakeResponse {
  const { options } = runtime;
  const answer = (outcome: FakeResponse | OAuthFailure): FakeResponse =>
    'status' in outcome ? outcome : oauthFailureResponse(options.errorShape, outcome);
  if (request.bodyFormat !== 'form' && request.bodyFormat !== 'json') {
    return answer(failure('invalid_request', 'invalid_arguments', 'Expected a form or JSON body'));
  }
  if (options.tokenRequestFormat !== 'either' && request.bodyFormat !== options.tokenRequestFormat) {
    const expected =
      options.tokenRequestFormat === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
    return answer(failure('invalid_request', 'invalid_arguments', `The body must be ${expected}`));
  }
  const fields = bodyFields(request);
  const clientFailure = authenticateClient(runtime, request, fields);
  if (clientFailure) return answer(clientFailure);
  // Slack's oauth.v2.access takes a code without grant_type; the legacy refresh path implies it.
  const inferred = refreshAlias
    ? 'refresh_token'
    : options.errorShape === 'slack' && fields['code'] !== undefined
      ? 'authorization_code'
      : undefined;
  const grant = fields['grant_type'] ?? inferred;
  if (grant === 'authorization_code' && !refreshAlias) return answer(exchangeCode(runtime, fields));
  if (grant === 'refresh_token') return answer(refreshGrant(runtime, fields));
  return answer(failure('unsupported_grant_type', 'invalid_grant_type', 'Unsupported grant_type'));
}

export function unauthorized(runtime: FakeRuntime, reason: FakeUnauthorizedReason): FakeResponse {
  const custom = runtime.options.unauthorizedResponse;
  return custom ? custom(reason) : unauthorizedResponse(runtime.options.errorShape, reason);
}

/** The request's valid access token, or a thrown {@link FakeResponseSignal} with the provider's 401. */
export function requireAccessToken(runtime: FakeRuntime, request: ParsedRequest): FakeTokenRecord {
  const token = bearerToken(request);
  if (token === null) throw new FakeResponseSignal(unauthorized(runtime, 'missing'));
  const found = runtime.store.lookup(token, 'access');
  if (found.ok) return found.record;
  const reason = found.reason === 'expired' ? 'expired' : found.reason === 'revoked' ? 'revoked' : 'invalid';
  throw new FakeResponseSignal(unauthorized(runtime, reason));
}

/** RFC 7009 revocation (`client`), or Slack's `auth.revoke` with the bearer token (`bearer`). */
export function handleRevokeRequest(runtime: FakeRuntime, request: ParsedRequest): FakeResponse {
  const { options, store } = runtime;
  runtime.counts.revoke += 1;
  if (options.revokeAuth === 'bearer') {
    const record = requireAccessToken(runtime, request);
    store.revokeFamily(record.family);
    return options.revokeResponse;
  }
  const fields = bodyFields(request);
  const clientFailure = authenticateClient(runtime, request, fields);
  if (clientFailure) return oauthFailureResponse(options.errorShape, clientFailure);
  const token = fields['token'];
  if (token === undefined) {
    return oauthFailureResponse(
      options.errorShape,
      failure('invalid_request', 'invalid_arguments', 'token is required'),
    );
  }
  // RFC 7009 §2.2: unknown tokens are answered 200 too.
  const record = store.findAny(token);
  if (record) store.revokeFamily(record.family);
  return options.revokeResponse;
}
