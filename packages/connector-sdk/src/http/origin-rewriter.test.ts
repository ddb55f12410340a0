import { describe, expect, it } from 'vitest';
import { createOriginRewriter, parseOriginOverrides } from './origin-rewriter.js';

describe('parseOriginOverrides', () => {
  it('parses comma-separated pairs into origins', () => {
    const map = parseOriginOverrides(
      'https://slack.com=http://127.0.0.1:4010, https://api.notion.com/=http://127.0.0.1:4011',
    );
    expect([...map]).toEqual([
      ['https://slack.com', 'http://127.0.0.1:4010'],
      ['https://api.notion.com', 'http://127.0.0.1:4011'],
    ]);
  });

  it('accepts an empty string', () => {
    expect(parseOriginOverrides('').size).toBe(0);
  });

  it.each([
    ['https://slack.com', 'https://slack.com'],
    ['https://slack.com/api=http://127.0.0.1:1', 'https://slack.com/api=http://127.0.0.1:1'],
    ['slack.com=http://127.0.0.1:1', 'slack.com=http://127.0.0.1:1'],
    ['https://slack.com=ftp://x', 'https://slack.com=ftp://x'],
  ])('rejects %s naming the entry', (text, entry) => {
    expect(() => parseOriginOverrides(`https://ok.example=http://127.0.0.1:2,${text}`)).toThrow(`"${entry}"`);
  });
});

describe('createOriginRewriter', () => {
  const rewrite = createOriginRewriter(parseOriginOverrides('https://slack.com=http://127.0.0.1:4010'));

  it('rewrites exact origin matches, keeping path and query', () => {
    expect(rewrite('https://slack.com/api/auth.test?a=1#f')).toBe(
      'http://127.0.0.1:4010/api/auth.test?a=1#f',
    );
    expect(rewrite('https://slack.com:443/x')).toBe('http://127.0.0.1:4010/x');
  });

  it('leaves other origins alone', () => {
    expect(rewrite('http://slack.com/x')).toBe('http://slack.com/x');
    expect(rewrite('https://api.slack.com/x')).toBe('https://api.slack.com/x');
    expect(rewrite('https://slack.com:8443/x')).toBe('https://slack.com:8443/x');
    expect(rewrite('not a url')).toBe('not a url');
  });
});
