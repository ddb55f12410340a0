import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, tokenFor } from '../test/helpers.js';
import { findNulCharacter, jsonNestingExceeds, MAX_JSON_DEPTH } from './request-input.js';

const DIALECTS = await testDialects();

/** `{"a":{"a":…"leaf"…}}` as text: JSON.stringify itself overflows the stack on thousands of levels. */
function nested(levels: number): string {
  return `${'{"a":'.repeat(levels)}"leaf"${'}'.repeat(levels)}`;
}

describe('jsonNestingExceeds', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(jsonNestingExceeds('[[[1]]]', 3)).toBe(false);
    expect(jsonNestingExceeds('[[[[1]]]]', 3)).toBe(true);
    expect(jsonNestingExceeds('{"a":"[[[[[[\\"[[[["}', 1)).toBe(false);
    expect(jsonNestingExceeds('[{},{},{},{}]', 2)).toBe(false);
  });
});

describe('findNulCharacter', () => {
  it('names the first string or key holding a NUL', () => {
    expect(findNulCharacter({ a: [1, 'x', 'y\u0000'] }, 'body')).toBe('body/a/2');
    expect(findNulCharacter({ 'k\u0000': 1 }, 'body')).toBe('body');
    expect(findNulCharacter({ a: 'fine', b: null, c: 3 }, 'body')).toBeUndefined();
  });
});

