import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaffoldConnector } from '../src/scaffold.js';
import {
  HOME,
  linkDependencies,
  makeFakeWorkspace,
  makeTempFolder,
  runBounded,
  TOOL_BINARIES,
} from '../src/test/temp-folders.js';

// Each step of a generated package, bounded: a type check or a build takes a few seconds, its tests about as long.
const STEP_TIMEOUT_MS = 90_000;

/** This process's environment without vitest's own variables (they would confuse the vitest it starts), no colours. */
function childEnvironment(): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(
    ([name]) => !name.startsWith('VITEST') && name !== 'FORCE_COLOR',
  );
  return { ...Object.fromEntries(kept), NO_COLOR: '1' };
}

async function expectChecksPass(directory: string): Promise<void> {
  const options = { cwd: directory, timeoutMs: STEP_TIMEOUT_MS, env: childEnvironment() };
  await runBounded(process.execPath, [TOOL_BINARIES.tsc, '-p', 'tsconfig.json', '--noEmit'], options);
  await runBounded(TOOL_BINARIES.biome, ['check', '.'], options);
  // `src` only: the pack test needs the package installed by pnpm (workspace) or published tools
  // (standalone); scaffold-to-server.e2e.test.ts packs and installs a generated package for real.
  const tests = await runBounded(
    process.execPath,
    [TOOL_BINARIES.vitest, 'run', 'src', '--reporter=dot'],
    options,
  );
  expect(tests.stdout).toMatch(/Tests\s+\d+ passed/);
  expect(tests.stdout).not.toMatch(/failed|skipped/);
}

describe('a generated package builds, lints and passes its own tests', () => {
  let workspace: ReturnType<typeof makeFakeWorkspace>;
  let standalone: ReturnType<typeof makeTempFolder>;
  beforeAll(() => {
    workspace = makeFakeWorkspace();
    standalone = makeTempFolder();
    linkDependencies(standalone.path);
  });
  afterAll(() => {
    workspace?.remove();
    standalone?.remove();
  });

  it('oauth2 in a workspace: type check, Biome, conformance kit and connector tests', async () => {
    const result = await scaffoldConnector({
      home: HOME,
      key: 'acme',
      displayName: 'Acme',
      directory: join(workspace.root, 'packages'),
    });
    expect(result.layout).toBe('workspace');
    // The build itself (tsc -p tsconfig.build.json) runs in scaffold-to-server.e2e.test.ts.
    await expectChecksPass(result.directory);
  }, 240_000);

  for (const auth of ['api_key', 'basic'] as const) {
    it(`${auth} outside a workspace, with a long name: type check, Biome and its tests`, async () => {
      const result = await scaffoldConnector({
        home: HOME,
        key: `acme-${auth.replace('_', '-')}-with-a-rather-long-key`,
        // Long enough that Biome has to wrap the lines it appears in.
        displayName: "Acme's Customer Relationship Management Suite For Enterprises",
        auth,
        directory: standalone.path,
      });
      expect(result.layout).toBe('standalone');
      await expectChecksPass(result.directory);
    }, 240_000);
  }
});
