import { describe, expect, it } from 'vitest';
import { ConnectorError, connectorErrorFromResponse, extractProviderCode } from './errors.js';
import { parseRetryAfter } from './http/retry-after.js';

describe('ConnectorError', () => {
  it('is recognised by its brand, not by instanceof', () => {
    // What a second copy of the SDK would produce: another class, the same registered symbol.
    class OtherCopyError extends Error {
      constructor() {
        super('from another install');
        Object.defineProperty(this, Symbol.for('cfm.connector-error'), { value: true });
      }
    }
    const foreign = new OtherCopyError();
    expect(foreign instanceof ConnectorError).toBe(false);
    expect(ConnectorError.is(foreign)).toBe(true);
    expect(ConnectorError.is(new ConnectorError('x', { reason: 'auth' }))).toBe(true);
    expect(ConnectorError.is(new Error('plain'))).toBe(false);
    expect(ConnectorError.is({ reason: 'auth' })).toBe(false);
    expect(ConnectorError.is(null)).toBe(false);
  });

  it('defaults retryable from the reason', () => {
    expect(new ConnectorError('x', { reason: 'network' }).retryable).toBe(true);
    expect(new ConnectorError('x', { reason: 'rate_limited' }).retryable).toBe(true);
    expect(new ConnectorError('x', { reason: 'auth' }).retryable).toBe(false);
    expect(new ConnectorError('x', { reason: 'provider', retryable: true }).retryable).toBe(true);
  });
});

describe('connectorErrorFromResponse', () => {
  it.each([
    [401, 'auth', false],
    [403, 'permission', false],
    [404, 'provider', false],
    [400, 'provider', false],
    [408, 'network', true],
    [500, 'provider', true],
    [503, 'provider', true],
  ])('maps HTTP %i to %s', (status, reason, retryable) => {
    const error = connectorErrorFromResponse(status, {}, '');
    expect(error.reason).toBe(reason);
    expect(error.retryable).toBe(retryable);
    expect(error.status).toBe(status);
  });

  it('maps 429 to rate_limited with Retry-After seconds', () => {
    const error = connectorErrorFromResponse(429, { 'Retry-After': '7' }, { code: 'rate_limited' });
    expect(error).toMatchObject({ reason: 'rate_limited', retryable: true, retryAfterMs: 7000 });
    expect(error.providerCode).toBe('rate_limited');
  });

  it('maps Slack ok:false answers by their error name', () => {
    expect(connectorErrorFromResponse(200, {}, { ok: false, error: 'invalid_auth' }).reason).toBe('auth');
    expect(connectorErrorFromResponse(200, {}, { ok: false, error: 'missing_scope' }).reason).toBe(
      'permission',
    );
    expect(connectorErrorFromResponse(200, {}, { ok: false, error: 'ratelimited' }).reason).toBe(
      'rate_limited',
    );
  });

  it('names the status and provider code but never echoes the body', () => {
    const secret = 'xoxb-1234567890-abcdefghijklmnop';
    const error = connectorErrorFromResponse(
      401,
      {},
      { error: 'invalid_auth', token: secret, message: secret },
    );
    expect(error.message).toContain('401');
    expect(error.message).toContain('invalid_auth');
    expect(error.message).not.toContain(secret);
  });
});

describe('extractProviderCode', () => {
  it.each([
    [{ error: 'invalid_grant', error_description: 'nope' }, 'invalid_grant'],
    [{ error: { code: 'not_found', message: 'x' } }, 'not_found'],
    [{ object: 'error', status: 401, code: 'unauthorized', message: 'x' }, 'unauthorized'],
    [{ ok: false, error: 'invalid_code' }, 'invalid_code'],
    [{ errors: ['Forbidden'] }, 'Forbidden'],
    [{ status: 403, err: 'Invalid token' }, 'Invalid token'],
    ['plain text', undefined],
    [{ error: 'ya29.a0AfH6SMBx1234567890abcdefghijklmnopqrstuvwxyz' }, undefined],
    [{ error: 'xoxb-123456789012-123456789012-abcdefghijklmnopqrstuvwx' }, undefined],
  ])('reads %j as %s', (body, expected) => {
    expect(extractProviderCode(body)).toBe(expected);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads seconds and HTTP-dates from Retry-After', () => {
    expect(parseRetryAfter({ 'retry-after': '3' }, now)).toBe(3000);
    expect(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5000);
  });
  it('reads X-RateLimit-Reset as ISO time, seconds until reset, or a Unix timestamp', () => {
    expect(parseRetryAfter({ 'x-ratelimit-reset': '2026-01-01T00:00:10Z' }, now)).toBe(10_000);
    expect(parseRetryAfter({ 'x-ratelimit-reset': '12' }, now)).toBe(12_000);
    expect(parseRetryAfter({ 'x-ratelimit-reset': String(now / 1000 + 4) }, now)).toBe(4000);
  });
  it('returns undefined without a readable header', () => {
    expect(parseRetryAfter({}, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
  });
});
