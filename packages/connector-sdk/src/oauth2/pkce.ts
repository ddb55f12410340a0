import { createHash, randomBytes } from 'node:crypto';

/**
 * A PKCE (RFC 7636) pair: a 43-character verifier from 32 random bytes (base64url) and its S256
 * challenge. Keep the verifier server-side; send only the challenge to the browser.
 *
 * @example
 * ```ts
 * const { verifier, challenge } = createPkcePair();
 * ```
 */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}
