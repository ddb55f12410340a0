import { literal, providerOrigins, type TemplateInput } from './template-input.js';

/** What the fake adds for each auth kind: extra interface fields, setup and the credentials it accepts. */
function credentialParts(input: TemplateInput): { fields: string; setup: string; values: string } {
  switch (input.auth) {
    case 'oauth2':
      return { fields: '', setup: '', values: '' };
    case 'api_key':
      return {
        fields: `  /** A valid API key, as the connection stores it: \`fake.revokeToken(fake.apiKey)\` makes it invalid. */
  readonly apiKey: string;
  readonly credentials: ApiKeyCredentials;`,
        // The fake's API routes accept the bearer tokens it issued, so an issued token is the API key.
        setup: '  const apiKey = provider.issueTokensDirectly({ expiresIn: null }).accessToken;\n',
        values: `    apiKey,
    credentials: { type: 'api_key', values: { apiKey } } satisfies ApiKeyCredentials,`,
      };
    case 'basic':
      return {
        fields: `  /** Credentials as the connection stores them. */
  readonly credentials: BasicCredentials;`,
        setup: '',
        values: `    credentials: {
      type: 'basic',
      username: 'ada@example.com',
      password: \`token-\${randomUUID()}\`,
    } satisfies BasicCredentials,`,
      };
  }
}

function authGuard(input: TemplateInput): { helper: string; call: string } {
  if (input.auth !== 'basic') {
    // The fake answers its own 401 unless the request carries a bearer token it issued and did not revoke.
    return { helper: '', call: 'helpers.requireToken();' };
  }
  return {
    // Route handlers see a redacted copy of the Authorization header, so the fake can tell whether Basic
    // credentials came, not whether they are right: the connector's own tests cover the header it builds.
    helper: `
/** A 401 unless the request came with HTTP Basic credentials. */
function basicRefusal(request: FakeRouteRequest): FakeResponse | undefined {
  if (request.headers['authorization']?.startsWith('Basic ')) return undefined;
  return { status: 401, body: { error: 'unauthorized', message: 'Basic credentials required' } };
}
`,
    call: 'const refusal = basicRefusal(request);\n        if (refusal) return refusal;',
  };
}

