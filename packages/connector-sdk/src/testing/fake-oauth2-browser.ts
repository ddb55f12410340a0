import type { FakeApproval, FakeDenial } from './fake-oauth2-types.js';

/**
 * What a browser does on the fake's authorize page: follow the authorize URL, submit the consent
 * form, and stop at the redirect back to the app (the app's callback need not be reachable).
 */
async function decide(
  origin: string,
  authorizePath: string,
  authorizeUrl: string,
  decision: 'allow' | 'deny',
): Promise<string | null> {
  const given = new URL(authorizeUrl);
  // The connector may have built the URL for the real provider: send it to this fake either way.
  const first = await fetch(new URL(`${given.pathname}${given.search}`, origin), { redirect: 'manual' });
  const page = await first.text();
  if (first.status === 302) {
    if (decision === 'deny')
      throw new Error('fake provider: autoApprove is on, there is no consent page to deny');
    return first.headers.get('location');
  }
  if (first.status !== 200) {
    throw new Error(`fake provider: authorize answered ${first.status}: ${page.slice(0, 200)}`);
  }
  const requestId = /name="request" value="([^"]+)"/.exec(page)?.[1];
  if (!requestId) throw new Error('fake provider: the consent page has no request id');
  const second = await fetch(new URL(authorizePath, origin), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request: requestId, decision }).toString(),
  });
  const text = await second.text();
  if (second.status === 302) return second.headers.get('location');
  if (second.status === 200) return null;
  throw new Error(`fake provider: consent answered ${second.status}: ${text.slice(0, 200)}`);
}

export async function approveAt(
  origin: string,
  authorizePath: string,
  authorizeUrl: string,
): Promise<FakeApproval> {
  const location = await decide(origin, authorizePath, authorizeUrl, 'allow');
  if (location === null) throw new Error('fake provider: approval did not redirect back');
  const params = Object.fromEntries(new URL(location).searchParams);
  if (params['error'] !== undefined) {
    throw new Error(
      `fake provider: authorization failed: ${params['error']} (${params['error_description'] ?? ''})`,
    );
  }
  const code = params['code'];
  if (code === undefined) throw new Error('fake provider: the callback carries no code');
  return { code, state: params['state'] ?? '', callbackUrl: location, params };
}

export async function denyAt(
  origin: string,
  authorizePath: string,
  authorizeUrl: string,
): Promise<FakeDenial> {
  const location = await decide(origin, authorizePath, authorizeUrl, 'deny');
  if (location === null) return { callbackUrl: null, error: null, state: null };
  const params = new URL(location).searchParams;
  return { callbackUrl: location, error: params.get('error'), state: params.get('state') };
}
