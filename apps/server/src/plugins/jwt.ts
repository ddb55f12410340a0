import fastifyJwt from '@fastify/jwt';
import fp from 'fastify-plugin';
import {
  type AccessTokenClaims,
  type AccessTokenSettings,
  accessTokenErrorOf,
  claimsOf,
  verifierOptions,
} from '../services/access-tokens.js';
import type { User } from '../services/users.js';

declare module '@fastify/jwt' {
  interface FastifyJWT {
    // `request.user` is the auth plugin's (a user row, or null): @fastify/jwt's own decorator is renamed below.
    user: User | null;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Verifies a user's access token (a JWT) and returns its claims; throws `AccessTokenError` (`expired`
     * or `invalid`). Synchronous: HS256 with a static key, and a token seen before is a cache hit.
     */
    verifyAccessToken(token: string): AccessTokenClaims;
  }
}

export interface JwtPluginOptions {
  jwt: AccessTokenSettings;
}

/**
 * `@fastify/jwt` with HS256 pinned, `exp`/`sub` (and `iss`/`aud` when configured) required, and fast-jwt's
 * cache of verified tokens (keyed by a hash of the whole token, kept until `exp`, at most 10 minutes);
 * then our own rules on every call: the lifetime bound, the clock skew, and sane `sub`/`email` claims.
 */
export const jwtPlugin = fp<JwtPluginOptions>(
  async (app, { jwt }) => {
    await app.register(fastifyJwt, {
      secret: jwt.secret,
      verify: verifierOptions(jwt),
      // Never read: the auth plugin owns `request.user`.
      decoratorName: 'jwtPayload',
    });
    app.decorate('verifyAccessToken', (token: string): AccessTokenClaims => {
      let payload: Record<string, unknown>;
      try {
        payload = app.jwt.verify<Record<string, unknown>>(token);
      } catch (error) {
        throw accessTokenErrorOf(error) ?? error;
      }
      return claimsOf(jwt, payload);
    });
  },
  { name: 'cfm-jwt', fastify: '5.x' },
);
