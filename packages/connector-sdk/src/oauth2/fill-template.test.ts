import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors.js';
import { fillTemplate } from './fill-template.js';
import { createPkcePair } from './pkce.js';

describe('fillTemplate', () => {
  it('fills host and path placeholders, encoding values', () => {
    expect(fillTemplate('https://api.{site}/oauth2/v1/token', { site: 'datadoghq.eu' })).toBe(
      'https://api.datadoghq.eu/oauth2/v1/token',
    );
    expect(fillTemplate('https://x.test/ex/{cloudId}/rest', { cloudId: 'a b/c' })).toBe(
      'https://x.test/ex/a%20b%2Fc/rest',
    );
  });

  it('takes a whole base URL for a leading placeholder', () => {
    expect(
      fillTemplate('{baseUrl}/rest/oauth2/latest/token', { baseUrl: 'https://jira.example.com/jira/' }),
    ).toBe('https://jira.example.com/jira/rest/oauth2/latest/token');
    expect(() => fillTemplate('{baseUrl}/token', { baseUrl: 'javascript:alert(1)' })).toThrow(/"baseUrl"/);
  });

  it('throws a config ConnectorError naming the missing field', () => {
    let caught: unknown;
    try {
      fillTemplate('https://api.{site}/token', {});
    } catch (error) {
      caught = error;
    }
    expect(ConnectorError.is(caught) && caught.reason).toBe('config');
    expect((caught as Error).message).toContain('"site"');
  });
});

describe('createPkcePair', () => {
  it('makes a 43-character verifier and its S256 challenge, fresh each time', () => {
    const pair = createPkcePair();
    expect(pair.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pair.challenge).toBe(createHash('sha256').update(pair.verifier).digest('base64url'));
    expect(createPkcePair().verifier).not.toBe(pair.verifier);
  });
});
