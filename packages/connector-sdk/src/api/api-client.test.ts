import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConnector } from '../define-connector.js';
import { ConnectorError } from '../errors.js';
import { createOriginRewriter } from '../http/origin-rewriter.js';
import { type LocalServer, sendJson, startLocalServer } from '../test/local-server.js';
import { connectorErrorOf } from '../testing/rejection-of.js';
import type { ApiDescriptor, AuthDescriptor, ConnectorDefinition, Credentials } from '../types.js';
import {
  apiDefaultHeaders,
  applyApiCredentials,
  createApiClient,
  joinApiUrl,
  missingApiPlaceholders,
  resolveApiBaseUrl,
} from './api-client.js';

const API_ORIGIN = 'https://api.acme.test';
const SECRET = 'tok-5e3c2a9b8d7f6e1a';

let server: LocalServer;
let rewriteUrl: (url: string) => string;

beforeAll(async () => {
  server = await startLocalServer((request, response) => {
    const url = new URL(request.url, 'http://local');
    if (url.pathname.endsWith('/denied')) return sendJson(response, 401, { error: 'invalid_token' });
    return sendJson(response, 200, { path: url.pathname });
  });
  rewriteUrl = createOriginRewriter(new Map([[API_ORIGIN, server.origin]]));
});

afterAll(async () => {
  await server.close();
});

const OAUTH: AuthDescriptor = {
  type: 'oauth2',
  authorizeUrl: `${API_ORIGIN}/authorize`,
  tokenUrl: `${API_ORIGIN}/token`,
  scopes: { required: [] },
};
const API_KEY_HEADER: AuthDescriptor = {
  type: 'api_key',
  fields: [{ name: 'apiKey', label: 'API key', in: 'header', param: 'X-Acme-Key', prefix: 'Key ' }],
};
const API_KEY_QUERY: AuthDescriptor = {
  type: 'api_key',
  fields: [{ name: 'apiKey', label: 'API key', in: 'query', param: 'api_key' }],
};
const BASIC: AuthDescriptor = { type: 'basic' };

function acme(api: ApiDescriptor, auth: AuthDescriptor[] = [OAUTH]): ConnectorDefinition {
  return defineConnector({
    key: 'acme',
    name: 'Acme',
    description: 'Tests the API client.',
    configSchema: Type.Object({ region: Type.Optional(Type.String()), tenant: Type.Optional(Type.String()) }),
    auth: auth as [AuthDescriptor, ...AuthDescriptor[]],
    api,
    async check() {
      return { identity: { accountId: '1' } };
    },
  }) as unknown as ConnectorDefinition;
}

/** The last request the local server saw. */
function lastRequest() {
  const request = server.requests.at(-1);
  if (!request) throw new Error('the server saw no request');
  return request;
}

describe('resolveApiBaseUrl and missingApiPlaceholders', () => {
  const connector = acme({ baseUrl: 'https://{region}.acme.test/t/{tenant}/' });

  it('fills placeholders from the config first, then from the metadata, without a trailing slash', () => {
    const facts = { config: { region: 'eu', tenant: 'from-config' }, metadata: { tenant: 'from-metadata' } };
    expect(resolveApiBaseUrl(connector, facts)).toBe('https://eu.acme.test/t/from-config');
    expect(resolveApiBaseUrl(connector, { config: { region: 'eu' }, metadata: { tenant: 'm-1' } })).toBe(
      'https://eu.acme.test/t/m-1',
    );
    // An empty config value does not hide what `check` stored.
    expect(
      resolveApiBaseUrl(connector, { config: { region: 'eu', tenant: '' }, metadata: { tenant: 'm-2' } }),
    ).toBe('https://eu.acme.test/t/m-2');
  });

  it('percent-encodes a value inside the URL, so metadata cannot add path segments', () => {
    expect(resolveApiBaseUrl(connector, { config: { region: 'eu' }, metadata: { tenant: 'a/../b' } })).toBe(
      'https://eu.acme.test/t/a%2F..%2Fb',
    );
  });

  it('takes a whole base URL from a placeholder that opens the template (self-hosted providers)', () => {
    const selfHosted = acme({ baseUrl: '{baseUrl}/rest/api/2' });
    expect(
      resolveApiBaseUrl(selfHosted, { config: { baseUrl: 'https://jira.example.com/jira/' }, metadata: {} }),
    ).toBe('https://jira.example.com/jira/rest/api/2');
  });

  it('names every missing placeholder, and resolving then throws a config error naming them', () => {
    expect(missingApiPlaceholders(connector, { config: {}, metadata: {} })).toEqual(['region', 'tenant']);
    expect(
      missingApiPlaceholders(connector, { config: { region: 'eu' }, metadata: { tenant: null } }),
    ).toEqual(['tenant']);
    expect(
      missingApiPlaceholders(connector, { config: { region: 'eu' }, metadata: { tenant: 't' } }),
    ).toEqual([]);
    let error: unknown;
    try {
      resolveApiBaseUrl(connector, { config: { region: 'eu' }, metadata: {} });
    } catch (thrown) {
      error = thrown;
    }
    expect(ConnectorError.is(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'config' });
    expect((error as Error).message).toContain('"tenant"');
    expect((error as Error).message).not.toContain('"region"');
  });

  it('throws a config error for a connector without api', () => {
    const bare = defineConnector({
      key: 'bare',
      name: 'Bare',
      description: 'No API.',
      configSchema: Type.Object({}),
      auth: [OAUTH],
      async check() {
        return { identity: { accountId: '1' } };
      },
    });
    expect(() => resolveApiBaseUrl(bare, { config: {}, metadata: {} })).toThrow(/declares no api/);
  });
});

