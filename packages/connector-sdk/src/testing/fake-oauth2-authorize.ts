import type { FakeRuntime } from './fake-oauth2-config.js';
import { bodyFields, type ParsedRequest, redirect } from './fake-oauth2-http.js';
import { escapeHtml } from './fake-oauth2-responses.js';
import type { PendingAuthorization } from './fake-oauth2-store.js';
import type { FakeResponse } from './fake-oauth2-types.js';

function htmlPage(status: number, title: string, content: string): FakeResponse {
  const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${content}
</body>
</html>
`;
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body };
}

function callback(redirectUri: string, params: Record<string, string | null>): FakeResponse {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== null) url.searchParams.set(name, value);
  }
  return redirect(url.toString());
}

function isHttpUrl(value: string | undefined): value is string {
  if (value === undefined) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    // Not parseable: the caller answers with an error page.
    return false;
  }
}

function approvePending(runtime: FakeRuntime, pending: PendingAuthorization): FakeResponse {
  const extra = runtime.options.extraCallbackParams;
  const code = runtime.store.createCode(pending, runtime.options.codeTtlMs, extra);
  return callback(pending.redirectUri, { code, state: pending.state, ...extra });
}

function consentPage(runtime: FakeRuntime, pending: PendingAuthorization): FakeResponse {
  const action = escapeHtml(runtime.options.paths.authorize);
  const request = escapeHtml(pending.id);
  const scopes = pending.scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('');
  const form = (decision: 'allow' | 'deny', label: string) => `<form method="post" action="${action}">
<input type="hidden" name="request" value="${request}">
<input type="hidden" name="decision" value="${decision}">
<button type="submit" id="${decision}">${label}</button>
</form>`;
  return htmlPage(
    200,
    'Authorize application',
    `<p>The application <strong>${escapeHtml(pending.clientId)}</strong> asks for access to your account.</p>
<ul id="scopes">${scopes}</ul>
${form('allow', 'Allow')}
${form('deny', 'Deny')}`,
  );
}

/** `GET authorize`: validates the request like a provider, then auto-approves or shows consent. */
export function handleAuthorizeGet(runtime: FakeRuntime, request: ParsedRequest): FakeResponse {
  const { options, store } = runtime;
  runtime.counts.authorize += 1;
  const query = request.query;
  // RFC 6749 §4.1.2.1: a bad client or redirect URI must not redirect; show an error page instead.
  if (query['client_id'] !== options.clientId) {
    return htmlPage(400, 'Unknown application', '<p id="error">invalid_client</p>');
  }
  const redirectUri = query['redirect_uri'];
  if (!isHttpUrl(redirectUri)) {
    return htmlPage(400, 'Invalid redirect URI', '<p id="error">invalid_request</p>');
  }
  const state = query['state'] ?? null;
  const fail = (error: string, description: string) =>
    callback(redirectUri, { error, error_description: description, state });
  if (query['response_type'] !== 'code') {
    return fail('unsupported_response_type', 'response_type must be code');
  }
  const scopes = (query['scope'] ?? '').split(options.scopeSeparator).filter((scope) => scope.length > 0);
  const unknown = options.knownScopes ? scopes.filter((scope) => !options.knownScopes?.includes(scope)) : [];
  if (unknown.length > 0) return fail('invalid_scope', `Unknown scope: ${unknown.join(' ')}`);
  let codeChallenge: string | null = null;
  if (options.pkce !== 'off') {
    codeChallenge = query['code_challenge'] ?? null;
    if (codeChallenge !== null && query['code_challenge_method'] !== 'S256') {
      return fail('invalid_request', 'code_challenge_method must be S256');
    }
    if (codeChallenge === null && options.pkce === 'required') {
      return fail('invalid_request', 'code_challenge is required');
    }
  }
  const pending = store.addPending({ clientId: options.clientId, redirectUri, state, scopes, codeChallenge });
  return options.autoApprove
    ? approvePending(runtime, store.takePending(pending.id) ?? pending)
    : consentPage(runtime, pending);
}

/** `POST authorize`: the consent form's Allow or Deny. */
export function handleAuthorizePost(runtime: FakeRuntime, request: ParsedRequest): FakeResponse {
  const fields = bodyFields(request);
  const pending = fields['request'] === undefined ? undefined : runtime.store.takePending(fields['request']);
  if (!pending)
    return htmlPage(400, 'This authorization request has expired', '<p id="error">invalid_request</p>');
  if (fields['decision'] === 'allow') return approvePending(runtime, pending);
  if (runtime.options.denyMode === 'none') {
    return htmlPage(200, 'Access not granted', '<p>You can close this window.</p>');
  }
  return callback(pending.redirectUri, { error: 'access_denied', state: pending.state });
}
