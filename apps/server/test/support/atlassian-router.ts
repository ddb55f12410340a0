import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One fake behind the router, and how to recognise its traffic. */
export interface RoutedFake {
  url: string;
  clientId: string;
  /** `/ex/jira/` for Jira's product API. */
  pathPrefix: string;
  /** Access and refresh token prefixes the fake was started with. */
  tokenPrefixes: string[];
}

export interface AtlassianRouter {
  readonly url: string;
  close(): Promise<void>;
}

function pick(
  fakes: RoutedFake[],
  path: string,
  body: string,
  query: URLSearchParams,
  authorization: string,
) {
  const byPath = fakes.find((fake) => path.startsWith(fake.pathPrefix));
  if (byPath) return byPath;
  let clientId = query.get('client_id') ?? undefined;
  let token = authorization.replace(/^Bearer\s+/i, '');
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
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(incoming.url ?? '/', 'http://router');
      const target = pick(
        fakes,
        url.pathname,
        body.toString('utf8'),
        url.searchParams,
        String(incoming.headers.authorization ?? ''),
      );
      if (!target) {
        outgoing.writeHead(404, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify({ error: 'atlassian_router_no_target' }));
        return;
      }
      const destination = new URL(`${url.pathname}${url.search}`, target.url);
      const forwarded = httpRequest(
        destination,
        { method: incoming.method, headers: { ...incoming.headers, host: destination.host } },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', (error) => {
        outgoing.writeHead(502, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify({ error: 'atlassian_router_upstream', message: error.message }));
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