describe('joinApiUrl', () => {
  it('keeps the base path and joins with exactly one slash', () => {
    expect(joinApiUrl('https://api.atlassian.com/ex/jira/abc', '/rest/api/3/myself')).toBe(
      'https://api.atlassian.com/ex/jira/abc/rest/api/3/myself',
    );
    expect(joinApiUrl('https://slack.com/api/', 'auth.test')).toBe('https://slack.com/api/auth.test');
    expect(joinApiUrl('https://slack.com/api', '//auth.test?x=1')).toBe(
      'https://slack.com/api/auth.test?x=1',
    );
    expect(joinApiUrl('https://api.figma.com', 'v1/me')).toBe('https://api.figma.com/v1/me');
  });

  it('refuses a path that climbs out of the base path, however it is spelled', () => {
    const base = 'https://api.atlassian.com/ex/jira/abc';
    for (const path of ['../other/x', 'a/../../x', '%2e%2e/x', '.%2E/x', '..\\x', '..']) {
      let error: unknown;
      try {
        joinApiUrl(base, path);
      } catch (thrown) {
        error = thrown;
      }
      expect(ConnectorError.is(error), path).toBe(true);
      expect(error).toMatchObject({ reason: 'config' });
    }
    // Dot segments that stay inside the base are harmless.
    expect(joinApiUrl(`${base}/`, 'a/../b')).toBe(`${base}/a/../b`);
  });
});

describe('apiDefaultHeaders', () => {
  it('lowercases the connector headers', () => {
    expect(
      apiDefaultHeaders(acme({ baseUrl: API_ORIGIN, headers: { 'Notion-Version': '2022-06-28' } })),
    ).toEqual({
      'notion-version': '2022-06-28',
    });
    expect(apiDefaultHeaders(acme({ baseUrl: API_ORIGIN }))).toEqual({});
  });
});

describe('createApiClient', () => {
  const oauth: Credentials = { type: 'oauth2', accessToken: SECRET };

  it('sends relative paths under the base path, with the default headers and a Bearer token', async () => {
    const connector = acme({ baseUrl: `${API_ORIGIN}/v2/{tenant}`, headers: { 'X-Api-Version': '7' } });
    const api = createApiClient(connector, {
      config: {},
      metadata: { tenant: 't-9' },
      credentials: oauth,
      rewriteUrl,
    });
    const response = await api.get<{ path: string }>('/items', { query: { limit: 2 } });
    expect(response.body.path).toBe('/v2/t-9/items');
    const request = lastRequest();
    expect(request.url).toBe('/v2/t-9/items?limit=2');
    expect(request.headers['x-api-version']).toBe('7');
    expect(request.headers['authorization']).toBe(`Bearer ${SECRET}`);
  });

  it("lets a caller's header override a default header of any case", async () => {
    const connector = acme({ baseUrl: API_ORIGIN, headers: { 'Notion-Version': '2022-06-28' } });
    const api = createApiClient(connector, { config: {}, credentials: oauth, rewriteUrl });
    await api.post('search', { headers: { 'NOTION-VERSION': '2025-09-03' }, json: { query: 'x' } });
    expect(lastRequest().headers['notion-version']).toBe('2025-09-03');
    expect(lastRequest().method).toBe('POST');
    expect(JSON.parse(lastRequest().body)).toEqual({ query: 'x' });
  });

  it('accepts an absolute URL on the API origin, with credentials', async () => {
    const api = createApiClient(acme({ baseUrl: `${API_ORIGIN}/v2` }), {
      config: {},
      credentials: oauth,
      rewriteUrl,
    });
    await api.get(`${API_ORIGIN}/oauth/accessible-resources`);
    expect(lastRequest().url).toBe('/oauth/accessible-resources');
    expect(lastRequest().headers['authorization']).toBe(`Bearer ${SECRET}`);
  });

  it('refuses an absolute URL on another origin before sending anything', async () => {
    const api = createApiClient(acme({ baseUrl: API_ORIGIN }), {
      config: {},
      credentials: oauth,
      rewriteUrl,
    });
    const before = server.requests.length;
    // The other origin is the local server itself: a request would have reached it.
    const error = await connectorErrorOf(api.get(`${server.origin}/steal`));
    expect(error.reason).toBe('config');
    expect(error.message).not.toContain(SECRET);
    expect(server.requests.length).toBe(before);
  });

  it('refuses a path that climbs out of the base path', async () => {
    const api = createApiClient(acme({ baseUrl: `${API_ORIGIN}/t/{tenant}` }), {
      config: {},
      metadata: { tenant: 'mine' },
      credentials: oauth,
      rewriteUrl,
    });
    const before = server.requests.length;
    expect((await connectorErrorOf(api.get('../theirs/items'))).reason).toBe('config');
    expect(server.requests.length).toBe(before);
  });

  it('sends no credentials on a request that says auth: false', async () => {
    const api = createApiClient(acme({ baseUrl: API_ORIGIN }), {
      config: {},
      credentials: oauth,
      rewriteUrl,
    });
    await api.get('public');
    expect(lastRequest().headers['authorization']).toBe(`Bearer ${SECRET}`);
    await api.request({ url: 'public', auth: false });
    expect(lastRequest().headers['authorization']).toBeUndefined();
  });

  it('maps a refusal to reason auth without the token in the message', async () => {
    const api = createApiClient(acme({ baseUrl: API_ORIGIN }), {
      config: {},
      credentials: oauth,
      rewriteUrl,
      retries: 0,
    });
    const error = await connectorErrorOf(api.get('denied'));
    expect(error).toMatchObject({ reason: 'auth', status: 401 });
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(SECRET);
  });

  it('throws a config error when the base URL needs a value the connection lacks', () => {
    expect(() =>
      createApiClient(acme({ baseUrl: `${API_ORIGIN}/{tenant}` }), {
        config: {},
        credentials: oauth,
        rewriteUrl,
      }),
    ).toThrow(/"tenant"/);
  });
});