for (const dialect of DIALECTS) {
  describe(`hostile input answers 400 with a code (${dialect})`, () => {
    let test: TestApp;
    let alice: string;
    let admin: string;

    beforeAll(async () => {
      test = await createTestApp(dialect);
      alice = await tokenFor({ email: 'alice@example.com' });
      admin = await tokenFor({ email: 'root@example.com', role: 'admin' });
    });

    afterAll(async () => {
      await test?.close();
    });

    const post = (url: string, payload: string, token = alice) =>
      test.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload,
      });

    it('refuses an offset beyond any page instead of overflowing the database', async () => {
      for (const offset of ['99999999999999999999', '1e400', '1000001']) {
        const response = await test.app.inject({
          method: 'GET',
          url: `/api/connections/?offset=${offset}`,
          headers: { authorization: `Bearer ${alice}` },
        });
        expect(response.statusCode, response.body).toBe(400);
        expect(response.json()).toMatchObject({ code: 'CFM_VALIDATION' });
      }
      const last = await test.app.inject({
        method: 'GET',
        url: '/api/connections/?offset=1000000',
        headers: { authorization: `Bearer ${alice}` },
      });
      expect(last.statusCode, last.body).toBe(200);
      expect(last.json()).toMatchObject({ items: [], offset: 1_000_000 });
    });

    it('refuses config_data nested 5,000 levels before anything recursive sees it', async () => {
      const body = `{"connector_key":"slack","config_data":${nested(5000)}}`;
      const response = await post('/api/connections/', body);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json()).toEqual({
        statusCode: 400,
        code: 'CFM_BODY_TOO_DEEP',
        error: 'Bad Request',
        message: `The request body is nested more than ${MAX_JSON_DEPTH} levels deep`,
      });
      const arrays = await post('/api/connectors/', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, admin);
      expect(arrays.json()).toMatchObject({ statusCode: 400, code: 'CFM_BODY_TOO_DEEP' });
    });

    it('still takes a body nested as deep as the limit (the schema decides the rest)', async () => {
      // The body object is level 1, config_data level 2.
      const deepest = `{"connector_key":"slack","config_data":${nested(MAX_JSON_DEPTH - 1)}}`;
      const response = await post('/api/connections/', deepest);
      expect(response.json().code).not.toBe('CFM_BODY_TOO_DEEP');
      const deeper = `{"connector_key":"slack","config_data":${nested(MAX_JSON_DEPTH)}}`;
      expect((await post('/api/connections/', deeper)).json().code).toBe('CFM_BODY_TOO_DEEP');
    });

    it('refuses a NUL character in config_data, a query and a path parameter', async () => {
      const inBody = await post(
        '/api/connections/',
        JSON.stringify({ connector_key: 'datadog', config_data: { site: 'datadoghq.com\u0000' } }),
      );
      expect(inBody.statusCode, inBody.body).toBe(400);
      expect(inBody.json()).toMatchObject({
        code: 'CFM_VALIDATION',
        details: [{ field: 'body/config_data/site', message: 'must not contain a NUL character (\\u0000)' }],
      });
      const inKey = await post('/api/connections/', '{"connector_key":"slack\\u0000"}');
      expect(inKey.json()).toMatchObject({ statusCode: 400, code: 'CFM_VALIDATION' });

      const inQuery = await test.app.inject({
        method: 'GET',
        url: '/api/connections/?connector=slack%00',
        headers: { authorization: `Bearer ${alice}` },
      });
      expect(inQuery.statusCode, inQuery.body).toBe(400);
      expect(inQuery.json()).toMatchObject({
        code: 'CFM_VALIDATION',
        details: [{ field: 'querystring/connector' }],
      });

      const inPath = await test.app.inject({
        method: 'GET',
        url: '/api/connectors/slack%00',
        headers: { authorization: `Bearer ${alice}` },
      });
      expect(inPath.statusCode, inPath.body).toBe(400);
      expect(inPath.json()).toMatchObject({ code: 'CFM_VALIDATION', details: [{ field: 'params/key' }] });
    });

    it('answers a token whose subject holds a NUL without a 500', async () => {
      const token = await tokenFor({ email: 'nul@example.com', subject: 'nul\u0000subject' });
      const response = await test.app.inject({
        method: 'GET',
        url: '/api/connections/',
        headers: { authorization: `Bearer ${token}` },
      });
      // PostgreSQL cannot store it: 400 CFM_BAD_REQUEST from the error handler today, a 401 once auth
      // refuses such claims itself. SQLite stores it.
      expect(response.statusCode, response.body).toBeLessThan(500);
      if (dialect === 'postgres') expect([400, 401], response.body).toContain(response.statusCode);
    });

    it('keeps refusing prototype poisoning and malformed JSON', async () => {
      const poisoned = await post(
        '/api/connections/',
        '{"connector_key":"slack","__proto__":{"admin":true}}',
      );
      expect(poisoned.json()).toMatchObject({ statusCode: 400 });
      const malformed = await post('/api/connections/', '{"connector_key":');
      expect(malformed.json()).toMatchObject({ statusCode: 400, code: 'CFM_INVALID_JSON' });
    });

    it('takes an empty JSON body as no body on every DELETE route (404/403 come first, not CFM_INVALID_JSON)', async () => {
      const routes = test.app.swagger().paths as Record<string, Record<string, unknown>>;
      const deletes = Object.entries(routes)
        .filter(([, operations]) => 'delete' in operations)
        .map(([path]) => path);
      expect(deletes.length).toBeGreaterThanOrEqual(3);
      for (const path of deletes) {
        const url = path.replace(/\{[^}]+\}/g, (name) =>
          name === '{connector}' || name === '{key}'
            ? 'no-such-connector'
            : '00000000-0000-4000-8000-000000000000',
        );
        for (const token of [alice, admin]) {
          const response = await test.app.inject({
            method: 'DELETE',
            url,
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              'content-length': '0',
            },
          });
          expect(response.statusCode, `DELETE ${url}: ${response.body}`).toBeGreaterThanOrEqual(401);
          expect(response.statusCode, `DELETE ${url}: ${response.body}`).toBeLessThan(500);
          expect(response.json().code, `DELETE ${url}`).not.toBe('CFM_INVALID_JSON');
        }
      }
    });

    it('deletes a connection sent with Content-Type: application/json and no body', async () => {
      const created = await post('/api/connections/', JSON.stringify({ connector_key: 'notion' }));
      expect(created.statusCode, created.body).toBe(201);
      const response = await test.app.inject({
        method: 'DELETE',
        url: `/api/connections/${created.json().id}`,
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json; charset=utf-8' },
        payload: '',
      });
      expect(response.statusCode, response.body).toBe(204);
    });

    it('answers an empty POST body that a route needs with the schema error, not CFM_INVALID_JSON', async () => {
      const response = await post('/api/connections/', '');
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json()).toMatchObject({ code: 'CFM_VALIDATION' });
    });
  });
}
