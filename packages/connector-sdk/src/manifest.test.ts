import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { defineConnector } from './define-connector.js';
import { checkManifest, resolveConnectorExport, SDK_VERSION } from './manifest.js';

function packageJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: '@acme/cfm-connector-acme',
    keywords: ['cfm-connector'],
    cfmConnector: { contractVersion: 1, entry: './dist/index.js' },
    peerDependencies: { '@cfm/connector-sdk': '^0.1.0' },
    ...overrides,
  };
}

describe('SDK_VERSION', () => {
  it('is the version in the package.json', () => {
    const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(SDK_VERSION).toBe(own.version);
  });
});

describe('checkManifest', () => {
  it('accepts a compatible package', () => {
    expect(checkManifest(packageJson(), '0.1.3')).toEqual({
      ok: true,
      manifest: { contractVersion: 1, entry: './dist/index.js' },
    });
  });

  it('accepts prereleases inside the range', () => {
    expect(checkManifest(packageJson(), '0.1.4-next.1').ok).toBe(true);
  });

  it('fails without a cfmConnector field, or with a malformed one', () => {
    expect(checkManifest(packageJson({ cfmConnector: undefined }), '0.1.0')).toMatchObject({
      ok: false,
      status: 'failed',
    });
    expect(
      checkManifest(packageJson({ cfmConnector: { contractVersion: '1', entry: 'x' } }), '0.1.0'),
    ).toMatchObject({
      ok: false,
      status: 'failed',
    });
    expect(
      checkManifest(packageJson({ cfmConnector: { contractVersion: 1, entry: '../escape.js' } }), '0.1.0'),
    ).toMatchObject({
      ok: false,
      status: 'failed',
    });
    expect(checkManifest('nope', '0.1.0')).toMatchObject({ ok: false, status: 'failed' });
  });

  it('rejects another contract version as incompatible', () => {
    const result = checkManifest(
      packageJson({ cfmConnector: { contractVersion: 2, entry: './dist/index.js' } }),
      '0.1.0',
    );
    expect(result).toMatchObject({ ok: false, status: 'incompatible' });
    if (!result.ok) expect(result.reason).toContain('contract version 2');
  });

  it('rejects a peer range this SDK does not satisfy, naming both', () => {
    const result = checkManifest(packageJson(), '1.0.0');
    expect(result).toMatchObject({ ok: false, status: 'incompatible' });
    if (!result.ok) {
      expect(result.reason).toContain('^0.1.0');
      expect(result.reason).toContain('1.0.0');
    }
  });

  it('rejects a package without the SDK as peer dependency', () => {
    const result = checkManifest(packageJson({ peerDependencies: {} }), '0.1.0');
    expect(result).toMatchObject({ ok: false, status: 'incompatible' });
    if (!result.ok) expect(result.reason).toContain('peer dependency');
  });

  it('accepts workspace ranges', () => {
    expect(
      checkManifest(packageJson({ peerDependencies: { '@cfm/connector-sdk': 'workspace:^' } }), '0.1.0').ok,
    ).toBe(true);
    expect(
      checkManifest(packageJson({ peerDependencies: { '@cfm/connector-sdk': 'workspace:^2.0.0' } }), '0.1.0')
        .ok,
    ).toBe(false);
  });
});

describe('resolveConnectorExport', () => {
  const definition = defineConnector({
    key: 'acme',
    name: 'Acme',
    description: 'Acme.',
    configSchema: Type.Object({}),
    auth: [{ type: 'none' }],
    check: async () => ({ identity: { accountId: 'a' } }),
  });

  it('prefers the default export, then `connector`', () => {
    expect(resolveConnectorExport({ default: definition })).toBe(definition);
    expect(resolveConnectorExport({ connector: definition, default: { other: true } })).toBe(definition);
    expect(resolveConnectorExport({ default: { connector: definition } })).toBe(definition);
    expect(resolveConnectorExport({ something: definition })).toBeUndefined();
  });
});
