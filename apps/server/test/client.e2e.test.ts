import type { AddressInfo } from 'node:net';
import {
  type AuthorizeResponse,
  type CfmClient,
  type Connection,
  type ConnectionList,
  type Connector,
  createCfmClient,
  type ErrorResponse,
} from '@cfm/client';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createTestApp, type TestApp, tokenFor } from '../src/test/helpers.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/**
 * `@cfm/client` as a front end uses it: its own `fetch` over real HTTP (so empty bodies, content types and
 * status codes are what a browser sees), with the client-wide JSON content type generated clients often
 * set. The server runs in this process on a free loopback port. SQLite only: nothing here is about the
 * database.
 */
describe('@cfm/client against the server', () => {
  let test: TestApp;
  let baseUrl: string;
  let cfm: CfmClient;
  /** `METHOD content-type` of each request the client sent. */
  const sent: string[] = [];

  beforeAll(async () => {
    test = await createTestApp('sqlite', {
      env: { NOTION_CLIENT_ID: 'notion-client', NOTION_CLIENT_SECRET: 'notion-secret' },
    });
    await test.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}`;
    const token = await tokenFor({ email: 'ada@example.com', subject: 'ada' });
    cfm = createCfmClient({ baseUrl, token: () => token, headers: { 'content-type': 'application/json' } });
    cfm.use({
      onRequest({ request }) {
        sent.push(`${request.method} ${request.headers.get('content-type')}`);
      },
    });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('lists the connectors, typed as Connector', async () => {
    const { data, error, response } = await cfm.GET('/api/connectors');
    expectTypeOf(data).toEqualTypeOf<Connector[] | undefined>();
    expect(response.status, JSON.stringify(error)).toBe(200);
    const notion = data?.find((connector) => connector.key === 'notion');
    expect(notion).toMatchObject({ key: 'notion', configured: true, status: 'loaded' });
  });

  it('creates, lists, reads and deletes a connection; a DELETE with the JSON content type is no 400', async () => {
    const created = await cfm.POST('/api/connections', { body: { connector_key: 'notion' } });
    expectTypeOf(created.data).toEqualTypeOf<Connection | undefined>();
    expect(created.response.status, JSON.stringify(created.error)).toBe(201);
    const id = created.data!.id;
    expect(created.data).toMatchObject({
      connector_key: 'notion',
      status: 'pending',
      has_credentials: false,
    });

    const list = await cfm.GET('/api/connections', { params: { query: { connector: 'notion' } } });
    expectTypeOf(list.data).toEqualTypeOf<ConnectionList | undefined>();
    expect(list.data?.items.map((connection) => connection.id)).toEqual([id]);

    const path = { params: { path: { id } } };
    expect((await cfm.GET('/api/connections/{id}', path)).data?.id).toBe(id);

    const deleted = await cfm.DELETE('/api/connections/{id}', path);
    expect(sent.at(-1)).toBe('DELETE application/json');
    expect(deleted.response.status, JSON.stringify(deleted.error)).toBe(204);

    const again = await cfm.DELETE('/api/connections/{id}', path);
    expect(again.response.status).toBe(404);
    const revoked = await cfm.DELETE('/api/oauth/{connector}/revoke/{connection_id}', {
      params: { path: { connector: 'notion', connection_id: UNKNOWN_ID } },
    });
    expect(revoked.response.status, JSON.stringify(revoked.error)).toBe(404);
  });

  it('types error answers as ErrorResponse', async () => {
    const { data, error, response } = await cfm.GET('/api/connections/{id}', {
      params: { path: { id: UNKNOWN_ID } },
    });
    expectTypeOf(error).toEqualTypeOf<ErrorResponse | undefined>();
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(error).toMatchObject({
      statusCode: 404,
      code: expect.stringMatching(/^CFM_/),
      error: 'Not Found',
    });

    const anonymous = createCfmClient({ baseUrl });
    const refused = await anonymous.GET('/api/connectors');
    expect(refused.response.status).toBe(401);
    expect(refused.error?.code).toBe('CFM_AUTH_REQUIRED');
  });

  it('starts an OAuth flow (AuthorizeResponse) and refuses a callback with an unknown state', async () => {
    const connector = { params: { path: { connector: 'notion' } } };
    const { data, error } = await cfm.GET('/api/oauth/{connector}/authorize', connector);
    expectTypeOf(data).toEqualTypeOf<AuthorizeResponse | undefined>();
    expect(error).toBeUndefined();
    const url = new URL(data!.authorization_url);
    expect(url.searchParams.get('state')).toBe(data!.state);

    const callback = await cfm.POST('/api/oauth/{connector}/callback', {
      ...connector,
      body: { code: 'a-code', state: 'not-a-state-we-issued' },
    });
    expect(callback.data).toBeUndefined();
    expect(callback.response.status).toBeGreaterThanOrEqual(400);
    expect(callback.error?.code).toMatch(/^CFM_OAUTH_/);
  });
});
