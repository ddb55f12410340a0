import { connectorErrorOf, lastRequestTo, rejectionOf } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector from './index.js';
import { redirectUri, slackFlow } from './test/slack-flow.js';
import { type FakeSlack, startFakeSlack } from './testing/index.js';

describe('slack Web API calls', () => {
  let fake: FakeSlack;
  beforeAll(async () => {
    fake = await startFakeSlack();
  });
  afterAll(() => fake.close());

  it('check() calls auth.test with the bot token and returns the workspace', async () => {
    const flow = slackFlow(fake);
    const result = await connector.check(flow.context(await flow.connect()));
    const request = lastRequestTo(fake, '/api/auth.test');
    expect(request.method).toBe('POST');
    expect(request.headers['authorization']).toBe('Bearer [redacted]');
    expect(result.identity).toMatchObject({ accountId: fake.botUserId, workspace: fake.team.name });
    expect(result.identity.site).toMatch(/^https:\/\/.+\.slack\.com\/$/);
    expect(result.metadata).toMatchObject({
      teamId: fake.team.id,
      userId: fake.botUserId,
      botId: 'B0FAKE001',
    });
  });

  it('check() maps {ok:false, error:"invalid_auth"} (HTTP 200) to reason auth', async () => {
    const flow = slackFlow(fake);
    const tokens = await flow.connect();
    const bogus = { credentials: { ...tokens.credentials, accessToken: 'xoxb-not-a-real-token' } };
    const error = await connectorErrorOf(connector.check(flow.context(bogus)));
    expect(error).toMatchObject({ reason: 'auth', providerCode: 'invalid_auth' });
    expect(error.message).not.toContain('xoxb-not-a-real-token');
  });

  it('fetchSample() lists at most `limit` public, unarchived channels', async () => {
    const flow = slackFlow(fake);
    const sample = await connector.fetchSample?.(flow.context(await flow.connect()), { limit: 2 });
    const request = lastRequestTo(fake, '/api/conversations.list');
    expect(request.method).toBe('GET');
    expect(request.query).toEqual({ limit: '2', types: 'public_channel', exclude_archived: 'true' });
    expect(sample).toEqual({
      kind: 'channels',
      items: [
        { id: 'C0000000001', name: 'general', isPrivate: false, memberCount: 42 },
        { id: 'C0000000002', name: 'random', isPrivate: false, memberCount: 40 },
      ],
    });
    const all = await connector.fetchSample?.(flow.context(await flow.connect()), { limit: 50 });
    expect(all?.items.map((item) => (item as { name: string }).name)).toEqual([
      'general',
      'random',
      'engineering',
    ]);
  });

  it('fetchSample() surfaces {ok:false} answers', async () => {
    const flow = slackFlow(fake);
    const tokens = await flow.connect();
    fake.revokeToken(tokens.credentials.accessToken);
    const error = await rejectionOf(
      connector.fetchSample?.(flow.context(tokens), { limit: 2 }) ?? Promise.resolve(),
    );
    expect(error).toMatchObject({ reason: 'auth', providerCode: 'token_revoked' });
  });

  it('waits out a 429 Retry-After and then succeeds', async () => {
    const flow = slackFlow(fake);
    const context = flow.context(await flow.connect(), { retries: 2 });
    fake.rateLimitNext(1, { 'Retry-After': '0' });
    const result = await connector.check(context);
    expect(result.identity.accountId).toBe(fake.botUserId);
  });

  it('reports a 429 it cannot wait out as rate_limited with the delay Slack asked for', async () => {
    const flow = slackFlow(fake);
    // Slack asks for an hour; the client waits at most 1 s, so it gives up at once.
    const context = flow.context(await flow.connect(), { retries: 2, maxRetryDelayMs: 1000 });
    fake.rateLimitNext(3, { 'Retry-After': '3600' });
    try {
      const error = await rejectionOf(connector.check(context));
      expect(error).toMatchObject({
        reason: 'rate_limited',
        status: 429,
        retryAfterMs: 3_600_000,
        retryable: true,
      });
    } finally {
      fake.rateLimitNext(0);
    }
  });

  it('reports a 429 from oauth.v2.access as rate_limited', async () => {
    const flow = slackFlow(fake);
    const approval = await fake.approve(flow.authorizeUrl().toString());
    fake.rateLimitNext(1, { 'Retry-After': '30' });
    try {
      const error = await rejectionOf(
        flow.oauth.exchangeCode({
          code: approval.code,
          redirectUri,
          callbackParams: {},
        }),
      );
      expect(error).toMatchObject({ reason: 'rate_limited', retryAfterMs: 30_000 });
    } finally {
      fake.rateLimitNext(0);
    }
  });
});
