import type { FakeFlow } from '@cfm/connector-sdk/testing';
import { fakeFlow } from '@cfm/connector-sdk/testing';
import connector from '../index.js';
import type { FakeSlack } from '../testing/index.js';

export const client = { clientId: 'fake-client-id', clientSecret: 'fake-client-secret' };
export const redirectUri = 'http://127.0.0.1:3000/oauth/callback';

/** The browser flow against a fake Slack, as the server runs it, with `config` as the connection's. */
export function slackFlow(fake: FakeSlack, config: Record<string, unknown> = {}): FakeFlow {
  return fakeFlow(connector, fake, { client, config, redirectUri });
}
