import { describeConformance } from '@cfm/connector-sdk/testing';
import { expect } from 'vitest';
import connector from './index.js';
import { client } from './test/notion-flow.js';
import { startFakeNotion } from './testing/index.js';

// The fake's first default page ("Roadmap").
const ROADMAP_ID = '6f1c8a52-0d1a-4b8e-9c55-1a2b3c4d5e01';

describeConformance({
  connector,
  client,
  startProvider: () => startFakeNotion(),
  expect: {
    rotatesRefreshTokens: true,
    hasRevoke: true,
    pkce: false,
    requiredScopes: [],
    authorizeParams: { owner: 'user', response_type: 'code' },
  },
  apiProbe: { path: '/v1/users/me' },
  actions: {
    search: {
      input: { limit: 2 },
      check(output) {
        expect(output).toMatchObject({ results: [{ title: 'Roadmap' }, { title: 'Tasks' }] });
        expect(output).toHaveProperty('next_cursor');
      },
    },
    get_page: {
      input: { page_id: ROADMAP_ID },
      check: (output) => expect(output).toMatchObject({ id: ROADMAP_ID, title: 'Roadmap' }),
    },
  },
});
