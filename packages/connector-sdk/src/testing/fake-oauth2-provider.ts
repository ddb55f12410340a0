import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAuthorizeGet, handleAuthorizePost } from './fake-oauth2-authorize.js';
import { approveAt, denyAt } from './fake-oauth2-browser.js';
import { type FakeRuntime, resolveOptions } from './fake-oauth2-config.js';
import { type ParsedRequest, parseRequest, send, toLogRecord } from './fake-oauth2-http.js';
import {
  FakeResponseSignal,
  notFoundResponse,
  rateLimitedResponse,
  successBody,
} from './fake-oauth2-responses.js';
import { compileRoutes, matchRoute } from './fake-oauth2-routes.js';
import { FakeTokenStore } from './fake-oauth2-store.js';
import { handleRevokeRequest, handleTokenRequest, requireAccessToken } from './fake-oauth2-token-endpoint.js';
import type {
  FakeOAuth2Provider,
  FakeOAuth2ProviderOptions,
  FakeRequestRecord,
  FakeResponse,
  FakeTokenPair,
} from './fake-oauth2-types.js';

/** Queued answers that replace the next API and token responses (429s, 5xx). */
interface Injection {
  remaining: number;
  response: FakeResponse;
}

function takeInjection(queue: Injection[]): FakeResponse | null {
  const next = queue[0];
  if (!next) return null;
  next.remaining -= 1;
  if (next.remaining <= 0) queue.shift();
  return next.response;
}

async function route(
  runtime: FakeRuntime,
  routes: ReturnType<typeof compileRoutes>,
  injections: Injection[],
  request: ParsedRequest,
): Promise<FakeResponse> {
  const { paths, errorShape } = runtime.options;
  const { method, path } = request;
  if (path === paths.authorize) {
    if (method === 'GET') return handleAuthorizeGet(runtime, request);
    if (method === 'POST') return handleAuthorizePost(runtime, request);
    return { status: 405, headers: { allow: 'GET, POST' }, body: 'Method Not Allowed' };
  }
  // The browser-facing page is never rate limited; every API and token endpoint is.
  const injected = takeInjection(injections);
  if (injected) return injected;
  if (method === 'POST' && path === paths.token) return handleTokenRequest(runtime, request, false);
  if (method === 'POST' && paths.refresh !== null && path === paths.refresh) {
    return handleTokenRequest(runtime, request, true);
  }
  if (method === 'POST' && paths.revoke !== null && path === paths.revoke)
    return handleRevokeRequest(runtime, request);
  if ((method === 'GET' || method === 'POST') && path === paths.userinfo) {
    runtime.counts.userinfo += 1;
    requireAccessToken(runtime, request);
    return { status: 200, body: successBody(errorShape, runtime.options.identity) };
  }
  const matched = matchRoute(routes, method, path);
  if (!matched) return notFoundResponse(errorShape);
  const { rawHeaders: _raw, bodyFormat: _format, ...record } = request;
  return matched.handler(
    { ...record, params: matched.params },
    {
      requireToken: () => requireAccessToken(runtime, request),
      identity: runtime.options.identity,
      errorShape,
    },
  );
}

/**
 * Starts a real OAuth 2 provider on `127.0.0.1` that validates requests and answers failures the
 * way the provider it imitates does (RFC 6749, Slack's HTTP-200 errors, Atlassian's 403).
 *
 * @example
 * ```ts
 * const provider = await startFakeOAuth2Provider({ errorShape: 'atlassian', tokenRequestFormat: 'json' });
 * const { code } = await provider.approve(client.buildAuthorizeUrl({ redirectUri, state }));
 * await provider.close();
 * ```
 */
export async function startFakeOAuth2Provider(
  options: FakeOAuth2ProviderOptions = {},
): Promise<FakeOAuth2Provider> {
  const resolved = resolveOptions(options);
  const store = new FakeTokenStore(resolved.accessTokenPrefix, resolved.refreshTokenPrefix);
  const runtime: FakeRuntime = {
    options: resolved,
    store,
    counts: { authorize: 0, token: 0, refresh: 0, revoke: 0, userinfo: 0 },
  };
  const routes = compileRoutes(resolved.routes);
  const injections: Injection[] = [];
  const requests: FakeRequestRecord[] = [];

  const handle = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    let answer: FakeResponse;
    try {
      const request = await parseRequest(incoming);
      requests.push(toLogRecord(request));
      answer = await route(runtime, routes, injections, request);
    } catch (error) {
      if (error instanceof FakeResponseSignal) {
        answer = error.response;
      } else {
        // A bug in a custom route or in the fake: answer 500 so the test fails visibly.
        const message = error instanceof Error ? error.message : String(error);
        answer = { status: 500, body: { error: 'fake_provider_error', message } };
      }
    }
    send(outgoing, answer);
  };

  const server = createServer((incoming, outgoing) => {
    void handle(incoming, outgoing);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const { paths } = resolved;

  return {
    url: origin,
    authorizeUrl: `${origin}${paths.authorize}`,
    tokenUrl: `${origin}${paths.token}`,
    refreshUrl: `${origin}${paths.refresh ?? paths.token}`,
    revokeUrl: paths.revoke === null ? null : `${origin}${paths.revoke}`,
    userinfoUrl: `${origin}${paths.userinfo}`,
    clientId: resolved.clientId,
    clientSecret: resolved.clientSecret,
    counts: runtime.counts,
    requests,
    tokens: store.tokens,
    issueTokensDirectly(issue = {}): FakeTokenPair {
      const scopes = issue.scopes ?? [];
      const expiresIn = issue.expiresIn === undefined ? resolved.expiresIn : issue.expiresIn;
      const { access, refresh } = store.issue({
        clientId: resolved.clientId,
        scopes,
        expiresIn,
        withRefresh: resolved.issueRefreshToken,
      });
      const expiresAt = access.expiresAt?.toISOString() ?? null;
      return {
        accessToken: access.value,
        ...(refresh ? { refreshToken: refresh.value } : {}),
        expiresAt,
        scopes,
        credentials: {
          type: 'oauth2',
          accessToken: access.value,
          ...(refresh ? { refreshToken: refresh.value } : {}),
          tokenType: 'Bearer',
          expiresAt,
          scopes,
        },
      };
    },
    approve: (authorizeUrl) => approveAt(origin, paths.authorize, authorizeUrl),
    deny: (authorizeUrl) => denyAt(origin, paths.authorize, authorizeUrl),
    expireAccessTokens: () => store.expireAccessTokens(),
    revokeToken(token) {
      const record = store.findAny(token);
      if (record) store.revokeFamily(record.family);
      return record !== undefined;
    },
    rateLimitNext(count, headers = { 'Retry-After': '1' }) {
      injections.length = 0;
      if (count > 0) {
        const response =
          resolved.rateLimitedBody === undefined
            ? rateLimitedResponse(resolved.errorShape, headers)
            : { status: 429, headers, body: resolved.rateLimitedBody };
        injections.push({ remaining: count, response });
      }
    },
    failNext(count, status = 503, body = { error: 'service_unavailable' }) {
      injections.length = 0;
      if (count > 0) injections.push({ remaining: count, response: { status, body } });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets from fetch would hold `close` open until they time out.
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
