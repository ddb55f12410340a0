import type { ClientCredentials } from '@cfm/connector-sdk';
import type { FakeFlow } from '@cfm/connector-sdk/testing';
import { fakeFlow } from '@cfm/connector-sdk/testing';
import connector from '../index.js';
import type { FakeNotion } from '../testing/index.js';

export const client = { clientId: 'fake-client-id', clientSecret: 'fake-client-secret' };
export const redirectUri = 'http://127.0.0.1:3000/oauth/callback';

/** The browser flow against a fake Notion, as the server runs it, as the client `credentials`. */
export function notionFlow(fake: FakeNotion, credentials: ClientCredentials = client): FakeFlow {
  return fakeFlow(connector, fake, { client: credentials, redirectUri });
}
