import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorContext } from './connector-context.js';
import { defineConnector } from './define-connector.js';
import { createOriginRewriter } from './http/origin-rewriter.js';
import { type LocalServer, sendJson, startLocalServer } from './test/local-server.js';

let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer((request, response) => {
    if (request.headers['dd-api-key'] !== 'key-1') return sendJson(response, 403, { errors: ['Forbidden'] });
    return sendJson(response, 200, { valid: true });
  });
});

afterAll(async () => {
  await server.close();
});

const connector = defineConnector({
  key: 'datadog-like',
  name: 'Datadog-like',
  description: 'Validates an API key.',
  configSchema: Type.Object({ site: Type.String() }),
  auth: [
    {
      type: 'oauth2',
      authorizeUrl: 'https://app.{site}/authorize',
      tokenUrl: 'https://api.{site}/token',
      scopes: { required: [] },
    },
    { type: 'api_key', fields: [{ name: 'apiKey', label: 'API key', in: 'header', param: 'DD-API-KEY' }] },
  ],
  async check(ctx) {
    await ctx.http.get(`https://api.${ctx.config.site}/api/v1/validate`);
    return { identity: { accountId: ctx.config.site } };
  },
});

describe('createConnectorContext', () => {
  const rewriteUrl = () => createOriginRewriter(new Map([['https://api.example.test', server.origin]]));

  it('gives check an http client that applies the credentials of the matching auth type', async () => {
    const ctx = createConnectorContext(connector, {
      config: { site: 'example.test' },
      credentials: { type: 'api_key', values: { apiKey: 'key-1' } },
      rewriteUrl: rewriteUrl(),
    });
    await expect(connector.check(ctx)).resolves.toEqual({ identity: { accountId: 'example.test' } });
    expect(ctx.metadata).toEqual({});
  });

  it('surfaces a rejected key as a permission ConnectorError', async () => {
    const ctx = createConnectorContext(connector, {
      config: { site: 'example.test' },
      credentials: { type: 'api_key', values: { apiKey: 'wrong-key' } },
      rewriteUrl: rewriteUrl(),
      retries: 0,
    });
    await expect(connector.check(ctx)).rejects.toMatchObject({
      reason: 'permission',
      providerCode: 'Forbidden',
    });
  });
});
