import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import { AccessTokenError, type AccessTokenSettings, verifyAccessToken } from '../services/access-tokens.js';
import { type User, UserCache, type UserCacheOptions, upsertUserFromClaims } from '../services/users.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: requires a valid bearer token and sets `request.user`. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** preHandler: like `authenticate`, then requires `role: 'admin'` (403 `CFM_FORBIDDEN`). */
    requireAdmin: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    /** Set by `app.authenticate`; null on routes that do not authenticate. */
    user: User | null;
  }
  interface FastifyContextConfig {
    /**
     * The route only reads the caller's own rows by user id, so a user row looked up for the same claims
     * in the last seconds will do (no user query). Never set it on a route that writes rows referencing
     * the user: a row deleted outside the API meanwhile would make that write fail.
     */
    cachedUser?: boolean;
  }
}

export interface AuthPluginOptions {
  jwt: AccessTokenSettings;
  /** The cache behind `config: { cachedUser: true }` routes. */
  userCache?: UserCacheOptions;
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)[ ]*$/i;

function challenge(code: 'CFM_AUTH_REQUIRED' | 'CFM_TOKEN_INVALID' | 'CFM_TOKEN_EXPIRED', message?: string) {
  // RFC 6750: no error attribute when the client sent no credentials at all.
  const header =
    code === 'CFM_AUTH_REQUIRED'
      ? 'Bearer'
      : `Bearer error="invalid_token", error_description="${code === 'CFM_TOKEN_EXPIRED' ? 'The token expired' : 'The token is invalid'}"`;
  return new AppError(code, message, { headers: { 'www-authenticate': header } });
}

/** `Authorization: Bearer <JWT>` (HS256 only) → `request.user`, with the user row upserted. */
export const authPlugin = fp<AuthPluginOptions>(
  async (app, options) => {
    app.decorateRequest('user', null);
    const users = new UserCache(options.userCache);

    async function authenticate(request: FastifyRequest): Promise<void> {
      if (request.user !== null) {
        return;
      }
      const header = request.headers.authorization;
      if (header === undefined || header.trim() === '') {
        throw challenge('CFM_AUTH_REQUIRED');
      }
      const match = BEARER.exec(header);
      if (match === null) {
        throw /^Bearer\b/i.test(header)
          ? challenge('CFM_TOKEN_INVALID', 'The access token is invalid: it is not a JWT')
          : challenge('CFM_AUTH_REQUIRED', 'Authentication required: use the Bearer scheme');
      }
      let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
      try {
        claims = await verifyAccessToken(options.jwt, match[1]!);
      } catch (error) {
        if (error instanceof AccessTokenError) {
          throw challenge(
            error.reason === 'expired' ? 'CFM_TOKEN_EXPIRED' : 'CFM_TOKEN_INVALID',
            error.message,
          );
        }
        throw error;
      }
      if (request.routeOptions.config.cachedUser === true) {
        const cached = users.get(claims);
        if (cached !== undefined) {
          request.user = cached;
          return;
        }
      }
      const user = await upsertUserFromClaims(app.db, claims);
      // Every lookup refreshes the entry, so a row re-created by a write here is what later reads see.
      if (user.email === claims.email && user.role === claims.role) {
        users.set(claims, Object.freeze({ ...user }));
      }
      request.user = user;
    }

    app.decorate('authenticate', async (request: FastifyRequest, _reply: FastifyReply) => {
      await authenticate(request);
    });
    app.decorate('requireAdmin', async (request: FastifyRequest, _reply: FastifyReply) => {
      await authenticate(request);
      if (request.user?.role !== 'admin') {
        throw new AppError('CFM_FORBIDDEN', 'This action requires the admin role');
      }
    });
  },
  { name: 'cfm-auth', fastify: '5.x', dependencies: ['cfm-db'] },
);
