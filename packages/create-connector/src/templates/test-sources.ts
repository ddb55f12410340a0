import { sdkPeerRange, type TemplateInput } from './template-input.js';

/** `src/<key>-conformance.test.ts` (OAuth 2 only): the SDK's conformance kit, actions included. */
export function conformanceTestSource(input: TemplateInput): string {
  const { names } = input;
  return `import { describeConformance } from '@cfm/connector-sdk/testing';
import connector from './index.js';
import { FAKE_${names.envPrefix}_CLIENT, startFake${names.pascal} } from './testing/index.js';

// The kit runs the connector against its fake the way the server does: the OAuth flow, refresh, revocation,
// check, fetchSample, 429s, the api descriptor and every action (each needs a sample input here).
describeConformance({
  connector,
  client: FAKE_${names.envPrefix}_CLIENT,
  startProvider: () => startFake${names.pascal}(),
  expect: {
    rotatesRefreshTokens: true,
    hasRevoke: true,
    pkce: true,
    requiredScopes: ['items:read'],
  },
  apiProbe: { path: '/me' },
  actions: { list_items: { input: { limit: 2 } } },
});
`;
}

/** How the connector's own tests get a context: through the OAuth flow, or with the fake's credentials. */
function contextSetup(input: TemplateInput): { imports: string; helpers: string } {
  const { names } = input;
  if (input.auth === 'oauth2') {
    return {
      imports: `import { checkPackageManifest, connectorErrorOf, fakeFlow, lastRequestTo } from '@cfm/connector-sdk/testing';`,
      helpers: `  /** A connection made through the fake's consent page, as the server makes it. */
  async function connected() {
    const flow = fakeFlow(connector, fake, { client: FAKE_${names.envPrefix}_CLIENT });
    const tokens = await flow.connect();
    return { context: flow.context(tokens), actionContext: flow.actionContext(tokens), tokens };
  }
`,
    };
  }
  return {
    imports: `import {
  actionContextFor,
  checkPackageManifest,
  connectorErrorOf,
  contextFor,
  lastRequestTo,
} from '@cfm/connector-sdk/testing';`,
    helpers: `  /** A connection holding the fake's credentials, as \`POST /api/connections/\` stores them. */
  async function connected(credentials: Credentials = fake.credentials) {
    const options = { credentials, rewrite: fake.rewrite };
    return { context: contextFor(connector, options), actionContext: actionContextFor(connector, options) };
  }
`,
  };
}

function refusalTest(input: TemplateInput): string {
  switch (input.auth) {
    case 'oauth2':
      return `  it('check() with a revoked token fails with reason "auth", without the token in the message', async () => {
    const { context, tokens } = await connected();
    fake.revokeToken(tokens.credentials.accessToken);
    const error = await connectorErrorOf(connector.check(context));
    expect(error.reason).toBe('auth');
    expect(error.message).not.toContain(tokens.credentials.accessToken);
  });`;
    case 'api_key':
      return `  it('check() with a wrong API key fails with reason "auth", without the key in the message', async () => {
    const wrong = \`wrong-\${fake.apiKey}\`;
    const { context } = await connected({ type: 'api_key', values: { apiKey: wrong } });
    const error = await connectorErrorOf(connector.check(context));
    expect(error.reason).toBe('auth');
    expect(error.message).not.toContain(wrong);
  });

  it('sends the key as the auth descriptor says', async () => {
    const { context } = await connected();
    await connector.check(context);
    expect(lastRequestTo(fake, '/v1/me').headers['authorization']).toBe('Bearer [redacted]');
  });`;
    case 'basic':
      return `  it('sends HTTP Basic credentials, and fails with reason "auth" when the provider refuses them', async () => {
    const { context } = await connected();
    await connector.check(context);
    expect(lastRequestTo(fake, '/v1/me').headers['authorization']).toBe('Basic [redacted]');
    fake.failNext(1, 401, { error: 'unauthorized' });
    const error = await connectorErrorOf(connector.check(context));
    expect(error.reason).toBe('auth');
    expect(error.message).not.toContain(fake.credentials.password);
  });`;
  }
}

