import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrowserBindingCookie } from '../../services/oauth-browser-binding.js';

/** Sent only to the OAuth routes; the GET callback is the one that reads it. */
const COOKIE_PATH = '/api/oauth';

/**
 * `HttpOnly` (scripts never see it), `SameSite=Lax` (sent on the provider's top-level redirect to the
 * GET callback, never on cross-site subrequests), `Secure` in production, host-only (no `Domain`).
 */
function attributes(maxAgeSeconds: number, secure: boolean): string {
  return `Path=${COOKIE_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

export function setBindingCookie(reply: FastifyReply, cookie: BrowserBindingCookie, secure: boolean): void {
  reply.header('set-cookie', `${cookie.name}=${cookie.value}; ${attributes(cookie.maxAgeSeconds, secure)}`);
}

/** Tells the browser to drop the binding cookie (the state it binds is spent or useless). */
export function clearBindingCookie(reply: FastifyReply, name: string, secure: boolean): void {
  reply.header('set-cookie', `${name}=; ${attributes(0, secure)}`);
}

/** The request's cookies by name (RFC 6265 `Cookie` header); the first of duplicate names wins. */
export function requestCookies(request: FastifyRequest): Record<string, string> {
  // No prototype: a cookie named `__proto__` stays a plain entry.
  const cookies: Record<string, string> = Object.create(null);
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator <= 0) continue;
    const name = pair.slice(0, separator).trim();
    const value = pair
      .slice(separator + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (name !== '' && !Object.hasOwn(cookies, name)) cookies[name] = value;
  }
  return cookies;
}
