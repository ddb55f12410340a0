import type { FakeSlack } from '@cfm/connector-slack/testing';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { type ApiClient, createApiClient, createSignedClient } from './support/api-client.js';
import { type PackagedFakes, startPackagedFakes } from './support/connector-fakes.js';
import { connect, revoke } from './support/oauth-driver.js';
import { generateServerSecrets, type ServerProcess, startServerProcess } from './support/server-process.js';

const DIALECTS = await testDialects();

/** An MCP client from the official SDK, as an agent would configure it: the URL and a bearer credential. */
async function agent(serverUrl: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'cfm-e2e-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${serverUrl}/mcp`), { requestInit: { headers } }),
  );
  return client;
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((tool) => tool.name).sort();
}

const textOf = (result: CallToolResult) =>
  result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');

for (const dialect of DIALECTS) {
  describe(`an agent uses a user's connections as MCP tools (built server, ${dialect})`, () => {
    let database: TestDatabase | undefined;
    let fakes: PackagedFakes;
    let server: ServerProcess | undefined;
    let readOnlyServer: ServerProcess | undefined;
    const clients: Client[] = [];
    let ada: ApiClient;
    let bob: ApiClient;
    let cy: ApiClient;
    let admin: ApiClient;
    /** Where Cy's Slack grant starts in the fake's token list. */
    let cyFirstToken = 0;
    const email = (name: string) => `${name}-mcp-${dialect}@example.com`;

    const open = async (url: string, headers: Record<string, string>) => {
      const client = await agent(url, headers);
      clients.push(client);
      return client;
    };
    const asUser = (user: ApiClient, url = server!.url) =>
      open(url, { authorization: `Bearer ${user.token}` });
    const serviceKey = async (scopes: string[]) => {
      const created = await admin.post<{ key: string }>('/api/service-keys', {
        name: `agent-${crypto.randomUUID().slice(0, 8)}`,
        scopes,
      });
      expect(created.status, created.text).toBe(201);
      return created.body.key;
    };
    /** Every token the fakes ever issued: none may appear in anything an agent sees. */
    const issuedTokens = () =>
      Object.values(fakes.byKey).flatMap(({ fake }) => fake.tokens.map((record) => record.value));

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      fakes = await startPackagedFakes();
      const secrets = generateServerSecrets();
      const env = { DATABASE_URL: database.url, ...secrets, ...fakes.env };
      server = await startServerProcess({ env });
      // The same database, as an operator who lets agents read only, and only Slack.
      readOnlyServer = await startServerProcess({
        env: { ...env, MCP_TOOLS: 'read-only', MCP_CONNECTORS: 'slack' },
      });
      const sign = (name: string, role?: 'admin') =>
        createSignedClient(server!.url, secrets.JWT_SECRET, {
          subject: `e2e|${name}-mcp-${dialect}`,
          email: email(name),
          ...(role && { role }),
        });
      [ada, bob, cy, admin] = await Promise.all([
        sign('ada'),
        sign('bob'),
        sign('cy'),
        sign('admin', 'admin'),
      ]);
      await connect(ada, 'slack', fakes.byKey.slack.fake);
      await connect(ada, 'jira', fakes.byKey.jira.fake);
      const bobSlack = await connect(bob, 'slack', fakes.byKey.slack.fake);
      await revoke(bob, 'slack', bobSlack.connectionId);
      cyFirstToken = fakes.byKey.slack.fake.tokens.length;
      await connect(cy, 'slack', fakes.byKey.slack.fake);
    });

    afterAll(async () => {
      await Promise.allSettled(clients.map((client) => client.close()));
      await readOnlyServer?.stop();
      await server?.stop();
      await fakes?.close();
      await database?.drop();
    });

    it("lists a tool per action of the user's active Slack and Jira connections, with schemas and hints", async () => {
      onTestFailed(() => console.error(server?.problems()));
      const client = await asUser(ada);
      expect(client.getServerVersion()?.name).toBe('Connector Framework Manager');
      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      expect(names).toEqual(
        expect.arrayContaining(['slack_list_channels', 'slack_post_message', 'jira_search_issues']),
      );
      expect(names.every((name) => /^(slack|jira)_[a-z0-9_]+$/.test(name))).toBe(true);
      const list = tools.find((tool) => tool.name === 'slack_list_channels')!;
      expect(list.inputSchema).toMatchObject({ type: 'object', properties: { limit: { type: 'integer' } } });
      expect(list.outputSchema).toMatchObject({
        type: 'object',
        properties: { channels: { type: 'array' } },
      });
      expect(list.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
      const post = tools.find((tool) => tool.name === 'slack_post_message')!;
      expect(post.annotations).toMatchObject({
        readOnlyHint: false,
        destructiveHint: true,
        openWorldHint: true,
      });
      expect(tools.find((tool) => tool.name === 'jira_search_issues')?.annotations?.readOnlyHint).toBe(true);
    });

    it('lists nothing for a revoked connection, and never another user’s tools', async () => {
      expect(await toolNames(await asUser(bob))).toEqual([]);
      // Bob names Ada in X-CFM-User: ignored with a user token, Bob still acts as himself.
      expect(
        await toolNames(
          await open(server!.url, { authorization: `Bearer ${bob.token}`, 'x-cfm-user': email('ada') }),
        ),
      ).toEqual([]);
      expect(await toolNames(await asUser(cy))).toEqual(['slack_list_channels', 'slack_post_message']);
    });

    it('runs read tools against the fakes: slack_list_channels and jira_search_issues', async () => {
      onTestFailed(() => console.error(server?.problems()));
      const client = await asUser(ada);
      const channels = (await client.callTool({
        name: 'slack_list_channels',
        arguments: { limit: 2 },
      })) as CallToolResult;
      expect(channels.isError, textOf(channels)).toBeFalsy();
      const data = channels.structuredContent as { channels: Array<{ name: string }>; next_cursor?: string };
      expect(data.channels.map((channel) => channel.name)).toEqual(['general', 'random']);
      expect(typeof data.next_cursor).toBe('string');
      expect(JSON.parse(textOf(channels))).toEqual(data);

      const issues = (await client.callTool({
        name: 'jira_search_issues',
        arguments: { jql: 'project = DEMO ORDER BY updated DESC', limit: 5 },
      })) as CallToolResult;
      expect(issues.isError, textOf(issues)).toBeFalsy();
      expect((issues.structuredContent as { issues: unknown[] }).issues).toHaveLength(5);
    });

    it('runs a write tool (slack_post_message) and records it as an MCP action call', async () => {
      const client = await asUser(ada);
      // startPackagedFakes started it with startFakeSlack, which records the messages it accepted.
      const slack = fakes.byKey.slack.fake as FakeSlack;
      const message = { channel: 'C0000000001', text: 'Deploy finished (from an agent)' };
      // Connecting asks for Slack's required scopes only, so the workspace has not granted chat:write yet.
      const refused = (await client.callTool({
        name: 'slack_post_message',
        arguments: message,
      })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(
        /^Slack refused: the connected account lacks a permission .*missing_scope/,
      );
      // The workspace grants it (at the fake: Ada's tokens gain the scope).
      for (const record of slack.tokens) {
        if (record.state === 'active' && !record.scopes.includes('chat:write'))
          record.scopes.push('chat:write');
      }
      const before = slack.messages.length;
      const posted = (await client.callTool({
        name: 'slack_post_message',
        arguments: message,
      })) as CallToolResult;
      expect(posted.isError, textOf(posted)).toBeFalsy();
      expect(posted.structuredContent).toMatchObject({ channel: 'C0000000001', ts: expect.any(String) });
      expect(slack.messages.slice(before)).toEqual([expect.objectContaining(message)]);
      await expect
        .poll(async () => {
          const events = await admin.get<{
            items: Array<{ connector_key: string; detail: Record<string, unknown> }>;
          }>('/api/audit-events?action=connection.action&limit=200');
          return events.body.items
            .filter((event) => event.detail['via'] === 'mcp')
            .map((event) => event.detail['action']);
        })
        .toContain('post_message');
    });

    it('answers bad arguments and unknown tools so that a model can correct itself', async () => {
      const client = await asUser(ada);
      const invalid = (await client.callTool({
        name: 'slack_list_channels',
        arguments: { limit: 'ten', extra: 1 },
      })) as CallToolResult;
      expect(invalid.isError).toBe(true);
      expect(textOf(invalid)).toMatch(/^Invalid arguments: .*limit must be integer/);
      expect(textOf(invalid)).toContain('extra is not a known input');
      await expect(client.callTool({ name: 'slack_drop_workspace', arguments: {} })).rejects.toMatchObject({
        code: -32602,
      });
    });

    it('answers a rate limit with how long to wait', async () => {
      const client = await asUser(ada);
      fakes.byKey.slack.fake.rateLimitNext(1, { 'Retry-After': '30' });
      const limited = (await client.callTool({
        name: 'slack_list_channels',
        arguments: {},
      })) as CallToolResult;
      expect(limited.isError).toBe(true);
      expect(textOf(limited)).toBe('Slack rate limit: retry after 30 s.');
    });

    it('answers an expired connection with "reconnect", and drops its tools from the next list', async () => {
      const client = await asUser(cy);
      const slack = fakes.byKey.slack.fake;
      // The provider revokes Cy's grant (access and refresh tokens): the next call's refresh is refused.
      const family = slack.tokens[cyFirstToken]!.family;
      const token = slack.tokens.find((record) => record.family === family && record.state === 'active')!;
      expect(slack.revokeToken(token.value)).toBe(true);
      const expired = (await client.callTool({
        name: 'slack_list_channels',
        arguments: {},
      })) as CallToolResult;
      expect(expired.isError).toBe(true);
      expect(textOf(expired)).toMatch(/^Slack connection expired: the user must reconnect Slack/);
      expect(await toolNames(client)).toEqual([]);
      // A model that still holds the name learns why, rather than "unknown tool".
      const again = (await client.callTool({ name: 'slack_list_channels', arguments: {} })) as CallToolResult;
      expect(textOf(again)).toMatch(/^Slack connection expired/);
      // Ada's Slack is untouched.
      expect(await toolNames(await asUser(ada))).toContain('slack_list_channels');
    });

    it('lets a service key with connections:actions act for the user X-CFM-User names', async () => {
      const key = await serviceKey(['connections:actions']);
      const client = await open(server!.url, { authorization: `Bearer ${key}`, 'x-cfm-user': email('ada') });
      expect(await toolNames(client)).toEqual(await toolNames(await asUser(ada)));
      const channels = (await client.callTool({
        name: 'slack_list_channels',
        arguments: { limit: 1 },
      })) as CallToolResult;
      expect(channels.isError, textOf(channels)).toBeFalsy();
      const bySubject = await open(server!.url, {
        authorization: `Bearer ${key}`,
        'x-cfm-user': `e2e|bob-mcp-${dialect}`,
      });
      expect(await toolNames(bySubject)).toEqual([]);
    });

    it('refuses, before any tool is listed, a service key without X-CFM-User or without the scope, and bad credentials', async () => {
      const key = await serviceKey(['connections:actions']);
      await expect(agent(server!.url, { authorization: `Bearer ${key}` })).rejects.toMatchObject({
        code: 400,
      });
      const reader = await serviceKey(['connections:read', 'connections:proxy']);
      await expect(
        agent(server!.url, { authorization: `Bearer ${reader}`, 'x-cfm-user': email('ada') }),
      ).rejects.toMatchObject({
        code: 403,
      });
      await expect(agent(server!.url, {})).rejects.toMatchObject({ code: 401 });
      await expect(agent(server!.url, { authorization: 'Bearer not.a.jwt' })).rejects.toMatchObject({
        code: 401,
      });

      const raw = await fetch(`${server!.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(raw.status).toBe(401);
      expect(raw.headers.get('www-authenticate')).toBe('Bearer');
      expect(await raw.json()).toMatchObject({ statusCode: 401, code: 'CFM_AUTH_REQUIRED' });
    });

    it('offers only read-only tools of the allowed connectors when the operator says so', async () => {
      const client = await asUser(ada, readOnlyServer!.url);
      expect(await toolNames(client)).toEqual(['slack_list_channels']);
      await expect(
        client.callTool({ name: 'slack_post_message', arguments: { channel: 'C0000000001', text: 'x' } }),
      ).rejects.toMatchObject({
        code: -32602,
      });
      const channels = (await client.callTool({
        name: 'slack_list_channels',
        arguments: {},
      })) as CallToolResult;
      expect(channels.isError, textOf(channels)).toBeFalsy();
    });

    it('tells agents where to connect in GET /api, and never shows a provider token to one', async () => {
      const info = await createApiClient(server!.url, ada.token).get<{
        mcp: { url: string; protocol_version: string };
      }>('/api');
      expect(info.body.mcp).toEqual({
        url: `${server!.url}/mcp`,
        protocol_version: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
      const seen = JSON.stringify(
        await Promise.all([
          (await asUser(ada)).listTools(),
          (await asUser(ada)).callTool({ name: 'slack_list_channels', arguments: {} }),
        ]),
      );
      for (const token of issuedTokens()) expect(seen).not.toContain(token);
    });
  });
}
