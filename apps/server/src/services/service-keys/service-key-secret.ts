import { createHash, randomBytes } from 'node:crypto';

/** Every service key starts with this, so a bearer token is told from a JWT without parsing it. */
export const SERVICE_KEY_PREFIX = 'cfm_sk_';

/** Characters of a key kept for display (`cfm_sk_` and 5 more): enough to recognise it, useless to guess it. */
export const SERVICE_KEY_DISPLAY_LENGTH = 12;

/** `cfm_sk_` + base64url of 32 random bytes (43 characters, no padding). */
const WELL_FORMED = /^cfm_sk_[A-Za-z0-9_-]{43}$/;

/** A new key: shown to its creator once; only {@link hashServiceKey} of it is stored. */
export function generateServiceKey(): string {
  return `${SERVICE_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** True for anything presented as a service key (right or wrong), as opposed to a JWT. */
export function looksLikeServiceKey(token: string): boolean {
  return token.startsWith(SERVICE_KEY_PREFIX);
}

/** True when `token` has the exact shape of a key we issue: anything else is refused without a query. */
export function isWellFormedServiceKey(token: string): boolean {
  return WELL_FORMED.test(token);
}

/**
 * SHA-256 (hex) of the whole key. A key carries 256 random bits, so a fast unsalted hash is enough: there
 * is nothing to brute-force, and it makes each request one indexed equality lookup.
 */
export function hashServiceKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function displayPrefixOf(key: string): string {
  return key.slice(0, SERVICE_KEY_DISPLAY_LENGTH);
}
