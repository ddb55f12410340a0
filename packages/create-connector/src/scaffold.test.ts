import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SDK_VERSION } from '@cfm/connector-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScaffoldOptions, scaffoldConnector } from './scaffold.js';
import { ScaffoldError } from './scaffold-error.js';
import { renderPackage } from './templates/render-package.js';
import { HOME, makeFakeWorkspace, makeTempFolder } from './test/temp-folders.js';

/** Every entry under `folder`, recursively (hidden ones included): what a refusal must leave unchanged. */
function listing(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).sort();
}

async function refusalOf(options: ScaffoldOptions): Promise<ScaffoldError> {
  const error = await scaffoldConnector({ home: HOME, format: false, ...options }).then(
    () => {
      throw new Error('the scaffold was not refused');
    },
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(ScaffoldError);
  return error as ScaffoldError;
}

describe('scaffoldConnector refusals: nothing is written', () => {
  const workspace = makeFakeWorkspace();
  const packages = join(workspace.root, 'packages');
  afterAll(() => workspace.remove());

  const cases: { title: string; options: ScaffoldOptions; code: ScaffoldError['code']; message: RegExp }[] = [
    {
      title: 'a bad key',
      options: { key: 'Acme!' },
      code: 'CFM_SCAFFOLD_BAD_KEY',
      message: /not a valid connector key/,
    },
    {
      title: "a first-party connector's key",
      options: { key: 'slack' },
      code: 'CFM_SCAFFOLD_TAKEN',
      message: /first-party connector @cfm\/connector-slack/,
    },
    {
      title: 'a key whose package name a workspace package has (@cfm/connector-sdk)',
      options: { key: 'sdk' },
      code: 'CFM_SCAFFOLD_TAKEN',
      message: /@cfm\/connector-sdk is already a package of the workspace/,
    },
    {
      title: 'a package name the repository already uses',
      options: { key: 'acme', packageName: '@cfm/db' },
      code: 'CFM_SCAFFOLD_TAKEN',
      message: /@cfm\/db is already a package/,
    },
    {
      title: 'an unknown auth kind',
      options: { key: 'acme', auth: 'oidc' },
      code: 'CFM_SCAFFOLD_BAD_OPTION',
      message: /--auth must be one of oauth2, api_key, basic/,
    },
  ];
  for (const { title, options, code, message } of cases) {
    it(`refuses ${title}`, async () => {
      const before = listing(workspace.root);
      const error = await refusalOf({ ...options, directory: packages });
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expect(listing(workspace.root)).toEqual(before);
    });
  }

  it('refuses an existing folder, even an empty one', async () => {
    mkdirSync(join(packages, 'connector-taken'));
    const before = listing(workspace.root);
    const error = await refusalOf({ key: 'taken', directory: packages });
    expect(error.code).toBe('CFM_SCAFFOLD_EXISTS');
    expect(error.message).toMatch(/connector-taken already exists/);
    expect(listing(workspace.root)).toEqual(before);
  });

  it('refuses a folder inside the workspace that is not a package folder', async () => {
    const before = listing(workspace.root);
    const error = await refusalOf({ key: 'acme', directory: join(workspace.root, 'elsewhere') });
    expect(error.code).toBe('CFM_SCAFFOLD_BAD_OPTION');
    expect(error.message).toMatch(/not in one of its package folders \(packages\/\*\)/);
    expect(listing(workspace.root)).toEqual(before);
  });

  it('leaves nothing behind when writing fails half-way', async () => {
    const target = makeTempFolder();
    try {
      const parent = join(target.path, 'new', 'connectors');
      const error = await scaffoldConnector({
        home: HOME,
        format: false,
        key: 'acme',
        directory: parent,
        // `src` as a file, then a file under it: the second write fails after the first succeeded.
        render: (input) => ({ ...renderPackage(input), src: 'not a folder', 'src/z.ts': '' }),
      }).catch((rejection: unknown) => rejection);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(ScaffoldError);
      expect(listing(target.path)).toEqual([]);
    } finally {
      target.remove();
    }
  });
});

describe('scaffoldConnector writes a complete package', () => {
  let standalone: ReturnType<typeof makeTempFolder>;
  let workspace: ReturnType<typeof makeFakeWorkspace>;
  beforeAll(() => {
    standalone = makeTempFolder();
    workspace = makeFakeWorkspace();
  });
  afterAll(() => {
    standalone.remove();
    workspace.remove();
  });

  it('in a workspace holding the SDK: workspace:* SDK, shared tsconfig, a changeset at the root', async () => {
    const result = await scaffoldConnector({
      home: HOME,
      key: 'acme-crm',
      displayName: 'Acme CRM',
      directory: 'packages',
      cwd: workspace.root,
    });
    expect(result).toMatchObject({ layout: 'workspace', auth: 'oauth2', warnings: [] });
    expect(result.directory).toBe(join(workspace.root, 'packages', 'connector-acme-crm'));
    expect(result.files).toEqual([
      'CHANGELOG.md',
      'README.md',
      'package.json',
      'src/acme-crm-conformance.test.ts',
      'src/acme-crm-connector.test.ts',
      'src/acme-crm-connector.ts',
      'src/index.ts',
      'src/testing/fake-acme-crm.ts',
      'src/testing/index.ts',
      'test/pack.e2e.test.ts',
      'tsconfig.build.json',
      'tsconfig.json',
      'vitest.config.ts',
    ]);
    const manifest = JSON.parse(readFileSync(join(result.directory, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: '@cfm/connector-acme-crm',
      keywords: expect.arrayContaining(['cfm-connector']),
      cfmConnector: { contractVersion: 1, entry: './dist/index.js' },
      peerDependencies: { '@cfm/connector-sdk': `^${SDK_VERSION}` },
      devDependencies: { '@cfm/connector-sdk': 'workspace:*' },
    });
    expect(JSON.parse(readFileSync(join(result.directory, 'tsconfig.json'), 'utf8')).extends).toBe(
      '../../tsconfig.base.json',
    );
    expect(result.changeset).toBe(
      join(workspace.root, '.changeset', 'connector-acme-crm-initial-release.md'),
    );
    expect(readFileSync(result.changeset!, 'utf8')).toMatch(/^---\n"@cfm\/connector-acme-crm": minor\n---\n/);
    const source = readFileSync(join(result.directory, 'src', 'acme-crm-connector.ts'), 'utf8');
    expect(source).toContain("key: 'acme-crm'");
    expect(source).toContain("name: 'Acme CRM'");
    expect(source).toContain('api: { baseUrl: ACME_CRM_API_BASE_URL }');
    expect(source).toContain('actions: { list_items: listItems }');
    // No staging folder is left next to the package.
    expect(readdirSync(join(workspace.root, 'packages')).sort()).toEqual([
      'connector-acme-crm',
      'connector-sdk',
    ]);
  });

  it('a second run for the same key is refused and changes nothing', async () => {
    const before = listing(workspace.root);
    const error = await refusalOf({ key: 'acme-crm', directory: 'packages', cwd: workspace.root });
    expect(error.code).toBe('CFM_SCAFFOLD_TAKEN');
    expect(error.message).toContain('@cfm/connector-acme-crm is already a package of the workspace');
    expect(listing(workspace.root)).toEqual(before);
  });

  it('refuses to overwrite a changeset left by an earlier package of the same key', async () => {
    writeFileSync(join(workspace.root, '.changeset', 'connector-gone-initial-release.md'), 'kept');
    const error = await refusalOf({ key: 'gone', directory: 'packages', cwd: workspace.root });
    expect(error.code).toBe('CFM_SCAFFOLD_EXISTS');
    expect(existsSync(join(workspace.root, 'packages', 'connector-gone'))).toBe(false);
  });

  for (const auth of ['oauth2', 'api_key', 'basic'] as const) {
    it(`outside a workspace (${auth}): its own tsconfig, Biome, changesets and tool versions`, async () => {
      const result = await scaffoldConnector({
        home: HOME,
        key: `acme-${auth.replace('_', '-')}`,
        auth,
        directory: standalone.path,
      });
      expect(result).toMatchObject({ layout: 'standalone', auth, warnings: [] });
      expect(result.changeset).toBeUndefined();
      expect(result.files).toEqual(
        expect.arrayContaining([
          '.changeset/config.json',
          '.changeset/initial-release.md',
          '.gitignore',
          'biome.json',
        ]),
      );
      expect(result.files.some((file) => file.endsWith('-conformance.test.ts'))).toBe(auth === 'oauth2');
      const manifest = JSON.parse(readFileSync(join(result.directory, 'package.json'), 'utf8'));
      expect(manifest.keywords).toContain(auth);
      expect(manifest.devDependencies).toMatchObject({
        '@cfm/connector-sdk': `^${SDK_VERSION}`,
        typescript: HOME.toolVersions['typescript'],
        vitest: HOME.toolVersions['vitest'],
      });
      expect(
        JSON.parse(readFileSync(join(result.directory, 'tsconfig.json'), 'utf8')).compilerOptions,
      ).toMatchObject({
        strict: true,
        noUncheckedIndexedAccess: true,
        verbatimModuleSyntax: true,
      });
    });
  }
});
