import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors.js';
import { type LocalServer, sendJson, startLocalServer } from '../test/local-server.js';
import type { Logger } from '../types.js';
import { createHttpClient } from './http-client.js';
import { createOriginRewriter } from './origin-rewriter.js';

const SECRET = 'secret-token-9f8e7d6c5b4a';

/** Routes by path; `/flaky/<id>` fails with 503 the first two times each id is seen. */
let server: LocalServer;
const seen = new Map<string, number>();

function countFor(path: string): number {
  const count = (seen.get(path) ?? 0) + 1;
  seen.set(path, count);
  return count;
}

beforeAll(async () => {
  server = await startLocalServer((request, response) => {
    const url = new URL(request.url, 'http://local');
    const count = countFor(url.pathname);
    if (url.pathname.startsWith('/flaky/')) {
      if (count <= 2) return sendJson(response, 503, { error: 'unavailable' }, { 'retry-after': '0' });
      return sendJson(response, 200, { ok: true, attempts: count });
    }
    if (url.pathname.startsWith('/always-503/')) return sendJson(response, 503, { error: 'unavailable' });
    if (url.pathname.startsWith('/limited-short/')) {
      if (count === 1) return sendJson(response, 429, { code: 'rate_limited' }, { 'retry-after': '0.01' });
      return sendJson(response, 200, { ok: true });
    }
    if (url.pathname.startsWith('/limited-long/')) {
      return sendJson(response, 429, { code: 'rate_limited' }, { 'retry-after': '120' });
    }
    if (url.pathname.startsWith('/slow/')) {
      setTimeout(() => sendJson(response, 200, { late: true }), 2000).unref();
      return;
    }
    if (url.pathname === '/unauthorized')
      return sendJson(response, 401, { error: 'invalid_token', echo: SECRET });
    if (url.pathname === '/text') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('hello');
      return;
    }
    return sendJson(response, 200, { echo: true });
  });
});

afterAll(async () => {
  await server.close();
});

function requestsTo(path: string) {
  return server.requests.filter((request) => request.url.startsWith(path));
}

describe('createHttpClient retries', () => {
  it('retries 503 and then succeeds', async () => {
    const http = createHttpClient({ retries: 2, maxRetryDelayMs: 20 });
    const response = await http.get<{ attempts: number }>(`${server.origin}/flaky/a`);
    expect(response.status).toBe(200);
    expect(response.body.attempts).toBe(3);
    expect(requestsTo('/flaky/a')).toHaveLength(3);
  });

  it('gives up after the configured retries', async () => {
    const http = createHttpClient({ retries: 1, maxRetryDelayMs: 20 });
    const error = await http.get(`${server.origin}/always-503/b`).catch((caught: unknown) => caught);
    expect(ConnectorError.is(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'provider', retryable: true, status: 503 });
    expect(requestsTo('/always-503/b')).toHaveLength(2);
  });

  it('honours a short Retry-After on 429', async () => {
    const http = createHttpClient({ retries: 2, maxRetryDelayMs: 1000 });
    const response = await http.get(`${server.origin}/limited-short/c`);
    expect(response.status).toBe(200);
    expect(requestsTo('/limited-short/c')).toHaveLength(2);
  });

  it('does not wait for a Retry-After beyond the cap: throws rate_limited', async () => {
    const http = createHttpClient({ retries: 3, maxRetryDelayMs: 50 });
    const error = await http.get(`${server.origin}/limited-long/d`).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      reason: 'rate_limited',
      retryable: true,
      retryAfterMs: 120_000,
      status: 429,
    });
    expect(requestsTo('/limited-long/d')).toHaveLength(1);
  });

  it('turns a timeout into a retryable network error', async () => {
    const http = createHttpClient({ retries: 1, timeoutMs: 100, maxRetryDelayMs: 10 });
    const error = await http
      .get(`${server.origin}/slow/e?token=${SECRET}`)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ reason: 'network', retryable: true });
    expect((error as Error).message).toContain('timed out');
    expect((error as Error).message).not.toContain(SECRET);
    expect(requestsTo('/slow/e')).toHaveLength(2);
  });

  it('turns a refused connection into a network error', async () => {
    const closed = await startLocalServer(() => undefined);
    await closed.close();
    const http = createHttpClient({ retries: 0 });
    const error = await http.get(`${closed.origin}/x`).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ reason: 'network', retryable: true });
  });

  it('rejects with the abort reason when the signal aborts', async () => {
    const controller = new AbortController();
    const http = createHttpClient({ signal: controller.signal, retries: 0 });
    const pending = http.get(`${server.origin}/slow/f`);
    setTimeout(() => controller.abort(new Error('stopped by test')), 50);
    await expect(pending).rejects.toThrow('stopped by test');
  });
});

