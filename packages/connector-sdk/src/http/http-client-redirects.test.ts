import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors.js';
import { type LocalServer, sendJson, startLocalServer } from '../test/local-server.js';
import { createHttpClient } from './http-client.js';

const TOKEN = 'redirect-secret-token-1a2b3c4d';

describe('redirects', () => {
  let elsewhere: LocalServer;
  let provider: LocalServer;

  beforeAll(async () => {
    elsewhere = await startLocalServer((_request, response) => sendJson(response, 200, { stolen: true }));
    provider = await startLocalServer((_request, response) => {
      response.writeHead(302, { location: `${elsewhere.origin}/collect` });
      response.end();
    });
  });
  afterAll(async () => {
    await provider?.close();
    await elsewhere?.close();
  });

  it('are not followed, so credentials never reach the host a provider points at', async () => {
    const http = createHttpClient({ credentials: { type: 'oauth2', accessToken: TOKEN }, retries: 0 });
    const answered = await http.get(`${provider.origin}/me`, { throwOnError: false });
    expect(answered.status).toBe(302);
    const thrown = await http.get(`${provider.origin}/me`).catch((error: unknown) => error);
    expect(ConnectorError.is(thrown)).toBe(true);
    expect(String((thrown as Error).message)).not.toContain(TOKEN);
    expect(provider.requests).toHaveLength(2);
    expect(elsewhere.requests).toHaveLength(0);
  });
});
