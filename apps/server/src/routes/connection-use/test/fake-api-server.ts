import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';

/** What the provider API saw of one request (the proxy tests assert on these). */
export interface SeenRequest {
  method: string;
  /** The raw request target (path and query) exactly as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
  bodySha256: string;
}

export interface FakeApiServer {
  url: string;
  seen: SeenRequest[];
  /** The next `count` authenticated requests answer 429 with `Retry-After: seconds`. */
  rateLimitNext(count: number, seconds: number): void;
  close(): Promise<void>;
}

const MIB = 1024 * 1024;

/**
 * A provider API on 127.0.0.1 accepting the fake OAuth 2 provider's live access tokens (401 with an OAuth
 * style body otherwise): an echo, a large streamed download, a hanging endpoint, a redirect, cookies and
 * hop-by-hop headers, a rate limit. Everything it receives is recorded.
 */
export async function startFakeApiServer(provider: FakeOAuth2Provider): Promise<FakeApiServer> {
  const seen: SeenRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let limited = { count: 0, seconds: 0 };

  function authorized(request: IncomingMessage): boolean {
    const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    if (match === null) return false;
    const token = provider.tokens.find((record) => record.value === match[1] && record.kind === 'access');
    return token !== undefined && token.state === 'active';
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const hash = createHash('sha256');
    let bodyBytes = 0;
    for await (const chunk of request) {
      hash.update(chunk as Buffer);
      bodyBytes += (chunk as Buffer).length;
    }
    const record: SeenRequest = {
      method: request.method ?? '',
      url: request.url ?? '',
      headers: { ...request.headers },
      bodyBytes,
      bodySha256: hash.digest('hex'),
    };
    seen.push(record);
    if (!authorized(request)) {
      response.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': 'Bearer error="invalid_token"',
      });
      response.end(JSON.stringify({ error: 'invalid_token' }));
      return;
    }
    if (limited.count > 0) {
      limited.count -= 1;
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(limited.seconds) });
      response.end(JSON.stringify({ error: 'rate_limited' }));
      return;
    }
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (path.startsWith('/v1/echo')) {
      response.writeHead(200, { 'content-type': 'application/json', 'x-provider-header': 'kept' });
      response.end(JSON.stringify(record));
    } else if (path === '/v1/big') {
      const mib = Number(new URL(request.url ?? '', 'http://x').searchParams.get('mib') ?? '1');
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(mib * MIB),
      });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let left = mib * MIB;
      const pump = () => {
        while (left > 0) {
          left -= chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      pump();
    } else if (path === '/v1/hang') {
      hanging.add(response);
    } else if (path === '/v1/redirect') {
      response.writeHead(302, { location: 'https://elsewhere.example/landing' });
      response.end();
    } else if (path === '/v1/cookie') {
      response.writeHead(201, {
        'content-type': 'text/plain',
        'set-cookie': 'provider_session=abc; HttpOnly',
        connection: 'x-hop',
        'x-hop': 'dropped',
        'x-kept': 'yes',
      });
      response.end('created');
    } else {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'not_found' }));
    }
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    rateLimitNext(count, seconds) {
      limited = { count, seconds };
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
