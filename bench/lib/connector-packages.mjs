import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoUrl } from './paths.mjs';

/**
 * A `CONNECTORS_DIR` (an npm prefix) holding `count` tiny valid connector packages built on the SDK, as
 * `npm install --prefix <dir> <package>…` would leave it: each package lists the SDK as a peer, which
 * resolves to the one `node_modules/@cfm/connector-sdk` (here a link to the workspace's build).
 * The manifest shape is the one of `apps/server/test/fixtures/connectors`.
 */
export function generateConnectorPackages(count) {
  const prefix = mkdtempSync(join(tmpdir(), 'cfm-bench-connectors-'));
  const nodeModules = join(prefix, 'node_modules');
  mkdirSync(join(nodeModules, '@cfm'), { recursive: true });
  symlinkSync(
    realpathSync(fileURLToPath(repoUrl('packages/connector-sdk'))),
    join(nodeModules, '@cfm', 'connector-sdk'),
  );
  for (let index = 0; index < count; index++) {
    const key = `bench-generated-${String(index).padStart(3, '0')}`;
    const folder = join(nodeModules, `cfm-connector-${key}`);
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'package.json'),
      `${JSON.stringify(
        {
          name: `cfm-connector-${key}`,
          version: '1.0.0',
          type: 'module',
          cfmConnector: { contractVersion: 1, entry: './index.js' },
          peerDependencies: { '@cfm/connector-sdk': '^0.1.0' },
        },
        null,
        2,
      )}\n`,
    );
    writeFileSync(
      join(folder, 'index.js'),
      `import { defineConnector, Type } from '@cfm/connector-sdk';

export default defineConnector({
  key: '${key}',
  name: 'Generated ${index}',
  description: 'A generated connector package (benchmark).',
  categories: ['testing'],
  configSchema: Type.Object({ site: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+$' })) }),
  auth: [
    {
      type: 'oauth2',
      authorizeUrl: 'https://${key}.example/oauth/authorize',
      tokenUrl: 'https://${key}.example/oauth/token',
      scopes: { required: ['read'] },
    },
  ],
  async check() {
    return { identity: { accountId: '${key}' } };
  },
});
`,
    );
  }
  return prefix;
}
