import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { defineConnector } from './define-connector.js';
import type { ConnectorSpec } from './types.js';
import { isConnectorDefinition, validateConnectorDefinition } from './validate-connector-definition.js';

function validSpec(): ConnectorSpec {
  return {
    key: 'acme-tracker',
    name: 'Acme Tracker',
    description: 'Reads Acme issues.',
    configSchema: Type.Object({ site: Type.String() }),
    auth: [
      {
        type: 'oauth2',
        authorizeUrl: 'https://auth.{site}/authorize',
        tokenUrl: 'https://api.{site}/oauth/token',
        scopes: { required: ['read'], optional: ['write'] },
        scopeSeparator: ',',
      },
      {
        type: 'api_key',
        fields: [
          { name: 'apiKey', label: 'API key', in: 'header', param: 'Authorization', prefix: 'Token ' },
        ],
      },
    ],
    async check() {
      return { identity: { accountId: '1' } };
    },
  };
}

function problemsOf(spec: unknown): string {
  try {
    defineConnector(spec as ConnectorSpec);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as TypeError).message;
  }
  throw new Error('defineConnector accepted an invalid spec');
}

describe('defineConnector', () => {
  it('returns a frozen, branded definition with the contract version', () => {
    const definition = defineConnector(validSpec());
    expect(definition.contractVersion).toBe(1);
    expect(isConnectorDefinition(definition)).toBe(true);
    expect(Object.isFrozen(definition)).toBe(true);
    expect(Object.isFrozen(definition.auth[0])).toBe(true);
    expect(validateConnectorDefinition(definition)).toEqual({ ok: true });
  });

  it('lists every problem at once', () => {
    const message = problemsOf({
      ...validSpec(),
      key: 'Bad Key',
      name: '',
      configSchema: Type.String(),
      check: 'nope',
    });
    expect(message).toContain('key must match');
    expect(message).toContain('name must be a non-empty string');
    expect(message).toContain('configSchema must be an object schema');
    expect(message).toContain('check must be a function');
  });

  it('requires at least one auth descriptor', () => {
    expect(problemsOf({ ...validSpec(), auth: [] })).toContain('auth must be a non-empty array');
  });

  it('checks oauth2 descriptors', () => {
    const message = problemsOf({
      ...validSpec(),
      auth: [
        {
          type: 'oauth2',
          authorizeUrl: 'ftp://example.com/authorize',
          scopes: { required: 'read' },
          scopeSeparator: ';',
          pkce: 'plain',
          clientAuth: 'header',
          tokenRequestFormat: 'xml',
        },
      ],
    });
    expect(message).toContain('auth[0].authorizeUrl must be an http(s) URL');
    expect(message).toContain('auth[0].tokenUrl must be an http(s) URL');
    expect(message).toContain('auth[0].scopes.required');
    expect(message).toContain('auth[0].scopeSeparator');
    expect(message).toContain('auth[0].pkce');
    expect(message).toContain('auth[0].clientAuth');
    expect(message).toContain('auth[0].tokenRequestFormat');
  });

  it('accepts templates that start with a placeholder', () => {
    const spec = validSpec();
    const definition = defineConnector({
      ...spec,
      auth: [
        {
          type: 'oauth2',
          authorizeUrl: '{baseUrl}/authorize',
          tokenUrl: '{baseUrl}/token',
          scopes: { required: [] },
        },
      ],
    });
    expect(isConnectorDefinition(definition)).toBe(true);
  });

  it('checks api_key descriptors and hooks', () => {
    const message = problemsOf({
      ...validSpec(),
      auth: [
        { type: 'api_key', fields: [{ name: 'apiKey', label: 'Key', in: 'cookie', param: '' }] },
        { type: 'magic' },
      ],
      oauth2: { exchangeCode: 'nope', somethingElse() {} },
    });
    expect(message).toContain('auth[0].fields[0].param');
    expect(message).toContain('auth[0].fields[0].in');
    expect(message).toContain('auth[1].type');
    expect(message).toContain('oauth2.exchangeCode must be a function');
    expect(message).toContain('oauth2.somethingElse is not a known hook');
    expect(message).toContain('no auth descriptor has type "oauth2"');
  });
});

describe('validateConnectorDefinition', () => {
  it('rejects unbranded objects and other contract versions', () => {
    const result = validateConnectorDefinition({ ...validSpec(), contractVersion: 2 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.join('\n')).toContain('not created by defineConnector');
      expect(result.errors.join('\n')).toContain('contractVersion is 2');
    }
  });

  it('accepts a definition branded by another copy of the SDK', () => {
    const foreign = { ...validSpec(), contractVersion: 1 };
    Object.defineProperty(foreign, Symbol.for('cfm.connector-definition'), { value: true });
    expect(isConnectorDefinition(foreign)).toBe(true);
    expect(validateConnectorDefinition(foreign)).toEqual({ ok: true });
  });

  it('reports a non-object export', () => {
    expect(validateConnectorDefinition(undefined)).toEqual({
      ok: false,
      errors: ['the export is not an object'],
    });
  });
});
