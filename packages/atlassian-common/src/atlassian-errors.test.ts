import { createApiClient, createOriginRewriter } from '@cfm/connector-sdk';
import { connectorErrorOf } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atlassianApi } from './atlassian-api.js';
import {
  atlassianApiError,
  atlassianErrorMessages,
  atlassianRequest,
  safeProviderText,
} from './atlassian-errors.js';
import { siteMetadata } from './atlassian-site.js';
import { PROBE_USER, startFakeProbe } from './test/fake-probe.js';
import { probeConnector } from './test/probe-connector.js';
import type { FakeAtlassian } from './testing/index.js';

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers,
  body,
  url: 'https://api.atlassian.com/ex/jira/c/rest/api/3/search/jql',
});

describe('Atlassian error bodies', () => {
  it.each([
    [
      'Jira',
      { errorMessages: ['Bad JQL'], errors: { summary: 'Too long' } },
      ['Bad JQL', 'summary: Too long'],
    ],
    [
      'Confluence v2',
      { errors: [{ status: 400, code: 'INVALID_REQUEST_PARAMETER', title: 'Bad id', detail: null }] },
      ['Bad id'],
    ],
    [
      'Confluence v1',
      { statusCode: 400, message: 'Could not parse cql : x', data: { errors: [] } },
      ['Could not parse cql : x'],
    ],
    [
      'Confluence v1 with translated errors',
      {
        statusCode: 400,
        message: 'outer',
        data: { errors: [{ message: { key: 'k', translation: 'inner' } }] },
      },
      ['inner'],
    ],
    ['the gateway', { code: 401, message: 'Unauthorized' }, ['Unauthorized']],
    ['not JSON', 'Service Unavailable', []],
  ])('reads the messages of %s', (_shape, body, messages) => {
    expect(atlassianErrorMessages(body)).toEqual(messages);
  });

  it('keeps token-like runs, query strings and line breaks out of provider text', () => {
    const secret = 'eyJhbGciOiJIUzI1NiJ9abc123def456ghi789';
    const text = safeProviderText(
      `Bearer ${secret} failed\n at https://acme.atlassian.net/x?token=${secret} for key ${secret}`,
    );
    expect(text).not.toContain(secret);
    expect(text).not.toContain('?');
    expect(text).not.toContain('\n');
    expect(text).toContain('https://acme.atlassian.net/x');
    expect(safeProviderText('x'.repeat(500))).toHaveLength(200);
    // Prose with long words but no digits stays.
    expect(safeProviderText('Unbounded JQL queries are not allowed here')).toBe(
      'Unbounded JQL queries are not allowed here',
    );
  });

  it('maps 400 to config with the messages, 404 to config, a scope mismatch to permission, the rest as the SDK does', () => {
    const refused = atlassianApiError(answer(400, { errorMessages: ['Bad JQL'], errors: {} }), {
      operation: 'Jira issue search',
    });
    expect(refused).toMatchObject({ reason: 'config', status: 400, retryable: false });
    expect(refused.message).toBe('Jira issue search was refused (HTTP 400): Bad JQL');

    const missing = atlassianApiError(answer(404, { errorMessages: ['Issue does not exist'], errors: {} }), {
      operation: 'Jira issue read',
      notFound: 'Jira issue "X-1" does not exist',
    });
    expect(missing).toMatchObject({
      reason: 'config',
      status: 404,
      message: 'Jira issue "X-1" does not exist',
    });

    const siteGone = atlassianApiError(answer(404, { code: 404, message: 'Cloud id not found' }), {
      operation: 'Jira issue read',
      notFound: 'Jira issue "X-1" does not exist',
    });
    expect(siteGone.message).toMatch(/site is not covered by this grant/);

    const scope = atlassianApiError(
      answer(401, { code: 401, message: 'Unauthorized; scope does not match' }),
      {
        operation: 'Jira issue creation',
      },
    );
    expect(scope).toMatchObject({ reason: 'permission', status: 401 });

    expect(
      atlassianApiError(answer(401, { code: 401, message: 'Unauthorized' }), { operation: 'x' }).reason,
    ).toBe('auth');
    expect(atlassianApiError(answer(403, {}), { operation: 'x' }).reason).toBe('permission');
    const limited = atlassianApiError(answer(429, {}, { 'retry-after': '7' }), { operation: 'x' });
    expect(limited).toMatchObject({ reason: 'rate_limited', retryable: true, retryAfterMs: 7_000 });
    expect(atlassianApiError(answer(502, 'Bad gateway'), { operation: 'x' })).toMatchObject({
      reason: 'provider',
      retryable: true,
    });
  });
});

describe('the Atlassian api descriptor against the fake Atlassian', () => {
  let fake: FakeAtlassian;

  beforeAll(async () => {
    fake = await startFakeProbe();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('is https://api.atlassian.com/ex/<product>/{cloudId}, the cloud id being what siteMetadata stores', async () => {
    expect(atlassianApi('probe')).toEqual({ baseUrl: 'https://api.atlassian.com/ex/probe/{cloudId}' });
    const api = createApiClient(probeConnector, {
      config: {},
      metadata: siteMetadata(fake.sites[0]!),
      credentials: fake.issueTokensDirectly().credentials,
      rewriteUrl: createOriginRewriter(fake.rewrite),
      retries: 0,
    });
    const me = await atlassianRequest<{ accountId: string }>(api, { url: 'myself' }, { operation: 'probe' });
    expect(me.body.accountId).toBe(PROBE_USER.accountId);
    expect(fake.requests.at(-1)?.path).toBe(`/ex/probe/${fake.sites[0]!.id}/myself`);
    const error = await connectorErrorOf(
      atlassianRequest(api, { url: 'myself', auth: false }, { operation: 'probe' }),
    );
    expect(error).toMatchObject({ reason: 'auth', status: 401 });
  });
});
