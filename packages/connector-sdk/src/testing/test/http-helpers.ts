// Raw HTTP helpers for the fake provider's own tests (no SDK client: these test the fake itself).
import { createHash, randomBytes } from 'node:crypto';
import type { FakeOAuth2Provider } from '../fake-oauth2-types.js';

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function post(
  url: string,
  fields: Record<string, string>,
  options: { json?: boolean; basic?: [string, string]; bearer?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    'content-type': options.json ? 'application/json' : 'application/x-www-form-urlencoded',
  };
  if (options.basic)
    headers['authorization'] = `Basic ${Buffer.from(options.basic.join(':')).toString('base64')}`;
  if (options.bearer) headers['authorization'] = `Bearer ${options.bearer}`;
  const body = options.json ? JSON.stringify(fields) : new URLSearchParams(fields).toString();
  const response = await fetch(url, { method: 'POST', headers, body });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

export async function getWithToken(url: string, token: string): Promise<Answer> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(provider: FakeOAuth2Provider, extra: Record<string, string> = {}): string {
  const url = new URL(provider.authorizeUrl);
  const params = {
    client_id: provider.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    state: 'state-123',
    scope: 'read write',
    ...extra,
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}
