import type { webcrypto } from 'node:crypto';
import { createHash } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

/**
 * The verified-token cache is keyed by a SHA-256 of the whole token (signature included, so a forged
 * variant never matches): a fixed 43 characters per entry whatever the token's size, and no JWT kept.
 */
function cacheKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

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

/** Verified tokens remembered per settings object; the oldest goes first when full. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

interface Verifier {
  settings: Readonly<AccessTokenSettings>;
  key: Promise<webcrypto.CryptoKey>;
  /** Token → its claims and `exp` (seconds). Only tokens that passed every check are here. */
  verified: Map<string, { claims: AccessTokenClaims; exp: number }>;
}

/**
 * What verification keeps per settings object: the HMAC key, imported once (given raw bytes, jose imports
 * a WebCrypto key on every call), and the tokens that already passed, so a client sending the same token
 * on every request pays the HMAC (a round trip to the libuv pool) once. A hit still honours `exp` exactly
 * as jose does. Keyed by the settings object and checked against its values, so changed settings never
 * reuse a key or a verdict made under the old ones.
 */
const verifiers = new WeakMap<AccessTokenSettings, Verifier>();

function verifierFor(settings: AccessTokenSettings): Verifier {
  const cached = verifiers.get(settings);
  if (
    cached !== undefined &&
    cached.settings.secret === settings.secret &&
    cached.settings.issuer === settings.issuer &&
    cached.settings.audience === settings.audience
  ) {
    return cached;
  }
  const key = crypto.subtle.importKey(
    'raw',
    encoder.encode(settings.secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const verifier: Verifier = { settings: { ...settings }, key, verified: new Map() };
  verifiers.set(settings, verifier);
  return verifier;
}

/** jose's clock: whole seconds, a token is expired once `exp <= now`. */
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function remember(verifier: Verifier, token: string, claims: AccessTokenClaims, exp: number): void {
  if (verifier.verified.size >= VERIFIED_TOKEN_CACHE_SIZE) {
    const oldest = verifier.verified.keys().next();
    if (oldest.done !== true) verifier.verified.delete(oldest.value);
  }
  verifier.verified.set(cacheKey(token), { claims, exp });
}

/**
 * Signs an HS256 access token the server accepts (what `pnpm dev-token` prints).
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
  const verifier = verifierFor(settings);
  const key = cacheKey(token);
  const known = verifier.verified.get(key);
  if (known !== undefined) {
    if (known.exp > nowSeconds()) return { ...known.claims };
    verifier.verified.delete(key); // and verify again, which reports it expired
  }
  let payload: Record<string, unknown>;
  try {
    const result = await jwtVerify(token, await verifier.key, {
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
  const claims: AccessTokenClaims = {
    subject: sub,
    email: email.toLowerCase(),
    role: role === 'admin' ? 'admin' : 'user',
  };
  // `exp` is a number here: jose requires it (`requiredClaims`) and rejects a non-numeric one.
  remember(verifier, token, claims, payload['exp'] as number);
  return { ...claims };
}
