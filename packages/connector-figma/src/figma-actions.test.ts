import type { ActionContext } from '@cfm/connector-sdk';
import { connectorErrorOf, fakeFlow, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFile, listComments } from './figma-actions.js';
import { FIGMA_SCOPES, figmaConnector } from './index.js';
import { client, redirectUri } from './test/figma-flow.js';
import { FAKE_FIGMA_FILE_KEY, type FakeFigma, type FakeFigmaFile, startFakeFigma } from './testing/index.js';

const FILE_KEY = 'AbCdEfGh0123456789';
const FILE: FakeFigmaFile = {
  name: 'Checkout flow',
  lastModified: '2025-04-01T08:30:00Z',
  version: '6000000001',
  pages: [
    { id: '0:1', name: 'Flows', children: [{ id: '3:1', name: 'Cart', type: 'FRAME' }] },
    { id: '0:2', name: 'Archive', children: [] },
  ],
  comments: Array.from({ length: 7 }, (_unused, index) => ({
    id: `c-${index}`,
    message: `Note ${index}`,
    user: { id: `u-${index % 2}`, handle: index % 2 ? 'Grace' : 'Ada', img_url: 'https://example.com/a.png' },
    created_at: `2025-04-0${index + 1}T10:00:00Z`,
    resolved_at: index === 3 ? '2025-04-09T10:00:00Z' : null,
    parent_id: '',
  })),
};

it('declares its actions under their snake_case names, both read-only', () => {
  expect(figmaConnector.actions).toEqual({ get_file: getFile, list_comments: listComments });
  expect([getFile.readOnly, listComments.readOnly]).toEqual([true, true]);
});

describe('figma actions against the fake Figma', () => {
  let fake: FakeFigma;
  beforeAll(async () => {
    fake = await startFakeFigma({ ...client, files: { [FILE_KEY]: FILE } });
  });
  afterAll(() => fake.close());

  const flow = () => fakeFlow(figmaConnector, fake, { client, redirectUri });
  async function connected(): Promise<ActionContext> {
    const tokens = await flow().connect({ scopes: [...FIGMA_SCOPES, 'file_comments:read'] });
    return flow().actionContext(tokens);
  }

  describe('get_file', () => {
    it('reads /v1/files/{key} at depth 1 with the token and returns the pages', async () => {
      const output = await getFile.run(await connected(), { file_key: FILE_KEY });
      const request = lastRequestTo(fake, `/v1/files/${FILE_KEY}`);
      expect(request.query).toEqual({ depth: '1' });
      expect(request.headers['authorization']).toBe('Bearer [redacted]');
      expect(output).toEqual({
        name: FILE.name,
        last_modified: FILE.lastModified,
        version: FILE.version,
        pages: [
          { id: '0:1', name: 'Flows' },
          { id: '0:2', name: 'Archive' },
        ],
      });
    });

    it("lists each page's top-level nodes at depth 2", async () => {
      const output = await getFile.run(await connected(), { file_key: FILE_KEY, depth: 2 });
      expect(lastRequestTo(fake, `/v1/files/${FILE_KEY}`).query).toEqual({ depth: '2' });
      expect(output.pages).toEqual([
        { id: '0:1', name: 'Flows', children: [{ id: '3:1', name: 'Cart', type: 'FRAME' }] },
        { id: '0:2', name: 'Archive', children: [] },
      ]);
    });

    it('maps 404 {"status":404,"err":"Not found"} to reason config', async () => {
      const error = await connectorErrorOf(getFile.run(await connected(), { file_key: FAKE_FIGMA_FILE_KEY }));
      expect(error).toMatchObject({ reason: 'config', status: 404, providerCode: 'Not found' });
    });
  });

  describe('list_comments', () => {
    it('maps the comments and pages them locally with an opaque cursor', async () => {
      const ctx = await connected();
      const first = await listComments.run(ctx, { file_key: FILE_KEY, limit: 3 });
      expect(lastRequestTo(fake, `/v1/files/${FILE_KEY}/comments`).query).toEqual({});
      expect(first.comments[0]).toEqual({
        id: 'c-0',
        message: 'Note 0',
        user: { id: 'u-0', handle: 'Ada' },
        created_at: '2025-04-01T10:00:00Z',
        resolved_at: null,
      });
      const ids = first.comments.map((comment) => comment.id);
      let cursor = first.next_cursor;
      expect(cursor).toEqual(expect.any(String));
      let last = first;
      while (cursor !== undefined && ids.length < 20) {
        last = await listComments.run(ctx, { file_key: FILE_KEY, limit: 3, cursor });
        ids.push(...last.comments.map((comment) => comment.id));
        cursor = last.next_cursor;
      }
      expect(ids).toEqual(FILE.comments.map((comment) => comment.id));
      expect(last.comments).toHaveLength(1);
      expect(last.comments[0]?.id).toBe('c-6');
      const resolved = (await listComments.run(ctx, { file_key: FILE_KEY })).comments.find(
        (c) => c.id === 'c-3',
      );
      expect(resolved?.resolved_at).toBe('2025-04-09T10:00:00Z');
    });

    it('returns no cursor when everything fits in one page', async () => {
      const output = await listComments.run(await connected(), { file_key: FILE_KEY, limit: 7 });
      expect(output.comments).toHaveLength(7);
      expect('next_cursor' in output).toBe(false);
    });

    it('refuses a cursor it did not make, before calling Figma', async () => {
      const ctx = await connected();
      const before = fake.requests.length;
      const error = await connectorErrorOf(
        listComments.run(ctx, { file_key: FILE_KEY, cursor: 'b2Zmc2V0Oi0x' }),
      );
      expect(error.reason).toBe('config');
      expect(fake.requests.length).toBe(before);
    });
  });

  describe('failures every action shares', () => {
    it('maps 403 "Invalid token" and 401 to reason auth, never echoing the token', async () => {
      const tokens = await flow().connect();
      const bogus = 'figd_not-a-real-token-0000';
      const ctx = flow().actionContext({ credentials: { ...tokens.credentials, accessToken: bogus } });
      const invalid = await connectorErrorOf(getFile.run(ctx, { file_key: FILE_KEY }));
      expect(invalid).toMatchObject({ reason: 'auth', status: 403, providerCode: 'Invalid token' });
      expect(invalid.message).not.toContain(bogus);
      const valid = await connected();
      fake.failNext(1, 401, { status: 401, err: 'Unauthorized' });
      const unauthorized = await connectorErrorOf(listComments.run(valid, { file_key: FILE_KEY }));
      expect(unauthorized).toMatchObject({ reason: 'auth', status: 401 });
    });

    it('keeps a 403 that is not about the token as reason permission', async () => {
      const ctx = await connected();
      fake.failNext(1, 403, { status: 403, err: 'Forbidden' });
      const error = await connectorErrorOf(getFile.run(ctx, { file_key: FILE_KEY }));
      expect(error).toMatchObject({ reason: 'permission', status: 403 });
    });

    it('maps 429 to rate_limited with the Retry-After Figma sent', async () => {
      const ctx = await connected();
      fake.rateLimitNext(1, { 'Retry-After': '12' });
      try {
        const error = await connectorErrorOf(listComments.run(ctx, { file_key: FILE_KEY }));
        expect(error).toMatchObject({
          reason: 'rate_limited',
          status: 429,
          retryAfterMs: 12_000,
          retryable: true,
        });
      } finally {
        fake.rateLimitNext(0);
      }
    });
  });
});
