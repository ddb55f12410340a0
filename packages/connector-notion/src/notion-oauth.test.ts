import { connectorErrorOf, lastRequestTo, rejectionOf } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector, { NOTION_VERSION } from './index.js';
import { client, notionFlow, redirectUri } from './test/notion-flow.js';
import { type FakeNotion, startFakeNotion } from './testing/index.js';

describe('notion public-integration OAuth', () => {
  let fake: FakeNotion;
  beforeAll(async () => {
    fake = await startFakeNotion();
  });
  afterAll(() => fake.close());

  it('builds the authorize URL with owner=user and no scope or PKCE', () => {
    const url = notionFlow(fake).authorizeUrl('state-9');
    expect(url.origin + url.pathname).toBe(`${fake.url}/v1/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      owner: 'user',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      state: 'state-9',
    });
  });

  it('exchanges the code with HTTP Basic, a JSON body and Notion-Version', async () => {
    const tokens = await notionFlow(fake).connect();
    const request = lastRequestTo(fake, '/v1/oauth/token');
    expect(request.headers['authorization']).toBe('Basic [redacted]');
    expect(request.headers['content-type']).toContain('application/json');
    expect(request.headers['notion-version']).toBe(NOTION_VERSION);
    expect(request.body).toEqual({
      grant_type: 'authorization_code',
      code: expect.any(String),
      redirect_uri: redirectUri,
    });
    expect(tokens.credentials.expiresAt).toBeNull();
    expect(tokens.credentials.refreshToken).toBeTypeOf('string');
    expect(tokens.metadata).toEqual({
      botId: fake.botId,
      workspaceId: fake.workspace.id,
      workspaceName: fake.workspace.name,
      workspaceIcon: fake.workspace.icon,
      ownerType: 'user',
      ownerUserId: fake.owner.id,
      ownerUserName: fake.owner.name,
      ownerUserEmail: fake.owner.email,
    });
  });

  it('is refused by a token endpoint that only takes Basic when the client goes in the body', async () => {
    // Proves the fake really rejects body client auth, so the test above can fail.
    const flow = notionFlow(fake);
    const approval = await fake.approve(flow.authorizeUrl().toString());
    const response = await fetch(`${fake.url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'notion-version': NOTION_VERSION },
      body: JSON.stringify({
        grant_type: 'authorization_code',
        code: approval.code,
        redirect_uri: redirectUri,
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('maps a 400 invalid_grant exchange to reason auth', async () => {
    const flow = notionFlow(fake);
    const error = await rejectionOf(
      flow.oauth.exchangeCode({ code: 'not-a-code', redirectUri, callbackParams: {} }),
    );
    expect(error).toMatchObject({ reason: 'auth', providerCode: 'invalid_grant', status: 400 });
  });

  it('refreshes with Basic + JSON and rotates the refresh token', async () => {
    const { oauth, connect } = notionFlow(fake);
    const tokens = await connect();
    const refreshed = await oauth.refresh({ credentials: tokens.credentials });
    const request = lastRequestTo(fake, '/v1/oauth/token');
    expect(request.headers['authorization']).toBe('Basic [redacted]');
    expect(request.body).toEqual({
      grant_type: 'refresh_token',
      refresh_token: tokens.credentials.refreshToken,
    });
    expect(refreshed.credentials.accessToken).not.toBe(tokens.credentials.accessToken);
    expect(refreshed.credentials.refreshToken).not.toBe(tokens.credentials.refreshToken);
    expect(refreshed.credentials.expiresAt).toBeNull();
    expect(refreshed.metadata).toMatchObject({ workspaceId: fake.workspace.id });
    const error = await rejectionOf(oauth.refresh({ credentials: tokens.credentials }));
    expect(error).toMatchObject({ reason: 'auth', providerCode: 'invalid_grant' });
  });

  it('revokes with Basic and a JSON {token}', async () => {
    const flow = notionFlow(fake);
    const tokens = await flow.connect();
    await flow.oauth.revoke({ credentials: tokens.credentials });
    const request = lastRequestTo(fake, '/v1/oauth/revoke');
    expect(request.headers['authorization']).toBe('Basic [redacted]');
    expect(request.headers['notion-version']).toBe(NOTION_VERSION);
    expect(request.body).toEqual({ token: tokens.credentials.accessToken });
    const error = await rejectionOf(connector.check(flow.context(tokens)));
    expect(error).toMatchObject({ reason: 'auth', providerCode: 'unauthorized', status: 401 });
  });

  it('fails revocation with the wrong client secret', async () => {
    const tokens = await notionFlow(fake).connect();
    const wrong = notionFlow(fake, { ...client, clientSecret: 'wrong-secret' });
    const error = await connectorErrorOf(wrong.oauth.revoke({ credentials: tokens.credentials }));
    expect(error).toMatchObject({ status: 401 });
    expect(error.message).not.toContain('wrong-secret');
  });
});
