import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from 'typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { defineAction } from '../define-action.js';
import { defineConnector } from '../define-connector.js';
import type { OAuth2AuthDescriptor } from '../types.js';
import { checkPackageManifest } from './check-package-manifest.js';
import { describeConformance } from './conformance.js';
import { startFakeOAuth2Provider } from './fake-oauth2-provider.js';
import type { FakeOAuth2ProviderOptions } from './fake-oauth2-types.js';

const AUTH_ORIGIN = 'https://auth.example.test';
const API_ORIGIN = 'https://api.example.test';
const client = { clientId: 'conformance-client', clientSecret: 'conformance-secret' };

/** A tiny connector: who-am-I at `/api/me`, a sample at `/api/items`. */
function exampleConnector(key: string, descriptor: Partial<OAuth2AuthDescriptor>) {
  return defineConnector({
    key,
    name: `Example ${key}`,
    description: 'A connector used to test the conformance kit.',
    configSchema: Type.Object({}),
    auth: [
      {
        type: 'oauth2',
        authorizeUrl: `${AUTH_ORIGIN}/oauth/authorize`,
        tokenUrl: `${AUTH_ORIGIN}/oauth/token`,
        scopes: { required: ['read:items', 'read:me'] },
        ...descriptor,
      },
    ],
    async check(ctx) {
      const me = await ctx.http.get<{ id: string; name: string }>(`${API_ORIGIN}/api/me`);
      return { identity: { accountId: me.body.id, displayName: me.body.name } };
    },
    async fetchSample(ctx, { limit }) {
      const page = await ctx.http.get<{ items: unknown[] }>(`${API_ORIGIN}/api/items`, { query: { limit } });
      return { kind: 'items', items: page.body.items };
    },
  });
}

const ITEM_COUNT = 5;

/**
 * The same with an API descriptor and two actions. The base URL's `{section}` comes from what `check` stores,
 * so the kit must merge check's metadata into the connection before it can run an action.
 */
function exampleConnectorWithActions() {
  const base = exampleConnector('example-actions', { revokeUrl: `${AUTH_ORIGIN}/oauth/revoke` });
  const item = Type.Object({ id: Type.Integer() });
  return defineConnector({
    ...base,
    async check(ctx) {
      const result = await base.check(ctx);
      return { ...result, metadata: { section: 'api' } };
    },
    api: { baseUrl: `${API_ORIGIN}/{section}`, headers: { 'X-Example-Version': '1' } },
    actions: {
      list_items: defineAction({
        description: 'List items, a page at a time.',
        input: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
          cursor: Type.Optional(Type.String()),
        }),
        output: Type.Object({ items: Type.Array(item), next_cursor: Type.Optional(Type.String()) }),
        async run(ctx, input) {
          const limit = input.limit ?? 10;
          const offset = Number(input.cursor ?? '0');
          const page = await ctx.api.get<{ items: { id: number }[] }>('items', {
            query: { limit: Math.min(ITEM_COUNT, offset + limit) },
          });
          const items = page.body.items.slice(offset, offset + limit);
          const next = offset + limit;
          return { items, ...(next < ITEM_COUNT && { next_cursor: String(next) }) };
        },
      }),
      get_item: defineAction({
        description: 'Read one item.',
        input: Type.Object({ item_id: Type.Integer({ minimum: 0 }) }),
        output: item,
        async run(ctx, input) {
          const page = await ctx.api.get<{ items: { id: number }[] }>('items', { query: { limit: 10 } });
          const found = page.body.items.find((candidate) => candidate.id === input.item_id);
          if (!found) throw new Error(`no item ${input.item_id}`);
          return found;
        },
      }),
    },
  });
}

function providerStarter(options: FakeOAuth2ProviderOptions) {
  return async () => {
    const provider = await startFakeOAuth2Provider({
      ...client,
      routes: {
        'GET /api/items': (request, helpers) => {
          helpers.requireToken();
          const limit = Math.min(Number(request.query['limit'] ?? 10), ITEM_COUNT);
          return {
            status: 200,
            body: { items: Array.from({ length: limit }, (_, index) => ({ id: index })) },
          };
        },
      },
      ...options,
    });
    return Object.assign(provider, {
      rewrite: new Map([
        [AUTH_ORIGIN, provider.url],
        [API_ORIGIN, provider.url],
      ]),
    });
  };
}

