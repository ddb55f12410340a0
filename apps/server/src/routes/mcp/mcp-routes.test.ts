import { randomUUID } from 'node:crypto';
import { testDialects } from '@cfm/db/testing';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, tokenFor } from '../../test/helpers.js';

const DIALECTS = await testDialects();
const FRONT_END = 'http://localhost:3000';
const ERROR_KEYS = ['code', 'error', 'message', 'statusCode'];
const JSON_RPC_HEADERS = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
};

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'route-test', version: '1.0.0' },
  },
};
const listTools = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };

for (const dialect of DIALECTS) {
  describe(`POST /mcp: who may talk to the agents' endpoint (${dialect})`, () => {
    let test: TestApp;
    let alice: string;
    let bob: string;
    let admin: string;

    const mcp = (
      headers: Record<string, string>,
      payload: unknown = listTools,
      method: InjectOptions['method'] = 'POST',
    ) =>
      test.app.inject({
        method,
        url: '/mcp',
        headers: { ...JSON_RPC_HEADERS, 'mcp-protocol-version': '2025-11-25', ...headers },
        ...(method === 'POST' && { payload: payload as object }),
      });
    const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
    const toolNames = (body: { result?: { tools?: Array<{ name: string }> } }) =>
      (body.result?.tools ?? []).map((tool) => tool.name).sort();

    async function serviceKey(scopes: string[]): Promise<string> {
      const created = await test.app.inject({
        method: 'POST',
        url: '/api/service-keys',
        headers: bearer(admin),
        payload: { name: `mcp-${randomUUID().slice(0, 8)}`, scopes },
      });
      expect(created.statusCode, created.body).toBe(201);
      return created.json().key;
    }

    beforeAll(async () => {
      test = await createTestApp(dialect);
      alice = await tokenFor({ email: 'alice@example.com', subject: 'mcp|alice' });
      bob = await tokenFor({ email: 'bob@example.com', subject: 'mcp|bob' });
      admin = await tokenFor({ email: 'root@example.com', subject: 'mcp|root', role: 'admin' });
      // Users exist from their first request; Bob gets an active Slack connection (listing needs no provider).
      for (const token of [alice, bob]) {
        expect(
          (await test.app.inject({ method: 'GET', url: '/api/me', headers: bearer(token) })).statusCode,
        ).toBe(200);
      }
      const { db } = test.handle;
      const slack = await db
        .selectFrom('connectors')
        .select('id')
        .where('key', '=', 'slack')
        .executeTakeFirstOrThrow();
      const bobRow = await db
        .selectFrom('users')
        .select('id')
        .where('subject', '=', 'mcp|bob')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('connections')
        .values({
          id: randomUUID(),
          user_id: bobRow.id,
          connector_id: slack.id,
          config: {},
          status: 'active',
        })
        .execute();
    });

    afterAll(async () => {
      await test?.close();
    });

    it('answers 401 with WWW-Authenticate and CORS headers in the API error shape, before any JSON-RPC', async () => {
      const anonymous = await mcp({ origin: FRONT_END }, initialize);
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      expect(anonymous.headers['access-control-allow-origin']).toBe(FRONT_END);
      expect(anonymous.headers['x-request-id']).toEqual(expect.any(String));
      expect(Object.keys(anonymous.json()).sort()).toEqual(ERROR_KEYS);
      expect(anonymous.json().code).toBe('CFM_AUTH_REQUIRED');
      expect(anonymous.body).not.toContain('jsonrpc');

      const forged = await mcp(bearer('not-a.valid.jwt'));
      expect(forged.statusCode).toBe(401);
      expect(forged.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
      const wrongKey = await mcp(bearer(`cfm_sk_${'A'.repeat(43)}`));
      expect(wrongKey.statusCode).toBe(401);
      expect(wrongKey.json().code).toBe('CFM_SERVICE_KEY_INVALID');
      expect((await mcp({}, undefined, 'GET')).statusCode).toBe(401);
    });

    it('answers a preflight from the front end as the API does', async () => {
      const preflight = await test.app.inject({
        method: 'OPTIONS',
        url: '/mcp',
        headers: {
          origin: FRONT_END,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, mcp-protocol-version, x-cfm-user',
        },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(FRONT_END);
      expect(String(preflight.headers['access-control-allow-headers'])).toContain('mcp-protocol-version');
      const stranger = await mcp({ ...bearer(alice), origin: 'https://evil.example' });
      expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('speaks JSON-RPC with a user token: initialize, tools/list, and an unknown tool as a protocol error', async () => {
      const started = await mcp({ ...bearer(alice), origin: FRONT_END }, initialize);
      expect(started.statusCode).toBe(200);
      expect(started.headers['access-control-allow-origin']).toBe(FRONT_END);
      expect(started.headers['mcp-session-id']).toBeUndefined();
      expect(started.json().result).toMatchObject({
        protocolVersion: '2025-11-25',
        capabilities: { tools: { listChanged: false } },
        serverInfo: { name: 'Connector Framework Manager' },
      });
      expect(toolNames((await mcp(bearer(alice))).json())).toEqual([]);
      const unknown = await mcp(bearer(alice), {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'slack_list_channels', arguments: {} },
      });
      expect(unknown.json().error).toMatchObject({
        code: -32602,
        message: expect.stringContaining('Unknown tool'),
      });
    });

    it("lists only the caller's own tools: X-CFM-User is ignored with a user token", async () => {
      expect(toolNames((await mcp(bearer(bob))).json())).toEqual([
        'slack_list_channels',
        'slack_post_message',
      ]);
      expect(toolNames((await mcp({ ...bearer(alice), 'x-cfm-user': 'bob@example.com' })).json())).toEqual(
        [],
      );
    });

    it('needs connections:actions and X-CFM-User naming a known user from a service key', async () => {
      const reader = await serviceKey(['connections:read']);
      const refused = await mcp({ ...bearer(reader), 'x-cfm-user': 'bob@example.com' });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('CFM_SCOPE_MISSING');

      const actions = await serviceKey(['connections:actions']);
      const nobody = await mcp(bearer(actions));
      expect(nobody.statusCode).toBe(400);
      expect(nobody.json().code).toBe('CFM_MCP_USER_REQUIRED');
      expect(nobody.body).not.toContain('jsonrpc');
      const stranger = await mcp({ ...bearer(actions), 'x-cfm-user': 'nobody@example.com' });
      expect(stranger.statusCode).toBe(404);
      expect(stranger.json().code).toBe('CFM_MCP_USER_NOT_FOUND');

      for (const reference of ['bob@example.com', 'BOB@example.com', 'mcp|bob']) {
        const listed = await mcp({ ...bearer(actions), 'x-cfm-user': reference });
        expect(listed.statusCode, reference).toBe(200);
        expect(toolNames(listed.json()), reference).toEqual(['slack_list_channels', 'slack_post_message']);
      }
      expect(
        toolNames((await mcp({ ...bearer(actions), 'x-cfm-user': 'alice@example.com' })).json()),
      ).toEqual([]);
    });

    it('answers GET and DELETE with 405 Allow: POST (stateless: no stream, no session)', async () => {
      for (const method of ['GET', 'DELETE'] as const) {
        const response = await mcp(bearer(alice), undefined, method);
        expect(response.statusCode, method).toBe(405);
        expect(response.headers['allow']).toBe('POST');
        expect(response.json().code).toBe('CFM_METHOD_NOT_ALLOWED');
      }
    });
  });
}
