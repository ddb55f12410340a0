import { describeConformance } from '@cfm/connector-sdk/testing';
import { expect } from 'vitest';
import { confluenceConnector } from './confluence-connector.js';
import { startFakeConfluence } from './testing/index.js';

const client = { clientId: 'confluence-client-id', clientSecret: 'confluence-client-secret' };

describeConformance({
  connector: confluenceConnector,
  client,
  startProvider: () => startFakeConfluence(client),
  expect: {
    rotatesRefreshTokens: true,
    hasRevoke: false,
    pkce: false,
    scopeSeparator: ' ',
    requiredScopes: [
      'read:confluence-content.all',
      'read:confluence-space.summary',
      'search:confluence',
      'read:confluence-user',
      'offline_access',
    ],
    authorizeParams: { audience: 'api.atlassian.com', prompt: 'consent' },
  },
  sampleLimit: 4,
  apiProbe: { path: 'wiki/rest/api/user/current' },
  actions: {
    search_pages: {
      input: { cql: 'type = page AND space = SP1', limit: 2 },
      check: (output) => {
        const { pages, next_cursor } = output as { pages: { space_key: string }[]; next_cursor?: string };
        expect(pages.map((page) => page.space_key)).toEqual(['SP1', 'SP1']);
        expect(next_cursor).toBeTypeOf('string');
      },
    },
    get_page: {
      input: { page_id: '200000' },
      check: (output) => expect(output).toMatchObject({ id: '200000', title: 'Page 1' }),
    },
  },
});