/** `src/testing/fake-<key>.ts`: a real HTTP fake of the provider, on the SDK's fake OAuth 2 provider. */
export function fakeSource(input: TemplateInput): string {
  const { names } = input;
  const origins = providerOrigins(input);
  const parts = credentialParts(input);
  const guard = authGuard(input);
  const credentialTypes =
    input.auth === 'api_key'
      ? "import type { ApiKeyCredentials } from '@cfm/connector-sdk';\n"
      : input.auth === 'basic'
        ? "import type { BasicCredentials } from '@cfm/connector-sdk';\n"
        : '';
  const routeTypes = input.auth === 'basic' ? 'FakeResponse, FakeRouteRequest,' : '';
  const clientConstant =
    input.auth === 'oauth2'
      ? `
/** The OAuth client the fake accepts: the connection's \`${names.envPrefix}_CLIENT_ID\` / \`_SECRET\` in tests. */
export const FAKE_${names.envPrefix}_CLIENT = {
  clientId: 'fake-${names.key}-client',
  clientSecret: 'fake-${names.key}-secret',
};
`
      : '';
  const client =
    input.auth === 'oauth2'
      ? `    ...FAKE_${names.envPrefix}_CLIENT,\n`
      : `    clientId: 'fake-${names.key}-client',\n    clientSecret: \`fake-${names.key}-secret-\${randomUUID()}\`,\n`;
  const userinfoPath = input.auth === 'basic' ? "'/fake/userinfo'" : "'/v1/me'";
  const meRoute =
    input.auth === 'basic'
      ? `
      // Served here rather than as the fake's \`userinfo\`, which only takes bearer tokens.
      'GET /v1/me': (request) => basicRefusal(request) ?? { status: 200, body: identity },`
      : '';
  const summary = {
    oauth2: ` * A fake ${names.displayName} on 127.0.0.1: OAuth 2 endpoints (\`/oauth/authorize\`, \`/oauth/token\`,
 * \`/oauth/revoke\`), \`GET /v1/me\` and \`GET /v1/items?limit=\`. It validates like a real provider: client
 * credentials, single-use codes, PKCE, rotating refresh tokens, expiry and revocation.`,
    api_key: ` * A fake ${names.displayName} on 127.0.0.1: \`GET /v1/me\` and \`GET /v1/items?limit=\`, answering 401 unless the
 * request carries \`fake.apiKey\` as its bearer token.`,
    basic: ` * A fake ${names.displayName} on 127.0.0.1: \`GET /v1/me\` and \`GET /v1/items?limit=\`, answering 401 to a request
 * without HTTP Basic credentials.`,
  }[input.auth];
  const cryptoImport = input.auth === 'oauth2' ? '' : "import { randomUUID } from 'node:crypto';\n";
  return `${cryptoImport}${credentialTypes}import type { FakeOAuth2Provider, FakeOAuth2ProviderOptions, ${routeTypes} } from '@cfm/connector-sdk/testing/fakes';
import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';

export interface Fake${names.pascal}Item {
  id: string;
  name: string;
  updated_at: string;
}

export interface Fake${names.pascal}Options {
  items?: Fake${names.pascal}Item[];
  /** Passed through to the SDK's fake (autoApprove, expiresIn, codeTtlMs…). */
  provider?: Omit<FakeOAuth2ProviderOptions, 'routes' | 'identity' | 'paths'>;
}

export interface Fake${names.pascal} extends FakeOAuth2Provider {
  /** Real origin → fake origin, for \`CONNECTOR_ORIGIN_OVERRIDES\` (\`Object.entries(…).map(…).join(',')\`). */
  readonly originOverrides: Record<string, string>;
  /** The same map, in the shape \`describeConformance\` and \`contextFor\` take. */
  readonly rewrite: ReadonlyMap<string, string>;
  /** Who \`GET /v1/me\` says the account is. */
  readonly identity: { id: string; name: string; email: string };
  readonly items: readonly Fake${names.pascal}Item[];
${parts.fields}
}

const DEFAULT_ITEMS: Fake${names.pascal}Item[] = [
  { id: 'item-1', name: 'Quarterly report', updated_at: '2025-01-10T09:00:00.000Z' },
  { id: 'item-2', name: 'Roadmap', updated_at: '2025-01-09T09:00:00.000Z' },
  { id: 'item-3', name: 'Onboarding checklist', updated_at: '2025-01-08T09:00:00.000Z' },
  { id: 'item-4', name: 'Meeting notes', updated_at: '2025-01-07T09:00:00.000Z' },
];
${clientConstant}${guard.helper}
/**
${summary}
 * It can answer 429s and 5xx on demand (\`rateLimitNext\`, \`failNext\`) and loads no test runner, so a server
 * end-to-end test or a demo can use it too.
 *
 * @example
 * \`\`\`ts
 * const fake = await startFake${names.pascal}();
 * // CONNECTOR_ORIGIN_OVERRIDES for a server talking to it:
 * const overrides = Object.entries(fake.originOverrides).map(([from, to]) => \`\${from}=\${to}\`).join(',');
 * await fake.close();
 * \`\`\`
 */
export async function startFake${names.pascal}(options: Fake${names.pascal}Options = {}): Promise<Fake${names.pascal}> {
  const items = options.items ?? DEFAULT_ITEMS;
  const identity = { id: '${names.key}-user-1', name: 'Ada Lovelace', email: 'ada@example.com' };
  const provider = await startFakeOAuth2Provider({
${client}    ...options.provider,
    paths: {
      authorize: '/oauth/authorize',
      token: '/oauth/token',
      revoke: '/oauth/revoke',
      userinfo: ${userinfoPath},
    },
    identity,
    routes: {${meRoute}
      'GET /v1/items': (${input.auth === 'basic' ? 'request' : 'request, helpers'}) => {
        ${guard.call}
        const limit = Number(request.query['limit'] ?? 10);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
          return { status: 400, body: { error: 'invalid_request', message: 'limit must be 1 to 100' } };
        }
        return { status: 200, body: { items: items.slice(0, limit) } };
      },
    },
  });
${parts.setup}  const originOverrides = {
    ${literal(origins.auth)}: provider.url,
    ${literal(origins.api)}: provider.url,
  };
  return Object.assign(provider, {
    originOverrides,
    rewrite: new Map(Object.entries(originOverrides)),
    identity,
    items,
${parts.values}
  });
}
`;
}

/** `src/testing/index.ts`: the `./testing` entry (fakes only, no test runner). */
export function testingIndexSource(input: TemplateInput): string {
  const { names } = input;
  const client = input.auth === 'oauth2' ? `FAKE_${names.envPrefix}_CLIENT, ` : '';
  return `export type { Fake${names.pascal}, Fake${names.pascal}Item, Fake${names.pascal}Options } from './fake-${names.key}.js';
export { ${client}startFake${names.pascal} } from './fake-${names.key}.js';
`;
}
