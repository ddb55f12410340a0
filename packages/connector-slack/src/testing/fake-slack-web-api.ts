import type { FakeResponse, FakeRouteHelpers, FakeRouteRequest } from '@cfm/connector-sdk/testing/fakes';
import type { FakeSlackChannel, FakeSlackMessage } from './fake-slack.js';

/** Slack's cursors are opaque base64 strings; this one names the first channel of the next page. */
function encodeCursor(channelId: string): string {
  return Buffer.from(`id:${channelId}`).toString('base64');
}

function decodeCursor(cursor: string): string | undefined {
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  return decoded.startsWith('id:') ? decoded.slice(3) : undefined;
}

/** Method arguments: Slack reads them from the query string, a form body or a JSON body. */
function argumentsOf(request: FakeRouteRequest): Record<string, unknown> {
  const body = typeof request.body === 'object' && request.body !== null ? request.body : {};
  return { ...request.query, ...(body as Record<string, unknown>) };
}

const slackFailure = (error: string, extra: Record<string, unknown> = {}): FakeResponse => ({
  status: 200,
  body: { ok: false, error, ...extra },
});

export interface SlackWebApiState {
  channels: readonly FakeSlackChannel[];
  /** Where `chat.postMessage` records what it accepted. */
  messages: FakeSlackMessage[];
  ids: { appId: string; botId: string; botUserId: string; teamId: string };
}

/** The fake's `conversations.list` and `chat.postMessage`, answering as Slack documents (errors as HTTP 200). */
export function slackWebApiMethods(state: SlackWebApiState) {
  const { channels, messages } = state;
  const { appId, botId, botUserId, teamId } = state.ids;
  let lastTs = 1_700_000_000_000_000;

  function conversationsList(request: FakeRouteRequest, helpers: FakeRouteHelpers) {
    helpers.requireToken();
    const args = argumentsOf(request);
    const limit = Number(args['limit'] ?? '100');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return slackFailure('invalid_limit');
    const types = String(args['types'] ?? 'public_channel').split(',');
    const excludeArchived = String(args['exclude_archived']) === 'true';
    const matching = channels.filter(
      (channel) =>
        types.includes(channel.is_private ? 'private_channel' : 'public_channel') &&
        !(excludeArchived && channel.is_archived),
    );
    let start = 0;
    const cursor = typeof args['cursor'] === 'string' ? args['cursor'] : '';
    if (cursor !== '') {
      const from = decodeCursor(cursor);
      start = matching.findIndex((channel) => channel.id === from);
      if (start < 0) return slackFailure('invalid_cursor');
    }
    const page = matching.slice(start, start + limit).map((channel) => ({
      is_channel: true,
      is_private: false,
      is_archived: false,
      created: 1_700_000_000,
      ...channel,
    }));
    const following = matching[start + limit];
    // Slack's last page carries an empty string, not a missing field.
    const nextCursor = following ? encodeCursor(following.id) : '';
    return {
      status: 200,
      body: { ok: true, channels: page, response_metadata: { next_cursor: nextCursor } },
    };
  }

  /** `chat.postMessage`, with the failures Slack documents for a bot token. */
  function chatPostMessage(request: FakeRouteRequest, helpers: FakeRouteHelpers) {
    const token = helpers.requireToken();
    if (!token.scopes.includes('chat:write')) {
      return slackFailure('missing_scope', { needed: 'chat:write', provided: token.scopes.join(',') });
    }
    const args = argumentsOf(request);
    const named = typeof args['channel'] === 'string' ? args['channel'].replace(/^#/, '') : '';
    const channel = channels.find((candidate) => candidate.id === named || candidate.name === named);
    // A private channel the bot is not in is invisible to it: Slack says it does not exist.
    if (!channel || (channel.is_private && !channel.is_member)) return slackFailure('channel_not_found');
    if (channel.is_archived) return slackFailure('is_archived');
    if (!channel.is_member && !token.scopes.includes('chat:write.public'))
      return slackFailure('not_in_channel');
    const text = typeof args['text'] === 'string' ? args['text'] : '';
    if (text === '' && args['blocks'] === undefined && args['attachments'] === undefined) {
      return slackFailure('no_text');
    }
    if (text.length > 40_000) return slackFailure('msg_too_long');
    lastTs += 1;
    const ts = `${Math.floor(lastTs / 1_000_000)}.${String(lastTs % 1_000_000).padStart(6, '0')}`;
    const threadTs = typeof args['thread_ts'] === 'string' ? args['thread_ts'] : undefined;
    messages.push({ channel: channel.id, ts, text, ...(threadTs !== undefined && { thread_ts: threadTs }) });
    return {
      status: 200,
      body: {
        ok: true,
        channel: channel.id,
        ts,
        message: {
          type: 'message',
          subtype: 'bot_message',
          text,
          user: botUserId,
          bot_id: botId,
          app_id: appId,
          team: teamId,
          ts,
          ...(threadTs !== undefined && { thread_ts: threadTs }),
        },
      },
    };
  }

  return { conversationsList, chatPostMessage };
}
