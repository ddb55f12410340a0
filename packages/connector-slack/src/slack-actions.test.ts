import type { ActionContext } from '@cfm/connector-sdk';
import { connectorErrorOf, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector, { SLACK_BOT_SCOPES } from './index.js';
import { listChannels, postMessage } from './slack-actions.js';
import { slackFlow } from './test/slack-flow.js';
import { type FakeSlack, startFakeSlack } from './testing/index.js';

const WRITE_SCOPES = [...SLACK_BOT_SCOPES, 'chat:write'];

it('declares its actions under their snake_case names', () => {
  expect(connector.actions).toEqual({ list_channels: listChannels, post_message: postMessage });
  expect(listChannels.readOnly).toBe(true);
  expect(postMessage.readOnly).toBe(false);
});

describe('slack actions against the fake Slack', () => {
  let fake: FakeSlack;
  beforeAll(async () => {
    fake = await startFakeSlack();
  });
  afterAll(() => fake.close());

  /** An action context for a new connection, with `scopes` granted (default the required bot scopes). */
  async function connected(scopes?: string[]): Promise<{ ctx: ActionContext; token: string }> {
    const flow = slackFlow(fake);
    const tokens = await flow.connect(scopes ? { scopes } : {});
    return { ctx: flow.actionContext(tokens), token: tokens.credentials.accessToken };
  }

  describe('list_channels', () => {
    it('calls conversations.list under https://slack.com/api with the bot token and maps the channels', async () => {
      const { ctx } = await connected();
      const output = await listChannels.run(ctx, { limit: 2 });
      const request = lastRequestTo(fake, '/api/conversations.list');
      expect(request.method).toBe('GET');
      expect(request.headers['authorization']).toBe('Bearer [redacted]');
      expect(request.query).toEqual({ limit: '2', types: 'public_channel', exclude_archived: 'true' });
      expect(output.channels).toEqual([
        { id: 'C0000000001', name: 'general', is_private: false, member_count: 42 },
        { id: 'C0000000002', name: 'random', is_private: false, member_count: 40 },
      ]);
      expect(output.next_cursor).toEqual(expect.any(String));
    });

    it("follows Slack's next_cursor to the last page, which has none", async () => {
      const { ctx } = await connected();
      const names: string[] = [];
      const cursors: (string | undefined)[] = [];
      let cursor: string | undefined;
      do {
        const page = await listChannels.run(ctx, { limit: 1, ...(cursor !== undefined && { cursor }) });
        expect(lastRequestTo(fake, '/api/conversations.list').query['cursor']).toBe(cursor);
        names.push(...page.channels.map((channel) => channel.name));
        cursor = page.next_cursor;
        cursors.push(cursor);
      } while (cursor !== undefined && names.length < 10);
      expect(names).toEqual(['general', 'random', 'engineering']);
      expect(cursors.at(-1)).toBeUndefined();
      // A page that holds everything has no cursor at all (Slack's `next_cursor: ""`).
      const whole = await listChannels.run(ctx, {});
      expect(whole.channels).toHaveLength(3);
      expect('next_cursor' in whole).toBe(false);
    });

    it('maps invalid_cursor (HTTP 200, ok:false) to reason config', async () => {
      const { ctx } = await connected();
      const error = await connectorErrorOf(listChannels.run(ctx, { cursor: 'bm90LWEtY3Vyc29y' }));
      expect(error).toMatchObject({ reason: 'config', providerCode: 'invalid_cursor', status: 200 });
    });
  });

  describe('post_message', () => {
    it('posts JSON to chat.postMessage and returns the channel and ts Slack gave', async () => {
      const { ctx } = await connected(WRITE_SCOPES);
      const output = await postMessage.run(ctx, { channel: 'C0000000001', text: 'Deploy finished' });
      const posted = fake.messages.at(-1);
      expect(posted).toMatchObject({ channel: 'C0000000001', text: 'Deploy finished' });
      expect(output).toEqual({ channel: 'C0000000001', ts: posted?.ts });
      const request = lastRequestTo(fake, '/api/chat.postMessage');
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(request.headers['authorization']).toBe('Bearer [redacted]');
      expect(request.body).toEqual({ channel: 'C0000000001', text: 'Deploy finished' });
    });

    it('replies in a thread with thread_ts, and accepts a channel name', async () => {
      const { ctx } = await connected(WRITE_SCOPES);
      const parent = await postMessage.run(ctx, { channel: 'random', text: 'Release notes' });
      expect(parent.channel).toBe('C0000000002');
      const reply = await postMessage.run(ctx, {
        channel: parent.channel,
        text: 'Details',
        thread_ts: parent.ts,
      });
      expect(reply.ts).not.toBe(parent.ts);
      expect(fake.messages.at(-1)).toEqual({
        channel: 'C0000000002',
        ts: reply.ts,
        text: 'Details',
        thread_ts: parent.ts,
      });
    });

    it('maps missing_scope (no chat:write) to reason permission', async () => {
      const { ctx } = await connected();
      const before = fake.messages.length;
      const error = await connectorErrorOf(postMessage.run(ctx, { channel: 'C0000000001', text: 'hi' }));
      expect(error).toMatchObject({ reason: 'permission', providerCode: 'missing_scope' });
      expect(fake.messages.length).toBe(before);
    });

    it('maps not_in_channel to permission, channel_not_found and is_archived to config', async () => {
      const { ctx } = await connected(WRITE_SCOPES);
      const cases = [
        { channel: 'engineering', reason: 'permission', providerCode: 'not_in_channel' },
        { channel: 'C0NOSUCHONE', reason: 'config', providerCode: 'channel_not_found' },
        // Private and the bot is not in it: Slack says it does not exist.
        { channel: 'secret-plans', reason: 'config', providerCode: 'channel_not_found' },
        { channel: 'old-project', reason: 'config', providerCode: 'is_archived' },
      ];
      for (const { channel, ...expected } of cases) {
        const error = await connectorErrorOf(postMessage.run(ctx, { channel, text: 'hi' }));
        expect(error, channel).toMatchObject(expected);
      }
    });
  });

  describe('failures every action shares', () => {
    it('maps invalid_auth and token_revoked (HTTP 200) to reason auth, never echoing the token', async () => {
      const bogus = 'xoxb-000000000000-not-a-real-token';
      const flow = slackFlow(fake);
      const tokens = await flow.connect({ scopes: WRITE_SCOPES });
      const invalid = flow.actionContext({ credentials: { ...tokens.credentials, accessToken: bogus } });
      const error = await connectorErrorOf(listChannels.run(invalid, {}));
      expect(error).toMatchObject({ reason: 'auth', providerCode: 'invalid_auth' });
      expect(error.message).not.toContain(bogus);
      fake.revokeToken(tokens.credentials.accessToken);
      const revoked = await connectorErrorOf(
        postMessage.run(flow.actionContext(tokens), { channel: 'general', text: 'hi' }),
      );
      expect(revoked).toMatchObject({ reason: 'auth', providerCode: 'token_revoked' });
      expect(revoked.message).not.toContain(tokens.credentials.accessToken);
    });

    it('maps an HTTP 429 to rate_limited with the Retry-After Slack sent', async () => {
      const { ctx } = await connected(WRITE_SCOPES);
      fake.rateLimitNext(1, { 'Retry-After': '30' });
      try {
        const error = await connectorErrorOf(postMessage.run(ctx, { channel: 'general', text: 'hi' }));
        expect(error).toMatchObject({
          reason: 'rate_limited',
          status: 429,
          retryAfterMs: 30_000,
          retryable: true,
        });
      } finally {
        fake.rateLimitNext(0);
      }
    });
  });
});
