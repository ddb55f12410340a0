import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CallbackPageSession, callbackPage, connectPage } from './callback-page.js';

export interface TestFrontEnd {
  /** `http://127.0.0.1:<port>`: the server's FRONTEND_BASE_URL (and so its CORS origin). */
  readonly url: string;
  /** What the next callback page gets (API origin, token, connector). */
  session: CallbackPageSession | null;
  close(): Promise<void>;
}

/**
 * A tiny front end on 127.0.0.1: `GET /oauth/callback` serves the callback page, `GET /connect` the page
 * that starts a flow from the browser; anything else is 404.
 */
export async function startTestFrontEnd(): Promise<TestFrontEnd> {
  const frontEnd: { session: CallbackPageSession | null } = { session: null };
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://front-end').pathname;
    const page = path === '/oauth/callback' ? callbackPage : path === '/connect' ? connectPage : undefined;
    if (request.method === 'GET' && page !== undefined) {
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      response.end(page(frontEnd.session));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('Not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return Object.assign(frontEnd, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  });
}
