import { fileURLToPath } from 'node:url';
import type { Logger } from '@cfm/connector-sdk';
import { describe, expect, it } from 'vitest';
import { type DiscoveredConnector, discoverConnectors, packageSlug } from './connector-discovery.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/connectors', import.meta.url));
const SERVER_DIRECTORY = fileURLToPath(new URL('../..', import.meta.url));

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    debug() {},
    info() {},
    warn(message) {
      warnings.push(message);
    },
    error(message) {
      warnings.push(message);
    },
  };
}

function byPackage(results: DiscoveredConnector[], name: string): DiscoveredConnector {
  const found = results.find((result) => result.packageName === name);
  if (!found) throw new Error(`${name} was not discovered`);
  return found;
}

const HANGING_FIXTURES = fileURLToPath(new URL('../../test/fixtures/hanging-connectors', import.meta.url));

describe('discoverConnectors', () => {
  it('reports a package whose import never settles as failed instead of waiting for it', async () => {
    const logger = recordingLogger();
    const results = await discoverConnectors({
      serverDirectory: SERVER_DIRECTORY,
      connectorPackages: [],
      connectorsDir: HANGING_FIXTURES,
      logger,
      importTimeoutMs: 200,
    });
    const hanging = byPackage(results, 'cfm-fixture-hangs');
    expect(hanging).toMatchObject({ status: 'failed', key: 'cfm-fixture-hangs' });
    expect(hanging.status !== 'loaded' && hanging.reason).toMatch(
      /importing \.\/index\.js failed: .*within 200 ms/,
    );
    expect(logger.warnings.some((line) => line.includes('cfm-fixture-hangs'))).toBe(true);
    // The server's own connector dependencies still load.
    expect(results.filter((result) => result.status === 'loaded').map((result) => result.key)).toContain(
      'slack',
    );
  });

  it('loads good packages and reports every broken one with a status and a reason', async () => {
    const logger = recordingLogger();
    const results = await discoverConnectors({
      serverDirectory: SERVER_DIRECTORY,
      connectorPackages: [],
      connectorsDir: FIXTURES,
      logger,
    });

    const good = byPackage(results, 'cfm-fixture-good');
    expect(good).toMatchObject({ status: 'loaded', key: 'fixture-good', version: '1.2.3' });
    expect(byPackage(results, '@acme/connector-keys')).toMatchObject({ status: 'loaded', key: 'acme-keys' });

    const expectations: Array<[string, string, string, RegExp]> = [
      ['cfm-fixture-contract-v2', 'incompatible', 'cfm-fixture-contract-v2', /contract version 2/],
      ['cfm-fixture-peer-v9', 'incompatible', 'cfm-fixture-peer-v9', /requires @cfm\/connector-sdk@\^9/],
      [
        'cfm-fixture-good-copy',
        'failed',
        'cfm-fixture-good-copy',
        /"fixture-good" is already provided by cfm-fixture-good/,
      ],
      ['cfm-fixture-no-entry', 'failed', 'cfm-fixture-no-entry', /importing \.\/dist\/missing\.js failed/],
      ['cfm-fixture-unbranded', 'failed', 'cfm-fixture-unbranded', /not created by defineConnector/],
      [
        'cfm-fixture-invalid',
        'failed',
        'cfm-fixture-invalid',
        /invalid connector definition: .*key must match/,
      ],
      ['cfm-fixture-throws', 'failed', 'cfm-fixture-throws', /boom at import/],
      ['cfm-fixture-bad-json', 'failed', 'cfm-fixture-bad-json', /cannot read package\.json/],
    ];
    for (const [name, status, key, reason] of expectations) {
      const result = byPackage(results, name);
      expect(result, name).toMatchObject({ status, key });
      expect(result.status !== 'loaded' && result.reason, name).toMatch(reason);
    }
    // A dependency without the manifest field is not a connector and is not listed.
    expect(results.some((result) => result.packageName === 'left-pad')).toBe(false);
    // Every broken package produced a warning naming it; nothing was silent.
    for (const [name] of expectations) {
      expect(
        logger.warnings.some((line) => line.includes(name)),
        name,
      ).toBe(true);
    }
    expect(new Set(results.map((result) => result.key)).size).toBe(results.length);
  });

  it('reports a package named in CONNECTOR_PACKAGES that is not installed or has no manifest', async () => {
    const logger = recordingLogger();
    const results = await discoverConnectors({
      serverDirectory: SERVER_DIRECTORY,
      connectorPackages: ['cfm-fixture-good', '@acme/not-installed', 'left-pad'],
      connectorsDir: FIXTURES,
      logger,
    });
    expect(byPackage(results, 'cfm-fixture-good')).toMatchObject({ status: 'loaded' });
    expect(byPackage(results, '@acme/not-installed')).toMatchObject({
      status: 'failed',
      key: 'acme-not-installed',
      reason: '@acme/not-installed is not installed',
    });
    expect(byPackage(results, 'left-pad')).toMatchObject({ status: 'failed', reason: /no "cfmConnector"/ });
  });

  it('derives a key-like id from a package name', () => {
    expect(packageSlug('@acme/connector-x')).toBe('acme-connector-x');
    expect(packageSlug('9lives')).toBe('pkg-9lives');
  });
});
