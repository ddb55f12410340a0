import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackProxy {
  readonly url: string;
  close(): Promise<void>;
}

/** A request as the proxy read it, whole, before choosing where it goes. */
export interface ProxiedRequest {
  /** Path and query, parsed against a placeholder origin. */
  url: URL;
  body: Buffer;
  authorization: string;
}

/**
 * A loopback HTTP server that reads each request whole, asks `route` for the origin that should answer it,
 * and forwards it there unchanged (method, headers, body), piping the answer back. No origin: 404.
 * `name` prefixes the error codes of its own answers (`<name>_no_target`, `<name>_upstream`).
 */
export async function startLoopbackProxy(
  name: string,
  route: (request: ProxiedRequest) => string | undefined,
): Promise<LoopbackProxy> {
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(incoming.url ?? '/', 'http://proxy');
      const target = route({ url, body, authorization: String(incoming.headers.authorization ?? '') });
      if (target === undefined) {
        outgoing.writeHead(404, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify({ error: `${name}_no_target` }));
        return;
      }
      const destination = new URL(`${url.pathname}${url.search}`, target);
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
        outgoing.end(JSON.stringify({ error: `${name}_upstream`, message: error.message }));
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
