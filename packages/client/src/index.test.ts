import { describe, expect, it } from 'vitest';
import { createCfmClient } from './index.js';

/** A fetch that records what it was sent and answers with `status` and `body`. */
function fakeFetch(status: number, body: unknown) {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request);
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { fetch, requests };
}

describe('createCfmClient', () => {
  it('sends the token as a bearer to baseUrl + path', async () => {
    const { fetch, requests } = fakeFetch(200, []);
    const cfm = createCfmClient({ baseUrl: 'https://api.example.com', token: 'jwt-1', fetch });
    const { data } = await cfm.GET('/api/connectors');
    expect(data).toEqual([]);
    expect(requests[0]?.url).toBe('https://api.example.com/api/connectors');
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer jwt-1');
  });

  it('asks a token function before every request, and sends nothing without a token', async () => {
    const { fetch, requests } = fakeFetch(200, []);
    const tokens = ['first', undefined];
    const cfm = createCfmClient({
      baseUrl: 'https://api.example.com',
      token: async () => tokens.shift(),
      fetch,
    });
    await cfm.GET('/api/connectors');
    await cfm.GET('/api/connectors');
    expect(requests.map((request) => request.headers.get('authorization'))).toEqual(['Bearer first', null]);
  });

  it('lets a call set its own Authorization (a service key on one call)', async () => {
    const { fetch, requests } = fakeFetch(200, []);
    const cfm = createCfmClient({ baseUrl: 'https://api.example.com', token: 'jwt-1', fetch });
    await cfm.GET('/api/connectors', { headers: { authorization: 'Bearer cfm_sk_x' } });
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer cfm_sk_x');
  });

  it('answers an error body as `error`', async () => {
    const problem = { statusCode: 404, code: 'CFM_NOT_FOUND', error: 'Not Found', message: 'Not found' };
    const { fetch } = fakeFetch(404, problem);
    const cfm = createCfmClient({ baseUrl: 'https://api.example.com', fetch });
    const { data, error } = await cfm.GET('/api/connectors/{key}', { params: { path: { key: 'acme' } } });
    expect(data).toBeUndefined();
    expect(error?.code).toBe('CFM_NOT_FOUND');
  });
});
