import { connectorSource, indexSource } from './connector-source.js';
import { fakeSource, testingIndexSource } from './fake-source.js';
import {
  initialChangeset,
  packageJson,
  standaloneFiles,
  tsconfigFiles,
  vitestConfig,
} from './package-files.js';
import { changelogSource, readmeSource } from './readme.js';
import type { TemplateInput } from './template-input.js';
import { conformanceTestSource, connectorTestSource, packTestSource } from './test-sources.js';

/** The package's files, by path relative to its folder (`/` separators), before formatting. */
export function renderPackage(input: TemplateInput): Record<string, string> {
  const { key } = input.names;
  const files: Record<string, string> = {
    'package.json': packageJson(input),
    'README.md': readmeSource(input),
    'CHANGELOG.md': changelogSource(input),
    ...tsconfigFiles(input),
    'vitest.config.ts': vitestConfig(input),
    'src/index.ts': indexSource(input),
    [`src/${key}-connector.ts`]: connectorSource(input),
    [`src/${key}-connector.test.ts`]: connectorTestSource(input),
    'src/testing/index.ts': testingIndexSource(input),
    [`src/testing/fake-${key}.ts`]: fakeSource(input),
    'test/pack.e2e.test.ts': packTestSource(input),
  };
  // The conformance kit drives an OAuth 2 flow; API-key and basic connectors are covered by their own tests.
  if (input.auth === 'oauth2') files[`src/${key}-conformance.test.ts`] = conformanceTestSource(input);
  if (input.layout.kind === 'standalone') {
    Object.assign(files, standaloneFiles(input));
    files['.changeset/initial-release.md'] = initialChangeset(input);
  }
  return files;
}
