import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { actorOf } from '../../plugins/auth.js';
import { loggedAppError } from '../../plugins/error-handler.js';
import { BEARER_SECURITY, errorResponses } from '../../schemas/error-response.js';
import { recordAuditEvent } from '../../services/audit/audit-log.js';
import { validateConfigData } from '../../services/config-validation.js';
import { browserCookieNameOf } from '../../services/oauth-browser-binding.js';
import type { CompleteAuthorizationResult } from '../../services/oauth-flow.js';
import { revokeConnection } from '../../services/revoke.js';
import { connectFailed, connectSucceeded, ownerActor } from '../audit-events/connect-events.js';
import { clearBindingCookie, requestCookies, setBindingCookie } from './browser-cookie.js';
import {
  AuthorizeQuery,
  AuthorizeResponse,
  CallbackBody,
  CallbackQuery,
  type CallbackQueryInput,
  CallbackRedirect,
  CallbackResult,
  ConnectorParams,
  oauthError,
  Revoked,
  RevokeParams,
} from './schemas.js';

const STATE_ERRORS =
  "The callback cannot be used: `CFM_OAUTH_STATE_INVALID` (tampered, unknown, or dropped as one of too many pending attempts), `CFM_OAUTH_STATE_EXPIRED`, `CFM_OAUTH_STATE_USED` (replayed), `CFM_OAUTH_STATE_MISMATCH` (another connector), `CFM_OAUTH_ISSUER_MISMATCH` (RFC 9207: `iss` is not the connector's issuer; the state is spent), `CFM_OAUTH_CODE_MISSING`, `CFM_OAUTH_PROVIDER_DENIED` (`provider_error` = the provider's `error`, e.g. `access_denied`), `CFM_OAUTH_NOT_SUPPORTED`, `CFM_VALIDATION`.";
const GET_STATE_ERRORS = `${STATE_ERRORS} Also \`CFM_OAUTH_REDIRECT_MISMATCH\`: the attempt was started for another redirect URI (always, unless \`OAUTH_REDIRECT_URI\` points at this callback).`;
const EXCHANGE_FAILED =
  "The provider refused or failed the code exchange (`CFM_OAUTH_EXCHANGE_FAILED`; `provider_error` = the provider's error name when it gave one). Start again.";
const NOT_CONFIGURED =
  'The connector is disabled (`CFM_CONNECTOR_DISABLED`) or not configured (`CFM_CONNECTOR_NOT_CONFIGURED`; `missing_variables` names what an operator must set).';

/** Only these keys of a callback are ours; every other string parameter may be a connector's extra. */
function callbackInput(connectorKey: string, userId: string | null, parameters: CallbackQueryInput) {
  const { code, state, error, error_description: errorDescription } = parameters;
  const callbackParams: Record<string, string> = {};
  for (const [name, value] of Object.entries(parameters)) {
    if (typeof value === 'string') callbackParams[name] = value;
  }
  return {
    userId,
    connectorKey,
    state: state ?? '',
    callbackParams,
    ...(code !== undefined && { code }),
    ...(error !== undefined && { error }),
    ...(errorDescription !== undefined && { errorDescription }),
  };
}

/** A browser gets the redirect; a client that prefers JSON (and not HTML) gets JSON. */
function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /\bapplication\/json\b/i.test(accept) && !/\btext\/html\b/i.test(accept);
}

/**
 * The OAuth 2 authorization-code flow for the signed-in user. Registered under `/api/oauth`.
 * Secrets (tokens, codes, verifiers) never leave the server and never appear in a redirect.
 */
