import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { compareThroughput } from './lib/measure.mjs';
import { importBuilt, repoUrl } from './lib/paths.mjs';

const BODY = JSON.stringify({
  id: 'user-42',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  workspace: { id: 'w-1', name: 'Analytical Engines' },
  active: true,
});
const ACCESS_TOKEN = 'bench-access-token-0123456789abcdef';

/** A keep-alive node:http server answering a small JSON document to every request. */
async function startJsonServer() {
  const server = createServer((request, response) => {
    const authorized = request.headers.authorization === `Bearer ${ACCESS_TOKEN}`;
    response.writeHead(authorized ? 200 : 401, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(BODY),
    });
    response.end(BODY);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/v1/me`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * The SDK's `createHttpClient` (credentials, timeout signal, retry loop, JSON parsing, error mapping)
 * against `undici.request` with the same header and JSON parsing, the very undici the SDK is built on.
 */
export async function run(settings) {
  const { createHttpClient } = await importBuilt('packages/connector-sdk/dist/index.js');
  // The SDK's own copy of undici: the baseline must not differ by version or dispatcher.
  const { request } = createRequire(repoUrl('packages/connector-sdk/package.json'))('undici');
  const server = await startJsonServer();
  try {
    const http = createHttpClient({ credentials: { type: 'oauth2', accessToken: ACCESS_TOKEN } });
    const ours = async () => {
      const response = await http.get(server.url);
      if (response.body.id !== 'user-42') throw new Error('createHttpClient answered an unexpected body');
    };
    const baseline = async () => {
      const response = await request(server.url, {
        headers: { authorization: `Bearer ${ACCESS_TOKEN}`, accept: 'application/json' },
      });
      const body = await response.body.json();
      if (response.statusCode !== 200 || body.id !== 'user-42') {
        throw new Error('undici.request answered an unexpected body');
      }
    };
    const result = await compareThroughput({ ours, baseline, settings });
    return [
      {
        benchmark: 'http-client',
        variant: `GET ${Buffer.byteLength(BODY)} B JSON`,
        labels: { ours: 'createHttpClient().get', baseline: 'undici.request + body.json()' },
        ...result,
      },
    ];
  } finally {
    await server.close();
  }
}
