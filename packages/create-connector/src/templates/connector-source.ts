import { literal, providerOrigins, type TemplateInput } from './template-input.js';

function authDescriptor(input: TemplateInput): string {
  const { names } = input;
  switch (input.auth) {
    case 'oauth2':
      return `  // TODO: ${names.displayName}'s real endpoints and scopes. Defaults: PKCE S256, client credentials in the
  // form body, refresh at tokenUrl; see docs/authoring-connectors.md for clientAuth, scopeSeparator, hooks…
  auth: [
    {
      type: 'oauth2',
      authorizeUrl: \`\${AUTH_ORIGIN}/oauth/authorize\`,
      tokenUrl: \`\${AUTH_ORIGIN}/oauth/token\`,
      revokeUrl: \`\${AUTH_ORIGIN}/oauth/revoke\`,
      scopes: { required: ['items:read'] },
    },
  ],`;
    case 'api_key':
      return `  // TODO: where ${names.displayName} expects its key (a header such as \`X-Api-Key\`, or a query parameter).
  auth: [
    {
      type: 'api_key',
      fields: [
        {
          name: 'apiKey',
          label: 'API key',
          description: ${literal(`Create one in ${names.displayName} under your account settings.`)},
          in: 'header',
          param: 'Authorization',
          prefix: 'Bearer ',
        },
      ],
    },
  ],`;
    case 'basic':
      return `  // HTTP Basic: the SDK sends \`Authorization: Basic base64(username:password)\` on every request.
  auth: [{ type: 'basic', usernameLabel: 'Email', passwordLabel: 'API token' }],`;
  }
}

/** `src/<key>-connector.ts`: the definition, its `api` descriptor and one read action. */
export function connectorSource(input: TemplateInput): string {
  const { names } = input;
  const origins = providerOrigins(input);
  const authOrigin =
    input.auth === 'oauth2'
      ? `/** Where ${names.displayName}'s users sign in: the OAuth 2 endpoints. */
const AUTH_ORIGIN = ${literal(origins.auth)};
`
      : '';
  return `import { ConnectorError, defineAction, defineConnector, Type } from '@cfm/connector-sdk';

// TODO: ${names.displayName}'s real origins. In tests the fake (src/testing/) stands in for them: its \`rewrite\`
// map sends these origins to it, so keep the paths below and the fake's routes in step.
${authOrigin}/** ${names.displayName}'s REST API: the \`api\` descriptor's base URL; actions call paths under it. */
export const ${names.envPrefix}_API_BASE_URL = ${literal(`${origins.api}/v1`)};

/** The answer of \`GET /me\`. */
interface ${names.pascal}User {
  id?: unknown;
  name?: string | null;
  email?: string | null;
}

interface ${names.pascal}Item {
  id: string;
  name: string;
  updated_at?: string | null;
}

const ItemSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  updated_at: Type.Union([Type.String(), Type.Null()]),
});

/** The first \`limit\` items of an \`/items\` answer; any other shape is the provider's fault. */
function itemsOf(body: unknown, limit: number) {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) {
    throw new ConnectorError(${literal(`${names.displayName} answered /items without an items list`)}, { reason: 'provider' });
  }
  return (items as ${names.pascal}Item[]).slice(0, limit).map((item) => ({
    id: String(item.id),
    name: String(item.name),
    updated_at: item.updated_at ?? null,
  }));
}

/**
 * An example read action: the most recently updated items. The platform validates the input against
 * \`input\` before \`run\` and documents \`output\`; \`ctx.api\` is bound to \`api.baseUrl\` with the connection's
 * fresh credentials. A \`ConnectorError\` thrown here becomes the HTTP status the caller sees.
 */
export const listItems = defineAction({
  description: ${literal(`List the most recently updated items of the connected ${names.displayName} account.`)},
  readOnly: true,
  input: Type.Object(
    {
      limit: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 100, description: 'How many items to return (default 10).' }),
      ),
    },
    { additionalProperties: false },
  ),
  output: Type.Object({ items: Type.Array(ItemSchema) }),
  async run(ctx, input) {
    const limit = input.limit ?? 10;
    const response = await ctx.api.get('/items', { query: { limit } });
    return { items: itemsOf(response.body, limit) };
  },
});

/** ${names.displayName}: who the account is (\`check\`), a few items (\`fetchSample\`) and the \`list_items\` action. */
export const ${names.camel}Connector = defineConnector({
  key: ${literal(names.key)},
  name: ${literal(names.displayName)},
  description: ${literal(`Connects ${names.displayName} accounts: their identity and most recently updated items.`)},
  // TODO: iconUrl, docsUrl and categories, shown in GET /api/connectors/.
  configSchema: Type.Object({}),
${authDescriptor(input)}
  api: { baseUrl: ${names.envPrefix}_API_BASE_URL },
  async check(ctx) {
    const me = (await ctx.http.get<${names.pascal}User>(\`\${${names.envPrefix}_API_BASE_URL}/me\`)).body;
    if (typeof me?.id !== 'string' || me.id === '') {
      throw new ConnectorError(${literal(`${names.displayName} answered /me without an account id`)}, { reason: 'provider' });
    }
    return { identity: { accountId: me.id, displayName: me.name ?? null, email: me.email ?? null } };
  },
  async fetchSample(ctx, { limit }) {
    const count = Math.min(Math.max(Math.floor(limit), 0), 100);
    if (count === 0) return { kind: 'items', items: [] };
    const response = await ctx.http.get(\`\${${names.envPrefix}_API_BASE_URL}/items\`, { query: { limit: count } });
    return { kind: 'items', items: itemsOf(response.body, count) };
  },
  actions: { list_items: listItems },
});
`;
}

/** `src/index.ts`: the definition as the default export and as `connector`, as the server looks for it. */
export function indexSource(input: TemplateInput): string {
  const { names } = input;
  return `import { ${names.camel}Connector } from './${names.key}-connector.js';

export { ${names.envPrefix}_API_BASE_URL, ${names.camel}Connector, listItems } from './${names.key}-connector.js';
export { ${names.camel}Connector as connector };
export default ${names.camel}Connector;
`;
}
