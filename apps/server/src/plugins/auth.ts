import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, type ErrorCode } from '../errors.js';
import { AccessTokenError, type AccessTokenSettings } from '../services/access-tokens.js';
import { type AuditActor, recordAuditEvent, setAuditLogger } from '../services/audit/audit-log.js';
import { looksLikeServiceKey } from '../services/service-keys/service-key-secret.js';
import { ServiceKeyUsage } from '../services/service-keys/service-key-usage.js';
import type { ServiceScope } from '../services/service-keys/service-scopes.js';
import { verifyServiceKey } from '../services/service-keys/verify-service-key.js';
import { type User, UserCache, type UserCacheOptions, upsertUserFromClaims } from '../services/users.js';

/** Who a request acts as: a signed-in user, or a back-end service holding a service key. */
export type Principal =
  | { type: 'user'; user: User }
  | { type: 'service'; serviceKey: { id: string; name: string; scopes: ServiceScope[] } };

export interface CallerOptions {
  /** A service key must hold this scope. */
  serviceScope: ServiceScope;
  /** Whether user tokens are accepted too (false: service keys only, a user token is a 403). */
  users: boolean;
}

type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest: requires a valid user token and sets `request.user` (and `request.principal`). A service
     * key is a 403, unless the route opts in with `config: { serviceScope }`.
     */
    authenticate: AuthHook;
    /** onRequest: like `authenticate`, then requires `role: 'admin'` (403 `CFM_FORBIDDEN`, also for service keys). */
    requireAdmin: AuthHook;
    /**
     * onRequest for routes that back-end services call: a service key holding `serviceScope` (sets
     * `request.principal`; `request.user` stays null), or, with `users: true`, a user token.
     *
     * @example
     * app.get('/:id/token', { onRequest: app.authenticateCaller({ serviceScope: 'connections:token', users: false }) }, …)
     */
    authenticateCaller: (options: CallerOptions) => AuthHook;
  }
  interface FastifyRequest {
    /** Set by the auth hooks for a user token; null for service keys and on routes that do not authenticate. */
    user: User | null;
    /** Set by the auth hooks: the user or the service key the request acts as. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /**
     * The route only reads the caller's own rows by user id, so a user row looked up for the same claims
     * in the last seconds will do (no user query). Never set it on a route that writes rows referencing
     * the user: a row deleted outside the API meanwhile would make that write fail.
     */
    cachedUser?: boolean;
    /**
     * The route also accepts service keys holding this scope, through `app.authenticate` (and
     * `app.requireAdmin`): the handler must then read `request.principal`, since `request.user` is null.
     */
    serviceScope?: ServiceScope;
  }
}

export interface AuthPluginOptions {
  jwt: AccessTokenSettings;
  /** The cache behind `config: { cachedUser: true }` routes. */
  userCache?: UserCacheOptions;
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)[ ]*$/i;
const SERVICE_KEY_BEARER = /^Bearer[ ]+cfm_sk_/i;

type ChallengeCode =
  | 'CFM_AUTH_REQUIRED'
  | 'CFM_TOKEN_INVALID'
  | 'CFM_TOKEN_EXPIRED'
  | 'CFM_SERVICE_KEY_INVALID'
  | 'CFM_SERVICE_KEY_REVOKED'
  | 'CFM_SERVICE_KEY_EXPIRED';

const DESCRIPTIONS: Record<Exclude<ChallengeCode, 'CFM_AUTH_REQUIRED'>, string> = {
  CFM_TOKEN_INVALID: 'The token is invalid',
  CFM_TOKEN_EXPIRED: 'The token expired',
  CFM_SERVICE_KEY_INVALID: 'The service key is invalid',
  CFM_SERVICE_KEY_REVOKED: 'The service key was revoked',
  CFM_SERVICE_KEY_EXPIRED: 'The service key expired',
};

function challenge(code: ChallengeCode, message?: string) {
  // RFC 6750: no error attribute when the client sent no credentials at all.
  const header =
    code === 'CFM_AUTH_REQUIRED'
      ? 'Bearer'
      : `Bearer error="invalid_token", error_description="${DESCRIPTIONS[code]}"`;
  return new AppError(code, message, { headers: { 'www-authenticate': header } });
}