export const oauthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app;
  const { oauthFlow } = app.engine;

  // Answers here carry a single-use state, a connection id, or sit at a URL holding the provider's
  // `code`: nothing may cache them, and a page the browser lands on must not pass that URL on as Referer.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });

  /** Where the provider sends the browser back: the front end's page unless `OAUTH_REDIRECT_URI` says otherwise. */
  function redirectUriFor(connectorKey: string): string {
    if (config.oauthRedirectUri === undefined) return `${config.frontendBaseUrl}/oauth/callback`;
    // A per-connector back end callback can be written `…/api/oauth/{connector}/callback` (the URL parser encodes the braces).
    return config.oauthRedirectUri
      .replaceAll('{connector}', connectorKey)
      .replaceAll('%7Bconnector%7D', connectorKey);
  }

  /**
   * Settings for a first connect (no `connection_id`): the connector's config schema defaults (Datadog's
   * `site`), which also fill `{placeholders}` in its URLs. A schema that requires settings without a
   * default needs the connection created first. Unknown, disabled or unconfigured connectors are left
   * to the flow, which reports them in that order.
   */
  async function firstConnectConfig(connectorKey: string): Promise<Record<string, unknown> | undefined> {
    const connector = await app.connectors.resolve(connectorKey);
    if (!connector?.enabled || connector.client === null) return undefined;
    const defaults = validateConfigData(connector.definition.configSchema, {});
    if (!defaults.ok) {
      throw new AppError(
        'CFM_CONFIG_INVALID',
        `Connector "${connectorKey}" needs settings: create the connection with config_data (POST /api/connections/), then authorize it with connection_id`,
        { details: defaults.details },
      );
    }
    return Object.keys(defaults.value).length > 0 ? defaults.value : undefined;
  }

  /**
   * The redirect URI at which the GET callback answers: only a configured `OAUTH_REDIRECT_URI`. In the
   * default setup (the front end's page) it answers at none, so it can complete no one's flow.
   */
  function getCallbackRedirectUri(connectorKey: string): string | null {
    return config.oauthRedirectUri === undefined ? null : redirectUriFor(connectorKey);
  }

  /**
   * The required scopes plus the optional ones asked for (`?scopes=chat:write`), or undefined for the
   * required ones alone. A scope the connector does not offer as optional is a 400 naming the allowed ones.
   */
  async function requestedScopes(
    connectorKey: string,
    asked: string | undefined,
  ): Promise<string[] | undefined> {
    const wanted = (asked ?? '').split(/[\s,]+/).filter((scope) => scope !== '');
    if (wanted.length === 0) return undefined;
    const resolved = await app.connectors.resolve(connectorKey);
    const oauth2 = resolved?.definition.auth.find((auth) => auth.type === 'oauth2');
    if (oauth2?.type !== 'oauth2') return undefined; // the flow reports unknown and non-OAuth connectors
    const optional = oauth2.scopes.optional ?? [];
    const unknown = wanted.filter((scope) => !optional.includes(scope));
    if (unknown.length > 0) {
      const allowed = optional.length > 0 ? optional.map((scope) => `"${scope}"`).join(', ') : 'none';
      throw new AppError(
        'CFM_VALIDATION',
        `querystring/scopes: not optional scopes of ${connectorKey}: ${unknown.join(', ')}`,
        {
          details: [
            { field: 'querystring/scopes', message: `must be among the optional scopes: ${allowed}` },
          ],
        },
      );
    }
    return [...new Set([...oauth2.scopes.required, ...wanted])];
  }

  function frontendResult(parameters: Record<string, string>): string {
    return `${config.frontendBaseUrl}/oauth/callback?${new URLSearchParams(parameters).toString()}`;
  }

  function callbackAnswer(result: CompleteAuthorizationResult) {
    return {
      success: result.success,
      status: result.status,
      message: result.message,
      connection_id: result.connectionId,
      warnings: result.warnings,
    };
  }

  app.get(
    '/:connector/authorize',
    {
      onRequest: app.authenticate,
      schema: {
        operationId: 'startOAuthAuthorization',
        tags: ['oauth'],
        summary: "Start connecting an account: the provider's authorization URL and its single-use state",
        description:
          'When `OAUTH_REDIRECT_URI` points at the GET callback, the answer also sets an HttpOnly, `SameSite=Lax` cookie (`cfm_oauth_…`, `Path=/api/oauth`, `Secure` in production, as long-lived as the state) that binds the attempt to this browser: call this with `credentials: "include"` from the front end. Each call drops the oldest of your unused attempts for the connector beyond 20.',
        security: BEARER_SECURITY,
        params: ConnectorParams,
        querystring: AuthorizeQuery,
        response: {
          200: AuthorizeResponse,
          ...errorResponses(401, 500, 503),
          400: oauthError(
            '`CFM_VALIDATION`; `CFM_OAUTH_NOT_SUPPORTED` (the connector does not use OAuth 2); `CFM_CONFIG_INVALID` (the connector needs settings: create the connection first).',
          ),
          404: oauthError(
            'Unknown connector (`CFM_CONNECTOR_NOT_FOUND`), or `connection_id` is not one of your connections (`CFM_CONNECTION_NOT_FOUND`).',
          ),
          409: oauthError(NOT_CONFIGURED),
        },
      },
    },
    async (request, reply) => {
      const { connector } = request.params;
      const connectionId = request.query.connection_id;
      const settings = connectionId === undefined ? await firstConnectConfig(connector) : undefined;
      const scopes = await requestedScopes(connector, request.query.scopes);
      const started = await oauthFlow.startAuthorization({
        userId: request.user!.id,
        connectorKey: connector,
        redirectUri: redirectUriFor(connector),
        ...(connectionId !== undefined && { connectionId }),
        ...(settings !== undefined && { config: settings }),
        ...(scopes !== undefined && { scopes }),
      });
      // Only the GET callback reads the cookie; with the front end's callback page there is nothing to bind.
      if (getCallbackRedirectUri(connector) !== null) {
        setBindingCookie(reply, started.browserCookie, config.isProduction);
      }
      return { authorization_url: started.authorizationUrl, state: started.state };
    },
  );

  app.post(
    '/:connector/callback',
    {
      onRequest: app.authenticate,
      schema: {
        operationId: 'completeOAuthAuthorization',
        tags: ['oauth'],
        summary: 'Finish connecting: hand over the parameters the provider redirected the browser with',
        security: BEARER_SECURITY,
        params: ConnectorParams,
        body: CallbackBody,
        response: {
          200: CallbackResult,
          ...errorResponses(401, 500, 503),
          400: oauthError(STATE_ERRORS),
          403: oauthError('The authorization was started by another user (`CFM_OAUTH_STATE_FOREIGN`).'),
          404: oauthError('Unknown connector (`CFM_CONNECTOR_NOT_FOUND`).'),
          409: oauthError(NOT_CONFIGURED),
          502: oauthError(EXCHANGE_FAILED),
        },
      },
    },
    async (request) => {
      const { connection_id: _informational, ...parameters } = request.body;
      const { connector } = request.params;
      let result: CompleteAuthorizationResult;
      try {
        result = await oauthFlow.completeAuthorization(
          callbackInput(connector, request.user!.id, parameters),
        );
      } catch (error) {
        await recordAuditEvent(app.db.db, connectFailed(request, connector, error));
        throw error;
      }
      await recordAuditEvent(app.db.db, connectSucceeded(request, connector, result));
      return callbackAnswer(result);
    },
  );

  app.get(
    '/:connector/callback',
    {
      schema: {
        operationId: 'oauthCallbackRedirect',
        tags: ['oauth'],
        summary:
          'The provider redirect target when OAUTH_REDIRECT_URI points at this API: completes the flow, then redirects to the front end',
        description:
          'Not authenticated: the user is the one who started the authorization (found by `state`), and the browser must prove it started it: the attempt must have been started for this redirect URI (`OAUTH_REDIRECT_URI`), and the request must carry the `cfm_oauth_…` cookie the authorize answer set. Both are checked before the state is spent; the cookie is cleared. Answers JSON instead of redirecting when the request prefers `Accept: application/json`.',
        params: ConnectorParams,
        querystring: CallbackQuery,
        response: {
          200: Type.With(CallbackResult, {
            description:
              'Connected (the request prefers `Accept: application/json`): the connection created or updated.',
          }),
          302: CallbackRedirect,
          ...errorResponses(500, 503),
          400: oauthError(GET_STATE_ERRORS),
          403: oauthError(
            'This browser did not start the authorization: the `cfm_oauth_…` cookie set by the authorize answer is missing or wrong (`CFM_OAUTH_BROWSER_MISMATCH`). The attempt stays usable by the browser that started it.',
          ),
          404: oauthError('Unknown connector (`CFM_CONNECTOR_NOT_FOUND`).'),
          409: oauthError(NOT_CONFIGURED),
          502: oauthError(EXCHANGE_FAILED),
        },
      },
    },
    async (request, reply) => {
      const { connector } = request.params;
      const json = wantsJson(request);
      const cookieName = browserCookieNameOf(request.query.state);
      // Whatever the outcome, the cookie has done its job (or never belonged to this browser's attempt).
      if (cookieName !== undefined) clearBindingCookie(reply, cookieName, config.isProduction);
      try {
        const result = await oauthFlow.completeAuthorization({
          ...callbackInput(connector, null, request.query),
          browser: { redirectUri: getCallbackRedirectUri(connector), cookies: requestCookies(request) },
        });
        const owner = await ownerActor(app.db.db, result.connectionId);
        await recordAuditEvent(app.db.db, connectSucceeded(request, connector, result, owner));
        if (json) return callbackAnswer(result);
        const outcome: Record<string, string> = result.success
          ? { status: 'success' }
          : { status: 'error', code: 'CFM_OAUTH_GRANT_INCOMPLETE' };
        return reply.redirect(
          frontendResult({ ...outcome, connector, connection_id: result.connectionId }),
          302,
        );
      } catch (error) {
        await recordAuditEvent(
          app.db.db,
          connectFailed(request, connector, error, await ownerActor(app.db.db, null)),
        );
        if (json) throw error;
        // Logged like the error handler would; the browser goes to the front end with the code only.
        const { code } = loggedAppError(request, error, 'oauth callback failed');
        return reply.redirect(frontendResult({ status: 'error', connector, code }), 302);
      }
    },
  );

  app.delete(
    '/:connector/revoke/:connection_id',
    {
      onRequest: app.authenticate,
      schema: {
        operationId: 'revokeOAuthConnection',
        tags: ['oauth'],
        summary: 'Disconnect: revoke the grant at the provider (when it can), delete the stored credentials',
        security: BEARER_SECURITY,
        params: RevokeParams,
        response: {
          204: Revoked,
          ...errorResponses(400, 401, 500, 503),
          404: oauthError(
            'Unknown connector (`CFM_CONNECTOR_NOT_FOUND`), or not one of your connections to it (`CFM_CONNECTION_NOT_FOUND`).',
          ),
        },
      },
    },
    async (request, reply) => {
      const { connector: connectorKey, connection_id: connectionId } = request.params;
      const userId = request.user!.id;
      const connector = await app.connectors.resolve(connectorKey);
      const connection = connector
        ? await app.db.db
            .selectFrom('connections')
            .select('id')
            .where('id', '=', connectionId)
            .where('user_id', '=', userId)
            .where('connector_id', '=', connector.id)
            .executeTakeFirst()
        : undefined;
      if (!connection) {
        throw new AppError(
          'CFM_CONNECTION_NOT_FOUND',
          `Connection "${connectionId}" not found for "${connectorKey}"`,
        );
      }
      // A provider failure is logged by the service (a warning, no secret); the local revocation stands.
      const revoked = await revokeConnection(app.engine.context, { connectionId, userId });
      await recordAuditEvent(app.db.db, {
        action: 'connection.revoke',
        outcome: 'success',
        actor: actorOf(request),
        connectionId,
        connectorKey,
        statusCode: 204,
        detail: { provider_revoked: revoked.providerRevoked, provider_error: revoked.providerError },
        requestId: request.id,
      });
      return reply.code(204).send(null);
    },
  );
};
