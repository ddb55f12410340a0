import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActionContext } from './connector-context.js';
import { ACTION_NAME_PATTERN, defineAction, isActionDefinition } from './define-action.js';
import { defineConnector } from './define-connector.js';
import { ConnectorError } from './errors.js';
import { createOriginRewriter } from './http/origin-rewriter.js';
import { type LocalServer, sendJson, startLocalServer } from './test/local-server.js';
import type { ActionSpec, ConnectorSpec } from './types.js';
import { validateConnectorDefinition } from './validate-connector-definition.js';

const listInput = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  page_token: Type.Optional(Type.String()),
});
const listOutput = Type.Object({ items: Type.Array(Type.Object({ id: Type.String() })) });

const listItems: ActionSpec<typeof listInput, typeof listOutput> = {
  description: 'List the items of the workspace.',
  input: listInput,
  output: listOutput,
  async run(ctx, input) {
    const response = await ctx.api.get<{ items: { id: string }[] }>('items', {
      query: { limit: input.limit ?? 10 },
    });
    return { items: response.body.items };
  },
};

function connectorSpec(fields: Partial<ConnectorSpec> = {}): ConnectorSpec {
  return {
    key: 'acme',
    name: 'Acme',
    description: 'Lists items.',
    configSchema: Type.Object({}),
    auth: [
      {
        type: 'oauth2',
        authorizeUrl: 'https://auth.acme.test/authorize',
        tokenUrl: 'https://auth.acme.test/token',
        scopes: { required: [] },
      },
    ],
    api: { baseUrl: 'https://api.acme.test/v1' },
    async check() {
      return { identity: { accountId: '1' } };
    },
    ...fields,
  };
}

/** The `TypeError` message defineAction throws for `spec`. */
function actionProblems(spec: unknown): string {
  try {
    defineAction(spec as ActionSpec);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as Error).message;
  }
  throw new Error('defineAction accepted an invalid spec');
}

function connectorProblems(spec: unknown): string[] {
  const result = validateConnectorDefinition(spec);
  return result.ok ? [] : result.errors;
}

describe('defineAction', () => {
  it('returns a frozen, branded action, read-only unless it says otherwise', () => {
    const action = defineAction(listItems);
    expect(isActionDefinition(action)).toBe(true);
    expect(Object.isFrozen(action)).toBe(true);
    expect(action.readOnly).toBe(true);
    expect(defineAction({ ...listItems, readOnly: false }).readOnly).toBe(false);
    expect(isActionDefinition({ ...listItems })).toBe(false);
  });

  it('refuses a non-object input schema', () => {
    expect(actionProblems({ ...listItems, input: Type.String() })).toContain(
      'input must be an object schema',
    );
    expect(actionProblems({ ...listItems, input: Type.Array(Type.String()) })).toContain(
      'input must be an object schema',
    );
  });

  it('refuses input properties that are not snake_case, naming each', () => {
    const message = actionProblems({
      ...listItems,
      input: Type.Object({ pageToken: Type.String(), 'page-size': Type.Integer(), ok_name: Type.String() }),
    });
    expect(message).toContain('input property "pageToken" must be snake_case');
    expect(message).toContain('input property "page-size" must be snake_case');
    expect(message).not.toContain('ok_name');
  });

  it('lists a missing run, description and output together', () => {
    const { run: _run, ...withoutRun } = listItems;
    const message = actionProblems({ ...withoutRun, description: ' ', output: 'nope', readOnly: 'no' });
    expect(message).toContain('run must be a function');
    expect(message).toContain('description must be a non-empty string');
    expect(message).toContain('output must be a schema');
    expect(message).toContain('readOnly must be a boolean');
  });
});

describe('actions in defineConnector', () => {
  it('accepts snake_case names and refuses the others', () => {
    expect(ACTION_NAME_PATTERN.test('search_issues')).toBe(true);
    const action = defineAction(listItems);
    expect(connectorProblems(defineConnector(connectorSpec({ actions: { list_items: action } })))).toEqual(
      [],
    );
    for (const name of [
      'ListItems',
      'list-items',
      '1_items',
      'list__items',
      'list_items_',
      '_list',
      'a'.repeat(65),
    ]) {
      const problems = connectorProblems(connectorSpec({ actions: { [name]: action } }));
      expect(problems, name).toContain(`actions.${name}: the name must be snake_case, at most 64 characters`);
    }
  });

  it('refuses actions without api', () => {
    const { api: _api, ...withoutApi } = connectorSpec();
    expect(() =>
      defineConnector({ ...withoutApi, actions: { list_items: defineAction(listItems) } }),
    ).toThrow(/actions need api/);
  });

  it('refuses an action not built with defineAction, and repeats its spec problems', () => {
    const problems = connectorProblems(
      connectorSpec({
        actions: { list_items: { ...listItems, input: Type.Object({ badName: Type.String() }) } as never },
      }),
    );
    expect(problems).toContain('actions.list_items must be built with defineAction');
    expect(problems).toContain('actions.list_items.input property "badName" must be snake_case');
  });

  it('refuses a malformed api descriptor', () => {
    expect(connectorProblems(connectorSpec({ api: { baseUrl: 'ftp://acme.test' } }))).toContain(
      'api.baseUrl must be an http(s) URL (with optional {placeholders})',
    );
    expect(connectorProblems(connectorSpec({ api: { baseUrl: 'https://acme.test/v1?x=1' } }))).toContain(
      'api.baseUrl must not hold a query or a fragment',
    );
    expect(
      connectorProblems(
        connectorSpec({ api: { baseUrl: 'https://acme.test', headers: { 'X-N': 1 as never } } }),
      ),
    ).toContain('api.headers must be an object of string values when given');
  });
});

describe('an action run with createActionContext', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer((request, response) => {
      if (request.headers['authorization'] !== 'Bearer token-1')
        return sendJson(response, 401, { error: 'invalid_token' });
      const url = new URL(request.url, 'http://local');
      const limit = Number(url.searchParams.get('limit'));
      return sendJson(response, 200, {
        items: Array.from({ length: limit }, (_, index) => ({ id: `i-${index}` })),
      });
    });
  });
  afterAll(() => server.close());

  const connector = defineConnector(connectorSpec({ actions: { list_items: defineAction(listItems) } }));
  const context = (accessToken: string) =>
    createActionContext(connector, {
      config: {},
      credentials: { type: 'oauth2', accessToken },
      rewriteUrl: createOriginRewriter(new Map([['https://api.acme.test', server.origin]])),
      retries: 0,
    });

  it('calls the provider API through ctx.api, under the base path, with the credentials', async () => {
    const output = await connector.actions?.['list_items']?.run(context('token-1'), { limit: 2 });
    expect(output).toEqual({ items: [{ id: 'i-0' }, { id: 'i-1' }] });
    expect(server.requests.at(-1)?.url).toBe('/v1/items?limit=2');
  });

  it('surfaces a refused token as a ConnectorError with reason auth', async () => {
    const error = await connector.actions?.['list_items']
      ?.run(context('token-2'), {})
      .catch((thrown) => thrown);
    expect(ConnectorError.is(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'auth', status: 401 });
    expect((error as Error).message).not.toContain('token-2');
  });

  it('is refused for a connector without api', () => {
    const { api: _api, ...withoutApi } = connectorSpec();
    const bare = defineConnector(withoutApi);
    expect(() => createActionContext(bare, { config: {}, credentials: { type: 'none' } })).toThrow(
      /declares no api/,
    );
  });
});