const forbidden = (code: ErrorCode, message: string) => new AppError(code, message);

/** The bearer credential of the request (a JWT or a service key), or the 401 that its absence deserves. */
function bearerOf(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') throw challenge('CFM_AUTH_REQUIRED');
  const match = BEARER.exec(header);
  if (match !== null) return match[1]!;
  if (SERVICE_KEY_BEARER.test(header)) throw challenge('CFM_SERVICE_KEY_INVALID');
  throw /^Bearer\b/i.test(header)
    ? challenge('CFM_TOKEN_INVALID', 'The access token is invalid: it is not a JWT')
    : challenge('CFM_AUTH_REQUIRED', 'Authentication required: use the Bearer scheme');
}

/** Who did it, for `audit_events`: the request's principal (a system actor on unauthenticated routes). */
export function actorOf(request: FastifyRequest): AuditActor {
  const principal = request.principal;
  if (principal?.type === 'service') {
    return { type: 'service', id: principal.serviceKey.id, label: principal.serviceKey.name };
  }
  if (principal?.type === 'user') return { type: 'user', id: principal.user.id, label: principal.user.email };
  return { type: 'system', id: null, label: 'anonymous' };
}

/**
 * `Authorization: Bearer <JWT>` (HS256 only) → `request.user`, with the user row upserted;
 * `Authorization: Bearer cfm_sk_…` → a service key, checked against the database on every request (a
 * revocation applies at once in every process), on routes that accept service keys.
 */
