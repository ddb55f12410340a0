import type { webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

/** The only algorithm accepted: a shared-secret deployment has no business with `none`, RS256 or HS512. */
export const ACCESS_TOKEN_ALGORITHM = 'HS256';

export interface AccessTokenSettings {
  secret: string;
  issuer?: string;
  audience?: string;
}

export interface AccessTokenClaims {
  subject: string;
  email: string;
  role: 'user' | 'admin';
}

export type VerifyFailure = 'expired' | 'invalid';

/** Thrown by {@link verifyAccessToken}; `reason` tells expired tokens from every other failure. */
export class AccessTokenError extends Error {
  readonly reason: VerifyFailure;

  constructor(reason: VerifyFailure, message: string) {
    super(message);
    this.name = 'AccessTokenError';
    this.reason = reason;
  }
}

const encoder = new TextEncoder();
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * The HMAC key of each settings object, imported once: given raw bytes, jose imports a WebCrypto key on
 * every verification, which was a visible share of each authenticated request. Keyed by the settings
 * object and checked against its secret, so a changed secret is never verified with a stale key.
 */
const verificationKeys = new WeakMap<AccessTokenSettings, { secret: string; key: Promise<webcrypto.CryptoKey> }>();

function verificationKey(settings: AccessTokenSettings): Promise<webcrypto.CryptoKey> {
  const cached = verificationKeys.get(settings);
  if (cached !== undefined && cached.secret === settings.secret) {
    return cached.key;
  }
  const key = crypto.subtle.importKey(
    'raw',
    encoder.encode(settings.secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  verificationKeys.set(settings, { secret: settings.secret, key });
  return key;
}

/**
 * Signs an HS256 access token the server accepts (what `pnpm token` prints).
 *
 * @example
 * const jwt = await signAccessToken(config.jwt, { subject: 'u1', email: 'a@example.com', role: 'user' }, 3600);
 */
export async function signAccessToken(
  settings: AccessTokenSettings,
  claims: AccessTokenClaims,
  ttlSeconds: number,
): Promise<string> {
  let builder = new SignJWT({ email: claims.email, ...(claims.role === 'admin' ? { role: 'admin' } : {}) })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds);
  if (settings.issuer !== undefined) builder = builder.setIssuer(settings.issuer);
  if (settings.audience !== undefined) builder = builder.setAudience(settings.audience);
  return builder.sign(encoder.encode(settings.secret));
}

/** Verifies signature, algorithm, `exp`, and `iss`/`aud` when configured. Throws {@link AccessTokenError}. */
export async function verifyAccessToken(
  settings: AccessTokenSettings,
  token: string,
): Promise<AccessTokenClaims> {
  let payload: Record<string, unknown>;
  try {
    const result = await jwtVerify(token, await verificationKey(settings), {
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      requiredClaims: ['exp', 'sub'],
      ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
      ...(settings.audience === undefined ? {} : { audience: settings.audience }),
    });
    payload = result.payload;
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw new AccessTokenError('expired', 'The access token has expired');
    }
    if (error instanceof errors.JOSEError) {
      // jose's messages name the failed check (`unexpected "iss" claim value`) and never echo the token.
      throw new AccessTokenError('invalid', `The access token is invalid: ${error.message}`);
    }
    throw error;
  }
  const { sub, email, role } = payload;
  if (typeof sub !== 'string' || sub.trim() === '' || sub.length > 255) {
    throw new AccessTokenError('invalid', 'The access token is invalid: "sub" must be a non-empty string');
  }
  if (typeof email !== 'string' || !EMAIL.test(email) || email.length > 320) {
    throw new AccessTokenError('invalid', 'The access token is invalid: "email" must be an email address');
  }
  return { subject: sub, email: email.toLowerCase(), role: role === 'admin' ? 'admin' : 'user' };
}
