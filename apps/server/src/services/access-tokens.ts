/** The only algorithm accepted: a shared-secret deployment has no business with `none`, RS256 or HS512. */
export const ACCESS_TOKEN_ALGORITHM = 'HS256';

/** `JWT_MAX_AGE` default: a token may live at most a day (`exp - iat`). */
export const DEFAULT_MAX_AGE_SECONDS = 24 * 3600;
/** `JWT_CLOCK_SKEW_SECONDS` default: how far an issuer's clock may run ahead of ours (`iat`, `nbf`). */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
/** Verified tokens remembered (by a hash of the whole token) so a repeated token skips the HMAC. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

const SUBJECT_MAX_LENGTH = 255;
const EMAIL_MAX_LENGTH = 320;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
// NUL and other control characters: PostgreSQL refuses NUL in text, and none belongs in an id or address.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export interface AccessTokenSettings {
  secret: string;
  issuer?: string;
  audience?: string;
  /** Longest accepted lifetime, `exp - iat` (or `exp - now` without `iat`). Default {@link DEFAULT_MAX_AGE_SECONDS}. */
  maxAgeSeconds?: number;
  /** Tolerated clock difference for `iat` and `nbf` in the future. Default {@link DEFAULT_CLOCK_SKEW_SECONDS}. */
  clockSkewSeconds?: number;
}

export interface AccessTokenClaims {
  subject: string;
  email: string;
  role: 'user' | 'admin';
}

export type VerifyFailure = 'expired' | 'invalid';

/** Thrown by {@link claimsOf} and {@link accessTokenErrorOf}; `reason` tells expired tokens from every other failure. */
export class AccessTokenError extends Error {
  readonly reason: VerifyFailure;

  constructor(reason: VerifyFailure, message: string) {
    super(message);
    this.name = 'AccessTokenError';
    this.reason = reason;
  }
}

const invalid = (why: string) => new AccessTokenError('invalid', `The access token is invalid: ${why}`);

/**
 * The options of the verifier `@fastify/jwt` builds (fast-jwt's `createVerifier`): HS256 only, `exp` and
 * `sub` required, `iss`/`aud` required and matched when configured, and fast-jwt's cache of verified
 * tokens. `nbf` is left to {@link claimsOf}, which applies the clock skew to it.
 */
export function verifierOptions(settings: AccessTokenSettings) {
  const { issuer, audience } = settings;
  return {
    algorithms: [ACCESS_TOKEN_ALGORITHM] as (typeof ACCESS_TOKEN_ALGORITHM)[],
    // fast-jwt skips `allowedIss`/`allowedAud` for a token without the claim: require it.
    requiredClaims: [
      'exp',
      'sub',
      ...(issuer === undefined ? [] : ['iss']),
      ...(audience === undefined ? [] : ['aud']),
    ],
    ...(issuer !== undefined && { allowedIss: issuer }),
    ...(audience !== undefined && { allowedAud: audience }),
    ignoreNotBefore: true,
    cache: VERIFIED_TOKEN_CACHE_SIZE,
  };
}

/**
 * A verifier's failure as an {@link AccessTokenError}, or undefined for anything that is not a token
 * failure. fast-jwt's messages name the failed check (`The iss claim value is not allowed.`) and never
 * echo the token.
 */
export function accessTokenErrorOf(error: unknown): AccessTokenError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('FAST_JWT_')) return undefined;
  if (code === 'FAST_JWT_EXPIRED') return new AccessTokenError('expired', 'The access token has expired');
  return invalid((error as Error).message);
}

function numericDate(payload: Record<string, unknown>, claim: string): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`"${claim}" must be a number`);
  return value;
}

/**
 * Our rules for a token whose signature, algorithm, `exp`, `iss` and `aud` the verifier accepted, run on
 * every request (a cached verdict included, since the clock moves):
 * - expired once `exp` is reached (whole seconds, as before);
 * - `exp - iat` (or `exp - now` without `iat`) at most `maxAgeSeconds`: a token valid for a century is refused;
 * - `iat` and `nbf` at most `clockSkewSeconds` in the future;
 * - `sub` and `email` bounded strings without control characters (a NUL would fail in PostgreSQL).
 */
export function claimsOf(
  settings: AccessTokenSettings,
  payload: Record<string, unknown>,
  nowMs: number = Date.now(),
): AccessTokenClaims {
  const now = Math.floor(nowMs / 1000);
  const maxAge = settings.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  const skew = settings.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const exp = numericDate(payload, 'exp');
  if (exp === undefined) throw invalid('"exp" is required');
  if (exp <= now) throw new AccessTokenError('expired', 'The access token has expired');
  const iat = numericDate(payload, 'iat');
  const nbf = numericDate(payload, 'nbf');
  if (iat !== undefined && iat > now + skew) throw invalid('"iat" is in the future');
  if (nbf !== undefined && nbf > now + skew) throw invalid('it is not valid yet ("nbf" is in the future)');
  if (exp - (iat ?? now) > maxAge + (iat === undefined ? skew : 0)) {
    throw invalid(`it is valid for longer than the ${maxAge} seconds this server accepts`);
  }
  const { sub, email, role } = payload;
  if (
    typeof sub !== 'string' ||
    sub.trim() === '' ||
    sub.length > SUBJECT_MAX_LENGTH ||
    CONTROL_CHARACTER.test(sub)
  ) {
    throw invalid(`"sub" must be a non-empty string of at most ${SUBJECT_MAX_LENGTH} printable characters`);
  }
  if (
    typeof email !== 'string' ||
    email.length > EMAIL_MAX_LENGTH ||
    !EMAIL.test(email) ||
    CONTROL_CHARACTER.test(email)
  ) {
    throw invalid('"email" must be an email address');
  }
  return { subject: sub, email: email.toLowerCase(), role: role === 'admin' ? 'admin' : 'user' };
}

const encoder = new TextEncoder();

/**
 * Signs an HS256 access token the server accepts (what `pnpm dev-token` prints), with `iat`, so its
 * lifetime is bounded by `JWT_MAX_AGE`.
 *
 * @example
 * const jwt = await signAccessToken(config.jwt, { subject: 'u1', email: 'a@example.com', role: 'user' }, 3600);
 */
export async function signAccessToken(
  settings: AccessTokenSettings,
  claims: AccessTokenClaims,
  ttlSeconds: number,
): Promise<string> {
  // Only `pnpm dev-token` signs: the server verifies (fast-jwt) and never loads jose.
  const { SignJWT } = await import('jose');
  let builder = new SignJWT({ email: claims.email, ...(claims.role === 'admin' ? { role: 'admin' } : {}) })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds);
  if (settings.issuer !== undefined) builder = builder.setIssuer(settings.issuer);
  if (settings.audience !== undefined) builder = builder.setAudience(settings.audience);
  return builder.sign(encoder.encode(settings.secret));
}
