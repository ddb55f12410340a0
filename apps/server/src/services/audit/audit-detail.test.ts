import { describe, expect, it } from 'vitest';
import { cleanAuditDetail } from './audit-detail.js';

describe('cleanAuditDetail', () => {
  it('keeps short non-secret facts as they are', () => {
    const detail = {
      method: 'POST',
      path: '/v1/search',
      action: 'search_issues',
      read_only: true,
      failures: 2,
      at: null,
    };
    expect(cleanAuditDetail(detail)).toEqual(detail);
  });

  it('drops keys that name a secret or a payload, at any depth', () => {
    expect(
      cleanAuditDetail({
        access_token: 'a',
        refreshToken: 'b',
        client_secret: 'c',
        password: 'd',
        Authorization: 'e',
        cookie: 'f',
        credentials: { apiKey: 'g' },
        api_key: 'h',
        code: 'i',
        query: 'j',
        body: 'k',
        headers: { x: 'l' },
        code_verifier: 'm',
        nested: { secret: 'n', kept: 'yes' },
        error_code: 'CFM_CONNECTION_EXPIRED',
        service_key_id: 'id-1',
      }),
    ).toEqual({ nested: { kept: 'yes' }, error_code: 'CFM_CONNECTION_EXPIRED', service_key_id: 'id-1' });
  });

  it('redacts values shaped like bearer credentials and strips query strings from paths and URLs', () => {
    expect(
      cleanAuditDetail({
        jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig',
        key: `cfm_sk_${'A'.repeat(43)}`,
        shown: 'Bearer xoxb-123',
        basic: 'Basic dXNlcjpwYXNz',
        path: '/v1/files?token=abc#frag',
        url: 'https://api.example.com/x?signature=abc',
        sentence: 'Why? Because.',
      }),
    ).toEqual({
      jwt: '[redacted]',
      key: '[redacted]',
      shown: '[redacted]',
      basic: '[redacted]',
      path: '/v1/files',
      url: 'https://api.example.com/x',
      sentence: 'Why? Because.',
    });
  });

  it('bounds strings, arrays, depth and total size', () => {
    const cleaned = cleanAuditDetail({
      long: 'x'.repeat(1000),
      list: Array.from({ length: 100 }, (_, index) => index),
      deep: { one: { two: { three: 'gone' } } },
    });
    expect((cleaned['long'] as string).length).toBe(257);
    expect(cleaned['list']).toHaveLength(50);
    expect(cleaned['deep']).toEqual({ one: {} });
    const huge = Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`k${index}`, 'y'.repeat(200)]));
    expect(cleanAuditDetail(huge)).toEqual({ detail_dropped: 'too large' });
  });
});