describeConformance({
  connector: exampleConnector('example-rfc', { revokeUrl: `${AUTH_ORIGIN}/oauth/revoke` }),
  client,
  startProvider: providerStarter({ pkce: 'required', clientAuth: 'body', tokenRequestFormat: 'form' }),
  expect: {
    rotatesRefreshTokens: true,
    hasRevoke: true,
    pkce: true,
    requiredScopes: ['read:items', 'read:me'],
  },
});

describeConformance({
  connector: exampleConnector('example-atlassian', {
    tokenRequestFormat: 'json',
    pkce: 'off',
    extraAuthorizeParams: { audience: 'api.example.test', prompt: 'consent' },
  }),
  client,
  startProvider: providerStarter({
    errorShape: 'atlassian',
    tokenRequestFormat: 'json',
    clientAuth: 'body',
    pkce: 'off',
    paths: { revoke: null },
  }),
  expect: {
    rotatesRefreshTokens: true,
    hasRevoke: false,
    pkce: false,
    authorizeParams: { audience: 'api.example.test', prompt: 'consent' },
  },
  sampleLimit: 2,
});

describeConformance({
  connector: exampleConnector('example-figma', {
    clientAuth: 'basic',
    refreshUrl: `${AUTH_ORIGIN}/v1/oauth/refresh`,
    scopeSeparator: ',',
  }),
  client,
  startProvider: providerStarter({
    clientAuth: 'basic',
    scopeSeparator: ',',
    paths: { refresh: '/v1/oauth/refresh', revoke: null },
    refreshResponseIncludesRefreshToken: false,
    denyMode: 'none',
  }),
  expect: {
    rotatesRefreshTokens: false,
    refreshKeepsOldRefreshToken: true,
    hasRevoke: false,
    pkce: true,
    scopeSeparator: ',',
    requiredScopes: ['read:me'],
  },
});

describeConformance({
  connector: exampleConnectorWithActions(),
  client,
  startProvider: providerStarter({ pkce: 'required' }),
  expect: { rotatesRefreshTokens: true, hasRevoke: true, pkce: true, requiredScopes: ['read:items'] },
  apiProbe: { path: '/me' },
  actions: {
    list_items: {
      input: { limit: 2, cursor: '2' },
      check(output) {
        expect(output).toEqual({ items: [{ id: 2 }, { id: 3 }], next_cursor: '4' });
      },
    },
    get_item: { input: { item_id: 1 } },
  },
});

describe('checkPackageManifest', () => {
  const directories: string[] = [];
  afterAll(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  async function writePackage(fields: Record<string, unknown>): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), 'cfm-manifest-'));
    directories.push(directory);
    const path = join(directory, 'package.json');
    const base = {
      name: '@cfm/connector-example',
      version: '1.0.0',
      keywords: ['cfm-connector'],
      cfmConnector: { contractVersion: 1, entry: './dist/index.js' },
      peerDependencies: { '@cfm/connector-sdk': 'workspace:^' },
    };
    await writeFile(path, JSON.stringify({ ...base, ...fields }));
    return path;
  }

  it('accepts a well-formed connector package and returns its manifest', async () => {
    const manifest = await checkPackageManifest(await writePackage({}));
    expect(manifest).toEqual({ contractVersion: 1, entry: './dist/index.js' });
  });

  it('rejects a missing keyword, a regular SDK dependency or a missing manifest', async () => {
    await expect(checkPackageManifest(await writePackage({ keywords: [] }))).rejects.toThrow(/cfm-connector/);
    await expect(
      checkPackageManifest(await writePackage({ dependencies: { '@cfm/connector-sdk': '^0.1.0' } })),
    ).rejects.toThrow(/regular dependency/);
    await expect(checkPackageManifest(await writePackage({ cfmConnector: undefined }))).rejects.toThrow(
      /cfmConnector/,
    );
  });
});
