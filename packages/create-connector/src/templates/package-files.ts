import { sdkPeerRange, type TemplateInput } from './template-input.js';

const SDK = '@cfm/connector-sdk';
/** The tools a standalone package brings itself (inside the workspace, the root provides them). */
const STANDALONE_TOOLS = ['@biomejs/biome', '@changesets/cli', '@types/node', 'typescript', 'vitest'];

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** `package.json`: the `cfmConnector` manifest, the keyword, the SDK as a peer, exports and scripts. */
export function packageJson(input: TemplateInput): string {
  const { names } = input;
  const standalone = input.layout.kind === 'standalone';
  const devDependencies: Record<string, string> = { [SDK]: standalone ? sdkPeerRange(input) : 'workspace:*' };
  if (standalone) {
    for (const tool of STANDALONE_TOOLS) devDependencies[tool] = input.toolVersions[tool] ?? 'latest';
  }
  const sortedDevDependencies = Object.fromEntries(
    Object.entries(devDependencies).sort(([a], [b]) => a.localeCompare(b)),
  );
  return json({
    name: names.packageName,
    // `pnpm changeset version` turns the initial changeset into 0.1.0 and the first CHANGELOG entry.
    version: '0.0.0',
    description: `${names.displayName} connector for Connector Framework Manager.`,
    type: 'module',
    keywords: ['cfm-connector', 'cfm', 'connector', names.key, input.auth],
    license: 'MIT',
    cfmConnector: { contractVersion: input.contractVersion, entry: './dist/index.js' },
    exports: {
      '.': { types: './dist/index.d.ts', import: './dist/index.js' },
      './testing': { types: './dist/testing/index.d.ts', import: './dist/testing/index.js' },
      './package.json': './package.json',
    },
    files: ['dist', 'README.md', 'CHANGELOG.md'],
    ...(standalone && { engines: { node: '>=20.19' } }),
    scripts: {
      build:
        "node -e \"require('node:fs').rmSync('dist',{recursive:true,force:true})\" && tsc -p tsconfig.build.json",
      dev: 'tsc -p tsconfig.build.json --watch --preserveWatchOutput',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      lint: 'biome check .',
      test: 'vitest run',
      ...(standalone && { changeset: 'changeset' }),
    },
    peerDependencies: { [SDK]: sdkPeerRange(input) },
    devDependencies: sortedDevDependencies,
  });
}

/** `tsconfig.json` (type checks, tests included) and `tsconfig.build.json` (emits `src` to `dist`). */
export function tsconfigFiles(input: TemplateInput): Record<string, string> {
  const include = ['src', 'test', 'vitest.config.ts'];
  const build = {
    rootDir: 'src',
    outDir: 'dist',
  };
  const exclude = ['src/**/*.test.ts', 'src/**/test/**'];
  if (input.layout.kind === 'workspace' && input.layout.tsconfigBase !== undefined) {
    return {
      'tsconfig.json': json({
        extends: input.layout.tsconfigBase,
        compilerOptions: { rootDir: '.', noEmit: true },
        include,
      }),
      'tsconfig.build.json': json({
        extends: input.layout.tsconfigBase,
        compilerOptions: build,
        include: ['src'],
        exclude,
      }),
    };
  }
  return {
    'tsconfig.json': json({
      compilerOptions: { ...input.compilerOptions, rootDir: '.', noEmit: true },
      include,
    }),
    'tsconfig.build.json': json({
      extends: './tsconfig.json',
      compilerOptions: { ...build, noEmit: false },
      include: ['src'],
      exclude,
    }),
  };
}

export function vitestConfig(input: TemplateInput): string {
  return `import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: ${JSON.stringify(input.names.folderName)},
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
`;
}

/** The files only a standalone package has: Biome config, changesets config, .gitignore. */
export function standaloneFiles(input: TemplateInput): Record<string, string> {
  const biome = input.toolVersions['@biomejs/biome']?.replace(/^[\^~]/, '');
  return {
    'biome.json': json({
      ...(biome !== undefined && { $schema: `https://biomejs.dev/schemas/${biome}/schema.json` }),
      files: { includes: ['**', '!**/dist', '!**/node_modules', '!**/*.md'] },
      formatter: { enabled: true, indentStyle: 'space', indentWidth: 2, lineWidth: 110 },
      javascript: { formatter: { quoteStyle: 'single', semicolons: 'always', trailingCommas: 'all' } },
      linter: {
        enabled: true,
        rules: {
          preset: 'recommended',
          style: { noNonNullAssertion: 'off' },
          suspicious: { noExplicitAny: 'error' },
          complexity: { useLiteralKeys: 'off' },
        },
      },
      assist: { actions: { source: { organizeImports: 'on' } } },
    }),
    '.changeset/config.json': json({
      $schema: 'https://unpkg.com/@changesets/config@3.1.1/schema.json',
      changelog: '@changesets/cli/changelog',
      commit: false,
      access: 'public',
      baseBranch: 'main',
    }),
    '.gitignore': 'node_modules/\ndist/\n*.tgz\n',
  };
}

/** The changeset that makes the first release (0.0.0 → 0.1.0) and writes the first CHANGELOG entry. */
export function initialChangeset(input: TemplateInput): string {
  const { names } = input;
  return `---
${JSON.stringify(names.packageName)}: minor
---

Initial release: ${names.displayName} connector (${input.auth}) with \`check\`, a sample and the \`list_items\` action.
`;
}