describe('credential placement on API requests', () => {
  const connectorFor = (auth: AuthDescriptor[]) => acme({ baseUrl: `${API_ORIGIN}/v1` }, auth);

  it('puts an API key in its header with its prefix', async () => {
    const api = createApiClient(connectorFor([OAUTH, API_KEY_HEADER]), {
      config: {},
      credentials: { type: 'api_key', values: { apiKey: SECRET } },
      rewriteUrl,
    });
    await api.get('me');
    expect(lastRequest().headers['x-acme-key']).toBe(`Key ${SECRET}`);
    expect(lastRequest().headers['authorization']).toBeUndefined();
  });

  it('puts an API key in its query parameter', async () => {
    const api = createApiClient(connectorFor([API_KEY_QUERY]), {
      config: {},
      credentials: { type: 'api_key', values: { apiKey: SECRET } },
      rewriteUrl,
    });
    await api.get('me', { query: { q: 'x' } });
    const url = new URL(lastRequest().url, 'http://local');
    expect(url.pathname).toBe('/v1/me');
    expect(url.searchParams.get('api_key')).toBe(SECRET);
    expect(url.searchParams.get('q')).toBe('x');
  });

  it('uses the descriptor at authIndex when two share a type', async () => {
    const api = createApiClient(connectorFor([API_KEY_HEADER, API_KEY_QUERY]), {
      config: {},
      credentials: { type: 'api_key', values: { apiKey: SECRET } },
      rewriteUrl,
      authIndex: 1,
    });
    await api.get('me');
    expect(new URL(lastRequest().url, 'http://local').searchParams.get('api_key')).toBe(SECRET);
    expect(lastRequest().headers['x-acme-key']).toBeUndefined();
  });

  it('sends basic credentials as Authorization: Basic', async () => {
    const api = createApiClient(connectorFor([BASIC]), {
      config: {},
      credentials: { type: 'basic', username: 'ada', password: SECRET },
      rewriteUrl,
    });
    await api.get('me');
    const header = String(lastRequest().headers['authorization']);
    expect(header.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8')).toBe(`ada:${SECRET}`);
  });

  it("lets the connector's applyCredentials hook place them, with the connection's config and metadata", async () => {
    const seen: unknown[] = [];
    const connector = acme({
      baseUrl: `${API_ORIGIN}/v1`,
      applyCredentials(request, credentials, connection) {
        seen.push(connection);
        if (credentials.type === 'oauth2') request.headers['x-token'] = credentials.accessToken;
        request.url.searchParams.set('tenant', String(connection.metadata['tenant']));
      },
    });
    const api = createApiClient(connector, {
      config: { region: 'eu' },
      metadata: { tenant: 't-1' },
      credentials: { type: 'oauth2', accessToken: SECRET },
      rewriteUrl,
    });
    await api.get('me');
    expect(lastRequest().headers['x-token']).toBe(SECRET);
    // The hook replaces the default placement: no Bearer header.
    expect(lastRequest().headers['authorization']).toBeUndefined();
    expect(new URL(lastRequest().url, 'http://local').searchParams.get('tenant')).toBe('t-1');
    expect(seen).toEqual([{ config: { region: 'eu' }, metadata: { tenant: 't-1' } }]);
  });

  it('applyApiCredentials keeps a header the caller already set', () => {
    const headers: Record<string, string> = { authorization: 'Bearer caller' };
    applyApiCredentials(
      connectorFor([OAUTH]),
      { type: 'oauth2', accessToken: SECRET },
      { headers, url: new URL(`${API_ORIGIN}/v1/me`) },
      { config: {}, metadata: {} },
    );
    expect(headers['authorization']).toBe('Bearer caller');
  });
});
