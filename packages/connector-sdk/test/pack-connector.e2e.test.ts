import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstalledConnector } from '../src/testing/pack-connector.js';
import { packAndInstallConnector } from '../src/testing/pack-connector.js';

const CONNECTOR_SOURCE = `
import { defineConnector, Type } from '@cfm/connector-sdk';
export const connector = defineConnector({
  key: 'fixture',
  name: 'Fixture',
  description: 'A connector package made by the test.',
  configSchema: Type.Object({}),
  auth: [{ type: 'oauth2', authorizeUrl: 'https://a.example/authorize', tokenUrl: 'https://a.example/token', scopes: { required: [] } }],
  async check() { return { identity: { accountId: 'fixture' } }; },
});
export default connector;
`;

/** Writes a connector package; `index.js` only exists once its build script has run. */
async function writeFixture(directory: string, packageJson: Record<string, unknown>, source: string) {
  await mkdir(directory, { recursive: true });
  const manifest = {
    version: '1.0.0',
    type: 'module',
    exports: { '.': './index.js', './package.json': './package.json' },
    files: ['index.js'],
    scripts: { build: 'node build.mjs' },
    peerDependencies: { '@cfm/connector-sdk': '^0.1.0' },
    ...packageJson,
  };
  await writeFile(join(directory, 'package.json'), JSON.stringify(manifest, null, 2));
  await writeFile(
    join(directory, 'build.mjs'),
    `import { writeFileSync } from 'node:fs';\nwriteFileSync('index.js', ${JSON.stringify(source)});\n`,
  );
}

describe('packAndInstallConnector', () => {
  let root: string;
  let good: InstalledConnector | undefined;
  let broken: InstalledConnector | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cfm-pack-fixtures-'));
    await writeFixture(
      join(root, 'good'),
      { name: 'cfm-fixture-good', cfmConnector: { contractVersion: 1, entry: './index.js' } },
      CONNECTOR_SOURCE,
    );
    // Not made by defineConnector, no `connector` export, a manifest for a contract that does not exist.
    await writeFixture(
      join(root, 'broken'),
      { name: 'cfm-fixture-broken', cfmConnector: { contractVersion: 99, entry: './index.js' } },
      `export default { key: 'broken' };\n`,
    );
    good = await packAndInstallConnector({ packageDirectory: join(root, 'good') });
    broken = await packAndInstallConnector({ packageDirectory: join(root, 'broken') });
  }, 600_000);

  afterAll(async () => {
    await Promise.all([good?.cleanup(), broken?.cleanup()]);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('builds, packs and installs a connector that then imports by name as a valid one', async () => {
    if (!good) throw new Error('the pack step did not finish');
    const { definition, packageJson } = await good.importConnector();
    expect(definition).toEqual({
      key: 'fixture',
      contractVersion: 1,
      branded: true,
      matchesNamedExport: true,
      validation: { ok: true },
      manifest: { ok: true },
    });
    expect(packageJson['name']).toBe('cfm-fixture-good');
    expect(good.packageName).toBe('cfm-fixture-good');
  });

  it('reports what is wrong with a broken one instead of passing it', async () => {
    if (!broken) throw new Error('the pack step did not finish');
    const { definition } = await broken.importConnector();
    expect(definition).toMatchObject({
      key: 'broken',
      contractVersion: null,
      branded: false,
      matchesNamedExport: false,
      validation: { ok: false },
      manifest: { ok: false, status: 'incompatible' },
    });
  });

  it('removes its folder on cleanup', async () => {
    if (!good) throw new Error('the pack step did not finish');
    await good.cleanup();
    await expect(good.importConnector()).rejects.toThrow();
  });
});
