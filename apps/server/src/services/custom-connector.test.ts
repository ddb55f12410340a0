import { describe, expect, it } from 'vitest';
import type { CustomConnectorInput } from '../schemas/custom-connector.js';
import { createConnectorUrlPolicy } from './connector-url-policy.js';
import { customConnectorProblems } from './custom-connector.js';

const policy = createConnectorUrlPolicy({ allowInsecureConnectorUrls: true });

function declaration(checkUrl: string, overrides: Partial<CustomConnectorInput> = {}): CustomConnectorInput {
  return {
    name: 'Keyed',
    auth: {
      type: 'api_key',
      fields: [{ name: 'apiKey', label: 'API key', in: 'header', param: 'x-api-key' }],
    },
    check: { url: checkUrl, identity: { account_id: 'id' } },
    ...overrides,
  };
}

describe('customConnectorProblems', () => {
  const schemaWithId = (pattern: string) => ({
    $id: 'https://schemas.example/acme-config',
    type: 'object' as const,
    properties: { site: { type: 'string', pattern } },
  });

  it('accepts the same `$id` again (an update, or a second connector reusing a schema)', () => {
    const first = declaration('https://acme.example/me', { config_schema: schemaWithId('^a') });
    const second = declaration('https://acme.example/me', { config_schema: schemaWithId('^b') });
    expect(customConnectorProblems('acme', first, policy)).toEqual([]);
    expect(customConnectorProblems('acme', second, policy)).toEqual([]);
  });

  it('refuses patterns the linear-time engine cannot run (look-arounds, back-references)', () => {
    for (const pattern of ['^(?=a)a+$', '^(a)\\1$']) {
      const problems = customConnectorProblems(
        'acme',
        declaration('https://acme.example/me', { config_schema: schemaWithId(pattern) }),
        policy,
      );
      expect(problems, pattern).toEqual([expect.objectContaining({ field: 'body/config_schema' })]);
    }
  });

  it('refuses a config schema over 32 KB (15,000 properties took 7 s to compile)', () => {
    const properties = Object.fromEntries(
      Array.from({ length: 15_000 }, (_, index) => [`f${index}`, { type: 'string' }]),
    );
    const problems = customConnectorProblems(
      'acme',
      declaration('https://acme.example/me', { config_schema: { type: 'object', properties } }),
      policy,
    );
    expect(problems).toEqual([
      expect.objectContaining({ field: 'body/config_schema', message: expect.stringContaining('at most') }),
    ]);
  });

  it('still refuses a schema that cannot compile, such as a remote `$ref`', () => {
    const remote = declaration('https://acme.example/me', {
      config_schema: { type: 'object', properties: { site: { $ref: 'https://evil.example/x.json' } } },
    });
    expect(customConnectorProblems('acme', remote, policy)).toEqual([
      expect.objectContaining({ field: 'body/config_schema' }),
    ]);
  });
});
