import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PACKAGE_DIR = resolve(import.meta.dirname, '..');
const SDK_DIR = resolve(PACKAGE_DIR, '../connector-sdk');
const KEY = 'confluence';
const NAME = `@cfm/connector-${KEY}`;

// What a third party does: install the published tarballs into an empty project and import the connector.
describe(`${NAME} as a packed tarball`, () => {
  let workDir: string;
  let projectDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), `cfm-pack-${KEY}-`));
    projectDir = join(workDir, 'project');
    await run('pnpm', ['exec', 'tsc', '-p', 'tsconfig.build.json'], { cwd: PACKAGE_DIR, timeout: 120_000 });
    for (const dir of [SDK_DIR, PACKAGE_DIR]) {
      await run('pnpm', ['pack', '--pack-destination', workDir], { cwd: dir, timeout: 60_000 });
    }
    const tarballs = (await readdir(workDir))
      .filter((file) => file.endsWith('.tgz'))
      .map((file) => join(workDir, file));
    await mkdir(projectDir);
    await writeFile(
      join(projectDir, 'package.json'),
      JSON.stringify({ name: 'pack-check', private: true, type: 'module' }),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], {
      cwd: projectDir,
      timeout: 240_000,
    });
  }, 420_000);

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('imports as a valid connector definition with the right key and manifest', async () => {
    const script = `
      import definition, { connector } from '${NAME}';
      import { isConnectorDefinition, validateConnectorDefinition, checkManifest, SDK_VERSION } from '@cfm/connector-sdk';
      import { createRequire } from 'node:module';
      const manifest = createRequire(import.meta.url)('${NAME}/package.json');
      console.log(JSON.stringify({
        key: definition.key,
        same: definition === connector,
        branded: isConnectorDefinition(definition),
        valid: validateConnectorDefinition(definition).ok,
        manifest: checkManifest(manifest, SDK_VERSION).ok,
        peer: manifest.peerDependencies['@cfm/connector-sdk'],
      }));
    `;
    const { stdout } = await run('node', ['--input-type=module', '-e', script], {
      cwd: projectDir,
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({
      key: KEY,
      same: true,
      branded: true,
      valid: true,
      manifest: true,
      peer: '^0.1.0',
    });
  });
});