export const authPlugin = fp<AuthPluginOptions>(
  async (app, options) => {
    app.decorateRequest('user', null);
    app.decorateRequest('principal', null);
    const users = new UserCache(options.userCache);
    const usage = new ServiceKeyUsage(app.db.db);
    const log = app.log.child({ component: 'auth' });
    setAuditLogger(app.db.db, { error: (message, fields) => log.error(fields ?? {}, message) });

    async function verifiedClaims(token: string) {
      try {
        return app.verifyAccessToken(token); // plugins/jwt.ts: @fastify/jwt plus our claim rules
      } catch (error) {
        if (error instanceof AccessTokenError) {
          throw challenge(
            error.reason === 'expired' ? 'CFM_TOKEN_EXPIRED' : 'CFM_TOKEN_INVALID',
            error.message,
          );
        }
        throw error;
      }
    }

    async function authenticateUser(request: FastifyRequest, token: string): Promise<void> {
      const claims = await verifiedClaims(token);
      let user = request.routeOptions.config.cachedUser === true ? users.get(claims) : undefined;
      if (user === undefined) {
        user = await upsertUserFromClaims(app.db, claims);
        // Every lookup refreshes the entry, so a row re-created by a write here is what later reads see.
        if (user.email === claims.email && user.role === claims.role) {
          users.set(claims, Object.freeze({ ...user }));
        }
      }
      request.user = user;
      request.principal = { type: 'user', user };
    }

    /** Records a use in the background: `last_used_at` and a `service_key.use` event, at most once a minute. */
    function noteUse(request: FastifyRequest, key: { id: string; name: string; lastUsedAt: Date | null }) {
      usage
        .touch(key)
        .then((wrote) => {
          if (!wrote) return;
          return recordAuditEvent(app.db.db, {
            action: 'service_key.use',
            outcome: 'success',
            actor: { type: 'service', id: key.id, label: key.name },
            detail: { method: request.method, route: request.routeOptions.url ?? null },
            requestId: request.id,
          });
        })
        .catch((error: unknown) =>
          log.error({ err: error, serviceKeyId: key.id }, 'service key use not recorded'),
        );
    }

    /** A refused key that was ours (revoked, expired, lacking the scope): in the audit trail, throttled per key. */
    function noteRefusal(
      request: FastifyRequest,
      key: { id: string; name: string },
      statusCode: number,
      reason: string,
    ) {
      if (!usage.firstRefusal(key.id)) return;
      void recordAuditEvent(app.db.db, {
        action: 'service_key.use',
        outcome: 'failure',
        actor: { type: 'service', id: key.id, label: key.name },
        statusCode,
        detail: { method: request.method, route: request.routeOptions.url ?? null, reason },
        requestId: request.id,
      });
    }

    async function authenticateService(
      request: FastifyRequest,
      token: string,
      scope: ServiceScope,
    ): Promise<void> {
      const check = await verifyServiceKey(app.db.db, token);
      if (!check.ok) {
        if (check.reason === 'invalid') throw challenge('CFM_SERVICE_KEY_INVALID');
        noteRefusal(request, check.key, 401, check.reason);
        throw check.reason === 'revoked'
          ? challenge('CFM_SERVICE_KEY_REVOKED')
          : challenge('CFM_SERVICE_KEY_EXPIRED');
      }
      const { key } = check;
      if (!key.scopes.includes(scope)) {
        noteRefusal(request, key, 403, `scope ${scope} missing`);
        throw forbidden('CFM_SCOPE_MISSING', `This service key lacks the scope "${scope}"`);
      }
      request.principal = { type: 'service', serviceKey: { id: key.id, name: key.name, scopes: key.scopes } };
      noteUse(request, key);
    }

    /** The route's own service scope (opt-in), or the 403 a service key gets on a user route. */
    function optedInScope(request: FastifyRequest, refusal: string): ServiceScope {
      const scope = request.routeOptions.config.serviceScope;
      if (scope === undefined) throw forbidden('CFM_FORBIDDEN', refusal);
      return scope;
    }

    /**
     * A principal another auth hook of this route already set: a user passes; a service key only when the
     * route opted in with a scope the key holds (a hook that accepted it must not widen this one).
     */
    function requireOptedIn(request: FastifyRequest, principal: Principal, refusal: string): void {
      if (principal.type === 'user') return;
      const scope = optedInScope(request, refusal);
      if (!principal.serviceKey.scopes.includes(scope)) {
        throw forbidden('CFM_SCOPE_MISSING', `This service key lacks the scope "${scope}"`);
      }
    }

    async function authenticate(request: FastifyRequest): Promise<void> {
      const refusal = 'Service keys cannot use this route: it needs a user token';
      if (request.principal !== null) return requireOptedIn(request, request.principal, refusal);
      const token = bearerOf(request);
      if (looksLikeServiceKey(token))
        return authenticateService(request, token, optedInScope(request, refusal));
      return authenticateUser(request, token);
    }

    app.decorate('authenticate', async (request: FastifyRequest, _reply: FastifyReply) => {
      await authenticate(request);
    });

    app.decorate('requireAdmin', async (request: FastifyRequest, _reply: FastifyReply) => {
      const refusal = 'Service keys cannot use admin routes';
      if (request.principal === null) {
        const token = bearerOf(request);
        if (looksLikeServiceKey(token))
          return authenticateService(request, token, optedInScope(request, refusal));
        await authenticateUser(request, token);
      }
      const principal = request.principal as Principal | null;
      if (principal?.type === 'service') return requireOptedIn(request, principal, refusal);
      if (principal?.user.role !== 'admin')
        throw forbidden('CFM_FORBIDDEN', 'This action requires the admin role');
    });

    app.decorate('authenticateCaller', ({ serviceScope, users: usersAllowed }: CallerOptions): AuthHook => {
      const userRefusal = `This route is for back-end services: use a service key with the scope "${serviceScope}"`;
      return async (request: FastifyRequest, _reply: FastifyReply) => {
        const principal = request.principal;
        if (principal?.type === 'service') {
          if (!principal.serviceKey.scopes.includes(serviceScope)) {
            throw forbidden('CFM_SCOPE_MISSING', `This service key lacks the scope "${serviceScope}"`);
          }
          return;
        }
        if (principal?.type === 'user') {
          if (!usersAllowed) throw forbidden('CFM_FORBIDDEN', userRefusal);
          return;
        }
        const token = bearerOf(request);
        if (looksLikeServiceKey(token)) return authenticateService(request, token, serviceScope);
        if (usersAllowed) return authenticateUser(request, token);
        // A bad token is still a 401; a good one is the wrong kind of caller.
        await verifiedClaims(token);
        throw forbidden('CFM_FORBIDDEN', userRefusal);
      };
    });
  },
  { name: 'cfm-auth', fastify: '5.x', dependencies: ['cfm-db', 'cfm-jwt'] },
);