describe('createHttpClient requests and answers', () => {
  it('maps non-2xx to ConnectorError without echoing secrets, unless throwOnError is false', async () => {
    const logged: string[] = [];
    const record = (message: string, fields?: Record<string, unknown>) => {
      logged.push(`${message} ${JSON.stringify(fields)}`);
    };
    const logger: Logger = { debug: record, info: record, warn: record, error: record };
    const http = createHttpClient({ credentials: { type: 'oauth2', accessToken: SECRET }, logger });
    const error = await http
      .get(`${server.origin}/unauthorized`, { query: { api_key: SECRET } })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ reason: 'auth', status: 401, providerCode: 'invalid_token' });
    expect(JSON.stringify({ message: (error as Error).message, ...(error as object) })).not.toContain(SECRET);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain(SECRET);

    const response = await http.get(`${server.origin}/unauthorized`, { throwOnError: false });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'invalid_token' });
  });

  it('sends query, JSON and form bodies', async () => {
    const http = createHttpClient();
    await http.post(`${server.origin}/echo/json`, {
      query: { a: 1, skip: undefined, b: 'x y' },
      json: { hello: 'world' },
    });
    await http.post(`${server.origin}/echo/form`, { form: { grant: 'code', empty: undefined } });
    const [json] = requestsTo('/echo/json');
    const [form] = requestsTo('/echo/form');
    expect(json?.url).toBe('/echo/json?a=1&b=x+y');
    expect(json?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(json?.body ?? '')).toEqual({ hello: 'world' });
    expect(form?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form?.body).toBe('grant=code');
  });

  it('returns text bodies as text', async () => {
    const response = await createHttpClient().get(`${server.origin}/text`);
    expect(response.body).toBe('hello');
  });

  it('applies a Bearer token unless auth is false', async () => {
    const http = createHttpClient({ credentials: { type: 'oauth2', accessToken: SECRET } });
    await http.get(`${server.origin}/bearer/with`);
    await http.get(`${server.origin}/bearer/without`, { auth: false });
    expect(requestsTo('/bearer/with')[0]?.headers['authorization']).toBe(`Bearer ${SECRET}`);
    expect(requestsTo('/bearer/without')[0]?.headers['authorization']).toBeUndefined();
  });

  it('applies API keys to headers and query parameters with their prefix', async () => {
    const http = createHttpClient({
      credentials: { type: 'api_key', values: { apiKey: 'key-1', appKey: 'app-2' } },
      auth: {
        type: 'api_key',
        fields: [
          { name: 'apiKey', label: 'API key', in: 'header', param: 'DD-API-KEY' },
          { name: 'appKey', label: 'App key', in: 'query', param: 'application_key', prefix: 'v1:' },
        ],
      },
    });
    await http.get(`${server.origin}/api-key`);
    const [request] = requestsTo('/api-key');
    expect(request?.headers['dd-api-key']).toBe('key-1');
    expect(request?.url).toBe('/api-key?application_key=v1%3Aapp-2');
  });

  it('applies basic credentials', async () => {
    const http = createHttpClient({ credentials: { type: 'basic', username: 'ann', password: 'pw' } });
    await http.get(`${server.origin}/basic`);
    expect(requestsTo('/basic')[0]?.headers['authorization']).toBe(
      `Basic ${Buffer.from('ann:pw').toString('base64')}`,
    );
  });

  it('rewrites every URL through rewriteUrl', async () => {
    const rewriteUrl = createOriginRewriter(new Map([['https://api.example.com', server.origin]]));
    const http = createHttpClient({ rewriteUrl });
    const response = await http.get('https://api.example.com/rewritten?x=1');
    expect(response.url).toBe(`${server.origin}/rewritten?x=1`);
    expect(requestsTo('/rewritten')).toHaveLength(1);
  });
});
