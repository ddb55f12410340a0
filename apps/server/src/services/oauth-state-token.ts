import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a user has to approve at the provider. */
export const STATE_TTL_MS = 10 * 60 * 1000;

const HKDF_INFO = 'cfm oauth state signing key v1';
const NONCE = /^[A-Za-z0-9_-]{43}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

export type StateVerification =
  | { ok: true; nonce: string; expiresAt: Date }
  | { ok: false; reason: 'invalid' | 'expired'; nonce?: string };

/**
 * The `state` parameter: `<nonce>.<expiry in unix ms>.<HMAC-SHA256>`, signed with a key derived via HKDF
 * from the JWT secret (so the JWT key itself never signs anything else). The nonce is also the id of the
 * server-side `oauth_states` record, which holds everything else; the token carries no secret.
 */
export class OAuthStateSigner {
  readonly #key: Buffer;

  constructor(jwtSecret: Uint8Array | string) {
    const secret = typeof jwtSecret === 'string' ? Buffer.from(jwtSecret, 'utf8') : Buffer.from(jwtSecret);
    if (secret.byteLength < 16) throw new Error('the state signing secret must be at least 16 bytes');
    this.#key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), HKDF_INFO, 32));
  }

  issue(now: Date, ttlMs = STATE_TTL_MS): { token: string; nonce: string; expiresAt: Date } {
    const nonce = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + ttlMs);
    const payload = `${nonce}.${expiresAt.getTime()}`;
    return { token: `${payload}.${this.#sign(payload)}`, nonce, expiresAt };
  }

  /** Checks the signature first, then the expiry; never throws. */
  verify(token: string, now: Date): StateVerification {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'invalid' };
    const [nonce, expiry, signature] = parts as [string, string, string];
    if (!NONCE.test(nonce) || !/^\d{1,15}$/.test(expiry) || !SIGNATURE.test(signature)) {
      return { ok: false, reason: 'invalid' };
    }
    const expected = Buffer.from(this.#sign(`${nonce}.${expiry}`), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    if (expected.byteLength !== given.byteLength || !timingSafeEqual(expected, given)) {
      return { ok: false, reason: 'invalid' };
    }
    const expiresAt = new Date(Number(expiry));
    if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired', nonce };
    return { ok: true, nonce, expiresAt };
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}
