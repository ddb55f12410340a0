import { randomUUID } from 'node:crypto';
import { defineAction, defineConnector, Type } from '@cfm/connector-sdk';
import { createDatabase, type DatabaseHandle, migrateToLatest } from '@cfm/db';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedConnector } from '../connector-resolver.js';
import type { EngineContext } from '../engine-context.js';
import { loadUserTools, type McpToolPolicy } from './tool-catalog.js';

const DIALECTS = await testDialects();

function testConnector(key: string, name: string) {
  return defineConnector({
    key,
    name,
    description: `${name}, for the MCP catalogue tests.`,
    configSchema: Type.Object({}),
    auth: [
      { type: 'api_key', fields: [{ name: 'apiKey', label: 'API key', in: 'header', param: 'x-api-key' }] },
    ],
    async check() {
      return { identity: { accountId: 'account-1' } };
    },
    api: { baseUrl: `https://api.${key}.example` },
    actions: {
      list_things: defineAction({
        description: 'List the things.',
        input: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        output: Type.Array(Type.String()),
        async run() {
          return [];
        },
      }),
      create_thing: defineAction({
        description: 'Create a thing.',
        readOnly: false,
        input: Type.Object({ name: Type.String() }, { additionalProperties: false }),
        output: Type.Object({ id: Type.String() }),
        async run() {
          return { id: 'thing-1' };
        },
      }),
    },
  });
}

const ALL: McpToolPolicy = { tools: 'all', connectors: null };

for (const dialect of DIALECTS) {
  describe(`the MCP tools of a user (${dialect})`, () => {
    let database: TestDatabase;
    let handle: DatabaseHandle;
    let context: EngineContext;
    const connectors = new Map<string, ResolvedConnector>();
    const ids = { user: randomUUID(), other: randomUUID(), expired: randomUUID() };

    async function addConnector(key: string, name: string, enabled = true): Promise<ResolvedConnector> {
      const id = randomUUID();
      await handle.db
        .insertInto('connectors')
        .values({
          id,
          key,
          name,
          description: '',
          source: 'package',
          auth_type: 'api_key',
          config_schema: {},
        })
        .execute();
      const resolved: ResolvedConnector = {
        id,
        key,
        source: 'package',
        enabled,
        definition: testConnector(key, name),
        client: null,
        missingVariables: [],
      };
      connectors.set(id, resolved);
      return resolved;
    }

    async function addConnection(userId: string, connector: ResolvedConnector, status: 'active' | 'expired') {
      const id = randomUUID();
      await handle.db
        .insertInto('connections')
        .values({ id, user_id: userId, connector_id: connector.id, config: {}, status })
        .execute();
      return id;
    }

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      handle = createDatabase(database.url);
      const migrated = await migrateToLatest(handle.db);
      if (migrated.error) throw migrated.error;
      await handle.db
        .insertInto('users')
        .values([
          { id: ids.user, subject: 'mcp|user', email: 'user@example.com' },
          { id: ids.other, subject: 'mcp|other', email: 'other@example.com' },
          { id: ids.expired, subject: 'mcp|expired', email: 'expired@example.com' },
        ])
        .execute();
      const acme = await addConnector('acme', 'Acme');
      const globex = await addConnector('globex', 'Globex', false);
      const initech = await addConnector('initech', 'Initech');
      await addConnection(ids.user, acme, 'active');
      await addConnection(ids.user, globex, 'active');
      await addConnection(ids.other, initech, 'active');
      await addConnection(ids.expired, initech, 'expired');
      context = {
        database: handle,
        vault: undefined as never, // never read: the catalogue only lists
        connectors: {
          resolve: async (key) => [...connectors.values()].find((entry) => entry.key === key) ?? null,
          resolveById: async (id) => connectors.get(id) ?? null,
        },
      };
    });

    afterAll(async () => {
      await handle?.close();
      await database?.drop();
    });

    it("lists one tool per action of the user's active connections, none of a disabled connector or another user", async () => {
      const { tools } = await loadUserTools(context, ids.user, ALL);
      expect(tools.map((tool) => tool.name)).toEqual(['acme_create_thing', 'acme_list_things']);
      const [create, list] = tools.map((tool) => tool.tool);
      expect(create).toMatchObject({
        name: 'acme_create_thing',
        description: 'Create a thing.',
        inputSchema: { type: 'object', required: ['name'], additionalProperties: false },
        outputSchema: { type: 'object', required: ['id'] },
        annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
      });
      expect(list?.annotations).toMatchObject({
        readOnlyHint: true,
        destructiveHint: false,
        openWorldHint: true,
      });
      // An array output is offered as `{ result: [...] }`: MCP output schemas are objects.
      expect(list?.outputSchema).toEqual({
        type: 'object',
        properties: { result: { type: 'array', items: { type: 'string' } } },
        required: ['result'],
      });
      expect((await loadUserTools(context, ids.other, ALL)).tools.map((tool) => tool.name)).toEqual([
        'initech_create_thing',
        'initech_list_things',
      ]);
    });

    it('offers only read-only actions, and only allowed connectors, when the operator says so', async () => {
      const readOnly = await loadUserTools(context, ids.user, { tools: 'read-only', connectors: null });
      expect(readOnly.tools.map((tool) => tool.name)).toEqual(['acme_list_things']);
      expect(readOnly.find('acme_create_thing')).toBeUndefined();
      const onlyInitech = await loadUserTools(context, ids.user, { tools: 'all', connectors: ['initech'] });
      expect(onlyInitech.tools).toEqual([]);
      expect(
        (await loadUserTools(context, ids.other, { tools: 'all', connectors: ['initech'] })).tools,
      ).toHaveLength(2);
    });

    it('lists nothing for an expired connection, but knows its tool names to explain why', async () => {
      const tools = await loadUserTools(context, ids.expired, ALL);
      expect(tools.tools).toEqual([]);
      expect(tools.unusable('initech_list_things')).toMatchObject({
        connectorName: 'Initech',
        actionName: 'list_things',
        readOnly: true,
        status: 'expired',
      });
      expect(tools.unusable('initech_drop_everything')).toBeUndefined();
      expect(
        (await loadUserTools(context, ids.expired, { tools: 'read-only', connectors: null })).unusable(
          'initech_create_thing',
        ),
      ).toBeUndefined();
    });
  });
}
