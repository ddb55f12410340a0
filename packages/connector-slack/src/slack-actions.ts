import { ConnectorError, defineAction, Type } from '@cfm/connector-sdk';
import { callSlack, type SlackEnvelope } from './slack-api.js';

interface SlackChannel {
  id: string;
  name?: string;
  is_private?: boolean;
  num_members?: number;
}

interface ConversationsListBody extends SlackEnvelope {
  channels?: SlackChannel[];
  response_metadata?: { next_cursor?: string };
}

interface PostMessageBody extends SlackEnvelope {
  channel?: string;
  ts?: string;
}

const channelSchema = Type.Object({
  id: Type.String({ description: 'Channel id (C…), what post_message takes' }),
  name: Type.String(),
  is_private: Type.Boolean(),
  member_count: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description: 'Members, or null when Slack does not say',
  }),
});

/** `conversations.list`: the workspace's public, unarchived channels, a page at a time. */
export const listChannels = defineAction({
  description:
    'List the public, unarchived channels of the Slack workspace, a page at a time. Pass next_cursor back as ' +
    'cursor for the next page; it is absent on the last one.',
  input: Type.Object(
    {
      limit: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 1000,
          description: 'At most this many channels (default 100; Slack may return fewer and still have more)',
        }),
      ),
      cursor: Type.Optional(Type.String({ minLength: 1, description: 'next_cursor of the previous page' })),
    },
    { additionalProperties: false },
  ),
  output: Type.Object({
    channels: Type.Array(channelSchema),
    next_cursor: Type.Optional(Type.String({ description: 'Present when there are more channels' })),
  }),
  async run(ctx, input) {
    const body = await callSlack<ConversationsListBody>(ctx.api, 'conversations.list', 'conversations.list', {
      httpMethod: 'GET',
      query: {
        limit: input.limit ?? 100,
        cursor: input.cursor,
        types: 'public_channel',
        exclude_archived: true,
      },
    });
    if (!Array.isArray(body.channels)) {
      throw new ConnectorError('Slack conversations.list answered without channels', { reason: 'provider' });
    }
    const channels = body.channels.map((channel) => ({
      id: channel.id,
      name: channel.name ?? '',
      is_private: channel.is_private ?? false,
      member_count: channel.num_members ?? null,
    }));
    // Slack sends `next_cursor: ""` on the last page: only a non-empty one means there is more.
    const next = body.response_metadata?.next_cursor;
    return { channels, ...(typeof next === 'string' && next !== '' && { next_cursor: next }) };
  },
});

/** `chat.postMessage`: posts as the app's bot user (needs the optional `chat:write` scope). */
export const postMessage = defineAction({
  description:
    'Post a message to a Slack channel as the app, optionally as a reply in a thread. The app must be a ' +
    'member of the channel and the connection must have the chat:write scope.',
  readOnly: false,
  input: Type.Object(
    {
      channel: Type.String({ minLength: 1, maxLength: 255, description: 'Channel id (C…) or name' }),
      text: Type.String({ minLength: 1, maxLength: 40_000, description: 'Message text (Slack mrkdwn)' }),
      thread_ts: Type.Optional(
        Type.String({ pattern: '^[0-9]+\\.[0-9]+$', description: 'ts of the message to reply to' }),
      ),
    },
    { additionalProperties: false },
  ),
  output: Type.Object({
    channel: Type.String({ description: 'Id of the channel the message went to' }),
    ts: Type.String({ description: "The message's timestamp: its id within the channel" }),
  }),
  async run(ctx, input) {
    const body = await callSlack<PostMessageBody>(ctx.api, 'chat.postMessage', 'chat.postMessage', {
      json: {
        channel: input.channel,
        text: input.text,
        ...(input.thread_ts !== undefined && { thread_ts: input.thread_ts }),
      },
    });
    if (typeof body.channel !== 'string' || typeof body.ts !== 'string') {
      throw new ConnectorError('Slack chat.postMessage answered without channel and ts', {
        reason: 'provider',
      });
    }
    return { channel: body.channel, ts: body.ts };
  },
});
