import { defineConnector, Type } from '@cfm/connector-sdk';
import { describe, expect, it } from 'vitest';
import { CONNECTOR_KEY_PATTERN, connectorNames, titleOf } from './connector-names.js';
import { ScaffoldError } from './scaffold-error.js';

function refusal(run: () => unknown): ScaffoldError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ScaffoldError);
    return error as ScaffoldError;
  }
  throw new Error('expected a refusal');
}

function sdkAccepts(key: string): boolean {
  try {
    defineConnector({
      key,
      name: 'X',
      description: 'X',
      configSchema: Type.Object({}),
      auth: [{ type: 'none' }],
      check: async () => ({ identity: { accountId: '1' } }),
    });
    return true;
  } catch {
    return false;
  }
}

describe('connector keys', () => {
  const cases = [
    'acme',
    'acme-crm',
    'a1',
    'x'.repeat(64),
    'a',
    '1acme',
    'Acme',
    'acme_crm',
    'acme crm',
    '-acme',
    'x'.repeat(65),
    '',
  ];

  it('accepts exactly the keys the SDK accepts', () => {
    for (const key of cases) expect(CONNECTOR_KEY_PATTERN.test(key), key).toBe(sdkAccepts(key));
  });

  it('refuses a bad key with CFM_SCAFFOLD_BAD_KEY and says what a key looks like', () => {
    const error = refusal(() => connectorNames('Acme_CRM'));
    expect(error.code).toBe('CFM_SCAFFOLD_BAD_KEY');
    expect(error.message).toContain('"Acme_CRM" is not a valid connector key');
    expect(error.message).toContain('lowercase letters, digits and "-"');
  });
});

describe('connectorNames', () => {
  it('derives every spelling from the key', () => {
    expect(connectorNames('acme-crm')).toEqual({
      key: 'acme-crm',
      displayName: 'Acme Crm',
      camel: 'acmeCrm',
      pascal: 'AcmeCrm',
      envPrefix: 'ACME_CRM',
      packageName: '@cfm/connector-acme-crm',
      folderName: 'connector-acme-crm',
    });
    expect(titleOf('a--b')).toBe('A B');
  });

  it('keeps a chosen name and package name', () => {
    const names = connectorNames('acme', { displayName: " Acme's CRM ", packageName: '@acme/cfm-connector' });
    expect(names.displayName).toBe("Acme's CRM");
    expect(names.packageName).toBe('@acme/cfm-connector');
  });

  it('refuses names that would break the generated sources, and bad package names', () => {
    for (const displayName of ['a`b', 'a$b', 'a\nb', 'a*/b', 'a\\b', 'x'.repeat(101)]) {
      expect(refusal(() => connectorNames('acme', { displayName })).code, displayName).toBe(
        'CFM_SCAFFOLD_BAD_OPTION',
      );
    }
    for (const packageName of ['Acme', '@acme/', 'a b', '../x']) {
      expect(refusal(() => connectorNames('acme', { packageName })).code, packageName).toBe(
        'CFM_SCAFFOLD_BAD_OPTION',
      );
    }
  });
});
