import { describe, expect, it } from 'vitest';
import { ServiceError } from '../service-error.js';
import { checkProxyPath, proxyTargetUrl } from './proxy-path.js';

function refusal(path: string): string {
  try {
    checkProxyPath(path);
  } catch (error) {
    expect(ServiceError.is(error)).toBe(true);
    expect((error as ServiceError).code).toBe('CFM_PROXY_PATH_INVALID');
    return (error as ServiceError).message;
  }
  throw new Error(`"${path}" was accepted`);
}

describe('checkProxyPath', () => {
  it.each([
    'auth.test',
    'rest/api/3/myself',
    'v1/files/abc%20def',
    'v1/search/',
    'wiki/rest/api/content/123',
    'v1/pages/a-b_c~d',
    '',
  ])('accepts %j as sent', (path) => {
    expect(checkProxyPath(path)).toBe(path);
  });

  it.each([
    ['..', 'segment'],
    ['a/../b', 'segment'],
    ['a/./b', 'segment'],
    ['a/..', 'segment'],
    ['%2e%2e/secret', 'segment'],
    ['a/%2E%2E/b', 'segment'],
    ['a/%252e%252e/b', 'segment'],
    ['a/%25252e%25252e/b', 'segment'],
    ['.%2e/x', 'segment'],
    ['a//b', '//'],
    ['a/%2f/b', '//'],
    ['%2f%2fevil.example/x', '"/"'],
    ['/etc/passwd', '"/"'],
    ['a\\b', 'backslash'],
    ['a%5cb', 'backslash'],
    ['user@evil.example/x', '@'],
    ['a%40b', '@'],
    ['http://evil.example/x', 'absolute'],
    ['https:%2f%2fevil.example', 'absolute'],
    ['javascript:alert(1)', 'absolute'],
    ['a%3fb=1', '?'],
    ['a%23frag', '#'],
    ['a%00b', 'control'],
    ['a%0d%0aHost:%20evil', 'control'],
    ['%zz', 'percent'],
    ['%25252525252e', 'encoded too many'],
  ])('refuses %j (%s)', (path, reason) => {
    expect(refusal(path)).toContain(reason);
  });

  it('refuses very long paths', () => {
    expect(refusal(`a/${'b'.repeat(5000)}`)).toContain('too long');
  });
});

describe('proxyTargetUrl', () => {
  it('appends the path and the raw query to the base, keeping its path', () => {
    const url = proxyTargetUrl(
      'https://api.atlassian.com/ex/jira/abc',
      'rest/api/3/myself',
      'expand=groups&x=a%20b',
    );
    expect(url.toString()).toBe(
      'https://api.atlassian.com/ex/jira/abc/rest/api/3/myself?expand=groups&x=a%20b',
    );
  });

  it('refuses a result outside the base (defence in depth for a path that passed the check)', () => {
    expect(() => proxyTargetUrl('https://api.example.com/v1', '..', '')).toThrow(/leaves the provider API/);
    expect(proxyTargetUrl('https://api.example.com/v1', '', '').toString()).toBe(
      'https://api.example.com/v1/',
    );
  });
});
