import type { ClientCredentials, ConnectorContext, TokenSet } from '@cfm/connector-sdk';
import { createConnectorContext, createOAuth2Client, createOriginRewriter } from '@cfm/connector-sdk';
import connector from '../index.js';
import type { FakeNotion } from '../testing/index.js';

export const client = { clientId: 'fake-client-id', clientSecret: 'fake-client-secret' };
export const redirectUri = 'http://127.0.0.1:3000/oauth/callback';

/** The browser flow against a fake Notion, as the server runs it. */
export function notionFlow(fake: FakeNotion, credentials: ClientCredentials = client) {
  const rewriteUrl = createOriginRewriter(fake.rewrite);
  const oauth = createOAuth2Client(connector, { client: credentials, config: {}, rewriteUrl });
  return {
    oauth,
    authorizeUrl: (state = 'state-1') => new URL(oauth.buildAuthorizeUrl({ redirectUri, state })),
    async connect(): Promise<TokenSet> {
      const approval = await fake.approve(oauth.buildAuthorizeUrl({ redirectUri, state: 'state-1' }));
      return oauth.exchangeCode({ code: approval.code, redirectUri, callbackParams: {} });
    },
    context(
      tokens: TokenSet,
      options: { retries?: number; maxRetryDelayMs?: number } = {},
    ): ConnectorContext {
      return createConnectorContext(connector, {
        config: {},
        credentials: tokens.credentials,
        metadata: tokens.metadata ?? {},
        rewriteUrl,
        retries: options.retries ?? 0,
        ...(options.maxRetryDelayMs !== undefined && { maxRetryDelayMs: options.maxRetryDelayMs }),
      });
    },
  };
}

/** The request the fake saw last at `path`. */
export function lastRequest(fake: FakeNotion, path: string) {
  const found = [...fake.requests].reverse().find((request) => request.path === path);
  if (!found) throw new Error(`the fake saw no request to ${path}`);
  return found;
}

/** Resolves to the rejection of `promise` (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but the call succeeded');
    },
    (error: unknown) => error,
  );
}