/** `src/<key>-connector.test.ts`: the manifest, check, the sample, the action and error mapping. */
export function connectorTestSource(input: TemplateInput): string {
  const { names } = input;
  const setup = contextSetup(input);
  const credentialsImport =
    input.auth === 'oauth2' ? '' : "import type { Credentials } from '@cfm/connector-sdk';\n";
  const fakeImports =
    input.auth === 'oauth2'
      ? `FAKE_${names.envPrefix}_CLIENT, type Fake${names.pascal}, startFake${names.pascal}`
      : `type Fake${names.pascal}, startFake${names.pascal}`;
  return `import { fileURLToPath } from 'node:url';
${credentialsImport}${setup.imports}
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector, { listItems } from './index.js';
import { ${fakeImports} } from './testing/index.js';

describe(${JSON.stringify(`${names.key} connector`)}, () => {
  let fake: Fake${names.pascal};
  beforeAll(async () => {
    fake = await startFake${names.pascal}();
  });
  afterAll(() => fake.close());

${setup.helpers}
  it('is loadable by the platform: manifest, keyword and SDK peer dependency', async () => {
    await checkPackageManifest(fileURLToPath(new URL('../package.json', import.meta.url)));
  });

  it('check() reads /v1/me and names the account', async () => {
    const { context } = await connected();
    const result = await connector.check(context);
    expect(result.identity).toEqual({
      accountId: fake.identity.id,
      displayName: fake.identity.name,
      email: fake.identity.email,
    });
  });

${refusalTest(input)}

  it('fetchSample() returns at most limit items', async () => {
    const { context } = await connected();
    const sample = await connector.fetchSample?.(context, { limit: 2 });
    expect(sample).toEqual({
      kind: 'items',
      items: fake.items.slice(0, 2).map(({ id, name, updated_at }) => ({ id, name, updated_at })),
    });
  });

  it('list_items calls GET /v1/items under the api base URL with the limit', async () => {
    const { actionContext } = await connected();
    const output = await listItems.run(actionContext, { limit: 3 });
    expect(lastRequestTo(fake, '/v1/items').query).toEqual({ limit: '3' });
    expect(output.items.map((item) => item.id)).toEqual(fake.items.slice(0, 3).map((item) => item.id));
  });

  it('list_items reports a 429 as reason "rate_limited" with the delay the provider asked for', async () => {
    const { actionContext } = await connected();
    fake.rateLimitNext(1, { 'Retry-After': '30' });
    try {
      const error = await connectorErrorOf(listItems.run(actionContext, {}));
      expect(error).toMatchObject({ reason: 'rate_limited', retryable: true, retryAfterMs: 30_000 });
    } finally {
      fake.rateLimitNext(0);
    }
  });

  it('list_items reports a 5xx as a retryable "provider" error', async () => {
    const { actionContext } = await connected();
    fake.failNext(1, 503);
    const error = await connectorErrorOf(listItems.run(actionContext, {}));
    expect(error).toMatchObject({ reason: 'provider', retryable: true });
  });
});
`;
}

/** `test/pack.e2e.test.ts`: the published tarball, installed into an empty project and imported by name. */
export function packTestSource(input: TemplateInput): string {
  const { names } = input;
  const build =
    input.layout.kind === 'workspace'
      ? `  // \`pnpm test\` at the repository root builds every package first; rebuilding here would empty dist/ under
  // suites running in parallel.
  build: false,
`
      : '';
  return `import { resolve } from 'node:path';
import { describePackedConnector } from '@cfm/connector-sdk/testing';

// What an operator does: install the packed tarballs into an empty project and import the connector by name.
describePackedConnector({
  packageDirectory: resolve(import.meta.dirname, '..'),
${build}  expect: {
    key: ${JSON.stringify(names.key)},
    sdkPeerRange: ${JSON.stringify(sdkPeerRange(input))},
    exports: ['.', './testing', './package.json'],
  },
});
`;
}
