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

  it('still refuses a schema that cannot compile, such as a remote `$ref`', () => {
    const remote = declaration('https://acme.example/me', {
      config_schema: { type: 'object', properties: { site: { $ref: 'https://evil.example/x.json' } } },
    });
    expect(customConnectorProblems('acme', remote, policy)).toEqual([
      expect.objectContaining({ field: 'body/config_schema' }),
    ]);
  });
});
