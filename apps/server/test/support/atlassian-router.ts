import { type LoopbackProxy, type ProxiedRequest, startLoopbackProxy } from './loopback-proxy.js';

/** One fake behind the router, and how to recognise its traffic. */
export interface RoutedFake {
  url: string;
  clientId: string;
  /** `/ex/jira/` for Jira's product API. */
  pathPrefix: string;
  /** Access and refresh token prefixes the fake was started with. */
  tokenPrefixes: string[];
}

export type AtlassianRouter = LoopbackProxy;

function pick(fakes: RoutedFake[], request: ProxiedRequest): RoutedFake | undefined {
  const byPath = fakes.find((fake) => request.url.pathname.startsWith(fake.pathPrefix));
  if (byPath) return byPath;
  const body = request.body.toString('utf8');
  let clientId = request.url.searchParams.get('client_id') ?? undefined;
  let token = request.authorization.replace(/^Bearer\s+/i, '');
  if (body !== '') {
    try {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      if (typeof parsed['client_id'] === 'string') clientId = parsed['client_id'];
      if (typeof parsed['refresh_token'] === 'string' && token === '') token = parsed['refresh_token'];
    } catch {
      const form = new URLSearchParams(body);
      clientId = form.get('client_id') ?? clientId;
    }
  }
  if (clientId !== undefined) return fakes.find((fake) => fake.clientId === clientId);
  return fakes.find((fake) => fake.tokenPrefixes.some((prefix) => token.startsWith(prefix)));
}

/**
 * Jira and Confluence both talk to `auth.atlassian.com` and `api.atlassian.com`, but each package ships
 * its own fake. One server process needs one origin override, so this loopback router sends each
 * request to the fake that owns it: by product path, by `client_id`, else by the Bearer token's prefix.
 */
export async function startAtlassianRouter(fakes: RoutedFake[]): Promise<AtlassianRouter> {
  return startLoopbackProxy('atlassian_router', (request) => pick(fakes, request)?.url);
}
