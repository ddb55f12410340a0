import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyHarness, startProxyHarness } from './test/proxy-harness.js';

const DIALECTS = await testDialects();

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request sent exactly as written (no URL normalisation, unlike fetch), with a bounded wait. */
function rawRequest(
  baseUrl: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const headers = { ...options.headers };
  // Node sends a DELETE body without framing unless told its length: always frame what we send.
  if (
    options.body !== undefined &&
    headers['transfer-encoding'] === undefined &&
    headers['content-length'] === undefined
  ) {
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: hostname, port, method: options.method ?? 'GET', path: options.path, headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.setTimeout(20_000, () => outgoing.destroy(new Error('timed out')));
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

function codeOf(answer: RawAnswer): string {
  return (JSON.parse(answer.body) as { code: string }).code;
}

for (const dialect of DIALECTS) {
  describe(`connection proxy (${dialect})`, () => {
    let h: ProxyHarness;
    const proxyPath = (connectionId: string, path: string) =>
      `/api/connections/${connectionId}/proxy/${path}`;

    beforeAll(async () => {
      h = await startProxyHarness(dialect, {
        PROXY_TIMEOUT_MS: '1500',
        PROXY_BODY_LIMIT_BYTES: String(2 * 1024 * 1024),
      });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('forwards a GET with the connection token, the API headers and the raw query, never the caller credentials', async () => {
      const before = h.api.seen.length;
      const answer = await rawRequest(h.baseUrl, {
        path: `${proxyPath(h.aliceConnectionId, 'echo/items')}?expand=a%20b&limit=2`,
        headers: {
          authorization: `Bearer ${h.alice.token}`,
          cookie: 'session=caller-cookie',
          'x-forwarded-for': '10.1.2.3',
          'x-forwarded-host': 'evil.example',
          'proxy-authorization': 'Basic c2VjcmV0',
          accept: 'application/json',
          'if-none-match': '"v1"',
          'x-acme-trace': 'kept',
        },
      });
      expect(answer.status, answer.body).toBe(200);
      expect(answer.headers['x-provider-header']).toBe('kept');
      expect(h.api.seen.length).toBe(before + 1);
      const seen = h.api.seen.at(-1)!;
      expect(seen.url).toBe('/v1/echo/items?expand=a%20b&limit=2');
      const token = String(seen.headers['authorization']).replace('Bearer ', '');
      expect(h.provider.tokens.some((record) => record.value === token && record.state === 'active')).toBe(
        true,
      );
      expect(token).not.toBe(h.alice.token);
      expect(seen.headers['acme-version']).toBe('2026-01-01');
      expect(seen.headers['if-none-match']).toBe('"v1"');
      expect(seen.headers['x-acme-trace']).toBe('kept');
      for (const name of ['cookie', 'x-forwarded-for', 'x-forwarded-host', 'proxy-authorization']) {
        expect(seen.headers[name], name).toBeUndefined();
      }
      expect(seen.headers['host']).toBe(new URL(h.api.url).host);
      expect(JSON.stringify(seen.headers)).not.toContain(h.alice.token);
    });

    it('forwards bodies byte for byte for POST, PUT, PATCH and DELETE', async () => {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const body = Buffer.from(JSON.stringify({ method, text: 'héllo', n: [1, 2, 3] }));
        const answer = await rawRequest(h.baseUrl, {
          method,
          path: proxyPath(h.aliceConnectionId, 'echo'),
          headers: {
            authorization: `Bearer ${h.alice.token}`,
            'content-type': 'application/json; charset=utf-8',
          },
          body,
        });
        expect(answer.status, `${method}: ${answer.body}`).toBe(200);
        const seen = JSON.parse(answer.body) as {
          method: string;
          bodyBytes: number;
          bodySha256: string;
          headers: Record<string, string>;
        };
        expect(seen.method).toBe(method);
        expect(seen.bodyBytes).toBe(body.length);
        expect(seen.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
        expect(seen.headers['content-type']).toBe('application/json; charset=utf-8');
      }
    });

    it("answers 404 for another user's connection and sends nothing", async () => {
      const before = h.api.seen.length;
      const answer = await rawRequest(h.baseUrl, {
        path: proxyPath(h.bobConnectionId, 'echo'),
        headers: { authorization: `Bearer ${h.alice.token}` },
      });
      expect(answer.status).toBe(404);
      expect(codeOf(answer)).toBe('CFM_CONNECTION_NOT_FOUND');
      expect(h.api.seen.length).toBe(before);
    });

    it('refuses paths that could leave the API base, in any encoding, before anything is sent', async () => {
      const before = h.api.seen.length;
      for (const path of [
        '../secret',
        'echo/../../admin',
        '%2e%2e/admin',
        'echo/%252e%252e/admin',
        'echo//x',
        'echo%2f%2fevil.example',
        'echo%5c..%5cadmin',
        '@evil.example/x',
        'http:%2f%2fevil.example/x',
        'echo%3fx=1',
      ]) {
        const answer = await rawRequest(h.baseUrl, {
          path: proxyPath(h.aliceConnectionId, path),
          headers: { authorization: `Bearer ${h.alice.token}` },
        });
        expect(answer.status, path).toBe(400);
        expect(codeOf(answer), path).toBe('CFM_PROXY_PATH_INVALID');
      }
      expect(h.api.seen.length).toBe(before);
    });

    it('passes redirects back unfollowed and drops cookies and hop-by-hop headers of the provider', async () => {
      const redirect = await rawRequest(h.baseUrl, {
        path: proxyPath(h.aliceConnectionId, 'redirect'),
        headers: { authorization: `Bearer ${h.alice.token}` },
      });
      expect(redirect.status).toBe(302);
      expect(redirect.headers['location']).toBe('https://elsewhere.example/landing');
      const cookie = await rawRequest(h.baseUrl, {
        method: 'POST',
        path: proxyPath(h.aliceConnectionId, 'cookie'),
        headers: { authorization: `Bearer ${h.alice.token}` },
      });
      expect(cookie.status).toBe(201);
      expect(cookie.body).toBe('created');
      expect(cookie.headers['set-cookie']).toBeUndefined();
      expect(cookie.headers['x-hop']).toBeUndefined();
      expect(cookie.headers['x-kept']).toBe('yes');
    });

    it('refreshes once on a provider 401 and retries with the new token', async () => {
      const refreshes = h.provider.counts.refresh;
      h.provider.expireAccessTokens();
      const answer = await rawRequest(h.baseUrl, {
        path: proxyPath(h.aliceConnectionId, 'echo'),
        headers: { authorization: `Bearer ${h.alice.token}` },
      });
      expect(answer.status, answer.body).toBe(200);
      expect(h.provider.counts.refresh).toBe(refreshes + 1);
    });

    it('retries a 429 whose Retry-After fits the cap and passes a longer one back', async () => {
      h.api.rateLimitNext(1, 1);
      const retried = await rawRequest(h.baseUrl, {
        path: proxyPath(h.aliceConnectionId, 'echo'),
        headers: { authorization: `Bearer ${h.alice.token}` },
      });
      expect(retried.status).toBe(200);
      h.api.rateLimitNext(1, 3600);
      const passed = await rawRequest(h.baseUrl, {
        path: proxyPath(h.aliceConnectionId, 'echo'),
        headers: { authorization: `Bearer ${h.alice.token}` },
      });
      expect(passed.status).toBe(429);
      expect(passed.headers['retry-after']).toBe('3600');
    });

    it('gives up on a provider that hangs with 504 CFM_PROVIDER_TIMEOUT', async () => {
      const answer = await rawRequest(h.baseUrl, {
        path: proxyPath(h.aliceConnectionId, 'hang'),
        headers: { authorization: `Bearer ${h.alice.token}` },
      });
      expect(answer.status).toBe(504);
      expect(codeOf(answer)).toBe('CFM_PROVIDER_TIMEOUT');
    });

    it('refuses a body over the limit with 413, declared or streamed', async () => {
      const big = Buffer.alloc(3 * 1024 * 1024, 1);
      const declared = await rawRequest(h.baseUrl, {
        method: 'POST',
        path: proxyPath(h.aliceConnectionId, 'echo'),
        headers: {
          authorization: `Bearer ${h.alice.token}`,
          'content-type': 'application/octet-stream',
          'content-length': String(big.length),
        },
        body: big,
      });
      expect(declared.status).toBe(413);
      expect(codeOf(declared)).toBe('CFM_PAYLOAD_TOO_LARGE');
      const chunked = await rawRequest(h.baseUrl, {
        method: 'POST',
        path: proxyPath(h.aliceConnectionId, 'echo'),
        headers: {
          authorization: `Bearer ${h.alice.token}`,
          'content-type': 'application/octet-stream',
          'transfer-encoding': 'chunked',
        },
        body: big,
      });
      expect(chunked.status).toBe(413);
      const fits = Buffer.alloc(1536 * 1024, 2);
      const streamed = await rawRequest(h.baseUrl, {
        method: 'PUT',
        path: proxyPath(h.aliceConnectionId, 'echo'),
        headers: {
          authorization: `Bearer ${h.alice.token}`,
          'content-type': 'application/octet-stream',
          'transfer-encoding': 'chunked',
        },
        body: fits,
      });
      expect(streamed.status, streamed.body).toBe(200);
      expect((JSON.parse(streamed.body) as { bodyBytes: number }).bodyBytes).toBe(fits.length);
    });

    it('streams a large download through', async () => {
      const response = await fetch(`${h.baseUrl}${proxyPath(h.aliceConnectionId, 'big')}?mib=20`, {
        headers: { authorization: `Bearer ${h.alice.token}` },
      });
      expect(response.status).toBe(200);
      let bytes = 0;
      for await (const chunk of response.body!) bytes += (chunk as Uint8Array).length;
      expect(bytes).toBe(20 * 1024 * 1024);
    });

    it('lets a service key with connections:proxy use any connection, and refuses one without the scope', async () => {
      const proxyKey = await h.serviceClient(['connections:proxy']);
      const answer = await rawRequest(h.baseUrl, {
        path: proxyPath(h.bobConnectionId, 'echo?secret_query=abc'),
        headers: { authorization: `Bearer ${proxyKey.key}` },
      });
      expect(answer.status, answer.body).toBe(200);
      expect(JSON.stringify(h.api.seen.at(-1)?.headers)).not.toContain(proxyKey.key);
      const readOnly = await h.serviceClient(['connections:read']);
      const before = h.api.seen.length;
      const refused = await rawRequest(h.baseUrl, {
        path: proxyPath(h.bobConnectionId, 'echo'),
        headers: { authorization: `Bearer ${readOnly.key}` },
      });
      expect(refused.status).toBe(403);
      expect(codeOf(refused)).toBe('CFM_SCOPE_MISSING');
      expect(refused.body).toContain('connections:proxy');
      expect(h.api.seen.length).toBe(before);
      // The call is on record: who, which connection, method and path, never the query or a token.
      const events = await h.testApp.handle.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'connection.proxy')
        .where('actor_id', '=', proxyKey.id)
        .execute();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        connection_id: h.bobConnectionId,
        status_code: 200,
        outcome: 'success',
      });
      const text = JSON.stringify(events);
      expect(text).toContain('/echo');
      expect(text).not.toContain('secret_query');
      expect(text).not.toContain(proxyKey.key);
    });

    it('hands a fresh token to a service key with connections:token only, never to a user', async () => {
      const tokenKey = await h.serviceClient(['connections:token']);
      const answer = await tokenKey.client.get<{
        access_token: string;
        connector_key: string;
        expires_at: string | null;
      }>(`/api/connections/${h.aliceConnectionId}/token`);
      expect(answer.status, answer.text).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.body.connector_key).toBe('acme-api');
      expect(
        h.provider.tokens.some(
          (record) => record.value === answer.body.access_token && record.state === 'active',
        ),
      ).toBe(true);
      const asUser = await h.alice.get(`/api/connections/${h.aliceConnectionId}/token`);
      expect(asUser.status).toBe(403);
      expect(asUser.text).not.toContain(answer.body.access_token);
      const proxyOnly = await h.serviceClient(['connections:proxy']);
      const refused = await proxyOnly.client.get(`/api/connections/${h.aliceConnectionId}/token`);
      expect(refused.status).toBe(403);
      expect((refused.body as { code: string }).code).toBe('CFM_SCOPE_MISSING');
      const missing = await tokenKey.client.get(`/api/connections/${crypto.randomUUID()}/token`);
      expect(missing.status).toBe(404);
    });

    it('answers 404 CFM_ACTION_NOT_FOUND for an action the connector does not declare, and 404 for a foreign connection', async () => {
      const unknown = await h.alice.post(`/api/connections/${h.aliceConnectionId}/actions/list_things`, {});
      expect(unknown.status).toBe(404);
      expect((unknown.body as { code: string }).code).toBe('CFM_ACTION_NOT_FOUND');
      const foreign = await h.alice.post(`/api/connections/${h.bobConnectionId}/actions/list_things`, {});
      expect(foreign.status).toBe(404);
      expect((foreign.body as { code: string }).code).toBe('CFM_CONNECTION_NOT_FOUND');
      const anonymous = await fetch(
        `${h.baseUrl}/api/connections/${h.aliceConnectionId}/actions/list_things`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"limit": "not validated before authentication"}',
        },
      );
      expect(anonymous.status).toBe(401);
    });

    it('answers 409 for a connection that is not active and sends nothing', async () => {
      const setStatus = (status: 'pending' | 'active') =>
        h.testApp.handle.db
          .updateTable('connections')
          .set({ status })
          .where('id', '=', h.bobConnectionId)
          .execute();
      await setStatus('pending');
      const before = h.api.seen.length;
      const answer = await rawRequest(h.baseUrl, {
        path: proxyPath(h.bobConnectionId, 'echo'),
        headers: { authorization: `Bearer ${h.bob.token}` },
      });
      await setStatus('active');
      expect(answer.status).toBe(409);
      expect(codeOf(answer)).toBe('CFM_CONNECTION_NOT_READY');
      expect(h.api.seen.length).toBe(before);
    });

    it('marks the connection expired and answers 409 when the refresh is refused', async () => {
      // Bob revokes the grant at the provider (every token of its family dies): the refresh gets invalid_grant.
      const credentials = await h.testApp.app.engine.tokenManager.getFreshCredentials(h.bobConnectionId);
      expect(credentials.type).toBe('oauth2');
      expect(h.provider.revokeToken((credentials as { accessToken: string }).accessToken)).toBe(true);
      const answer = await rawRequest(h.baseUrl, {
        path: proxyPath(h.bobConnectionId, 'echo'),
        headers: { authorization: `Bearer ${h.bob.token}` },
      });
      expect(answer.status, answer.body).toBe(409);
      expect(codeOf(answer)).toBe('CFM_CONNECTION_EXPIRED');
      const row = await h.testApp.handle.db
        .selectFrom('connections')
        .select('status')
        .where('id', '=', h.bobConnectionId)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('expired');
      // Alice's connection, another grant, keeps working.
      const alice = await rawRequest(h.baseUrl, {
        path: proxyPath(h.aliceConnectionId, 'echo'),
        headers: { authorization: `Bearer ${h.alice.token}` },
      });
      expect(alice.status).toBe(200);
    });
  });
}
