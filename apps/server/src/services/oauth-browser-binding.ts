import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const HKDF_INFO = 'cfm oauth browser binding key v1';
const COOKIE_PREFIX = 'cfm_oauth_';
const NONCE = /^[A-Za-z0-9_-]{43}$/;

/** The cookie that binds one pending authorization to the browser that started it. */
export interface BrowserBindingCookie {
  name: string;
  /** HMAC of the state's nonce: only the server can compute it, so only the starting browser holds it. */
  value: string;
  /** The state's remaining lifetime. */
  maxAgeSeconds: number;
}

/**
 * Proves that the browser finishing an authorization at the unauthenticated GET callback is the one
 * that started it (no login CSRF, no account injection with a leaked authorization URL). The authorize
 * answer sets a cookie named after the state (`cfm_oauth_<first 16 characters of its nonce>`, so parallel
 * flows in several tabs do not overwrite each other) whose value is an HMAC of the nonce under a key
 * derived with HKDF from the JWT secret (another `info` than the state's signing key). The value is never
 * stored; the GET callback recomputes it and compares in constant time.
 */
export class OAuthBrowserBinding {
  readonly #key: Buffer;

  constructor(jwtSecret: Uint8Array | string) {
    const secret = typeof jwtSecret === 'string' ? Buffer.from(jwtSecret, 'utf8') : Buffer.from(jwtSecret);
    this.#key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), HKDF_INFO, 32));
  }

  cookieFor(nonce: string, expiresAt: Date, now: Date): BrowserBindingCookie {
    return {
      name: cookieName(nonce),
      value: this.#valueOf(nonce),
      maxAgeSeconds: Math.max(1, Math.ceil((expiresAt.getTime() - now.getTime()) / 1000)),
    };
  }

  /** True when `cookies` hold this nonce's cookie with the right value. */
  matches(nonce: string, cookies: Readonly<Record<string, string>>): boolean {
    const given = cookies[cookieName(nonce)];
    if (given === undefined) return false;
    const expected = Buffer.from(this.#valueOf(nonce), 'utf8');
    const presented = Buffer.from(given, 'utf8');
    return expected.byteLength === presented.byteLength && timingSafeEqual(expected, presented);
  }

  #valueOf(nonce: string): string {
    return createHmac('sha256', this.#key).update(`browser:${nonce}`).digest('base64url');
  }
}

function cookieName(nonce: string): string {
  return `${COOKIE_PREFIX}${nonce.slice(0, 16)}`;
}

/** The binding cookie's name for a `state` as the callback received it; undefined when it is malformed. */
export function browserCookieNameOf(state: string | undefined): string | undefined {
  const nonce = state?.split('.')[0];
  return nonce !== undefined && NONCE.test(nonce) ? cookieName(nonce) : undefined;
}
