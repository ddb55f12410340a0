import { expect, it } from 'vitest';
import { createApiClient, missingApiPlaceholders, resolveApiBaseUrl } from '../api/api-client.js';
import { ACTION_NAME_PATTERN } from '../define-action.js';
import { ConnectorError } from '../errors.js';
import { createOriginRewriter } from '../http/origin-rewriter.js';
import { isRecord } from '../is-record.js';
import type { ActionDefinition, ConnectorDefinition, HttpResponse, OAuth2AuthDescriptor } from '../types.js';
import type { FakeFlow } from './fake-flow.js';
import { jsonSchemaProblems, valueProblems } from './json-schema.js';
import { connectorErrorOf, rejectionOf } from './rejection-of.js';

/** One action's sample for the conformance kit. */
export interface ConformanceActionSample {
  /** What the kit runs the action with; it must validate against the action's input schema. */
  input: unknown;
  /** More assertions on the output, after the kit validated it against the output schema. */
  check?: (output: unknown) => void | Promise<void>;
  /** Optional scopes of the descriptor the action needs (`chat:write`): the kit's flow requests them too. */
  scopes?: string[];
}

/** A GET the kit sends through `createApiClient` to prove the `api` descriptor reaches the provider. */
export interface ConformanceApiProbe {
  /** A path under `api.baseUrl` that needs the connection's credentials (`/v1/me`, `auth.test`). */
  path: string;
  /**
   * More assertions on the answer; needed where a provider answers a refusal with HTTP 200 (Slack's
   * `{ ok: false }`), so that the kit can tell the call without credentials failed.
   */
  check?: (response: HttpResponse) => void;
}

/** What the action and API checks need from the conformance suite around them. */
export interface ActionConformanceContext {
  connector: ConnectorDefinition;
  /** The connection config the kit's flow runs with. */
  config: Record<string, unknown>;
  samples: Record<string, ConformanceActionSample> | undefined;
  apiProbe: ConformanceApiProbe | undefined;
  /** The OAuth 2 descriptor the kit's flow uses (for the default scopes). */
  descriptor: () => OAuth2AuthDescriptor | undefined;
  flow: () => FakeFlow;
  fake: () => {
    rewrite: ReadonlyMap<string, string>;
    revokeToken(token: string): boolean;
    rateLimitNext(count: number, headers?: Record<string, string>): void;
    readonly requests?: readonly { method: string; path: string }[];
  };
}

/** A connection as the server holds it after connecting: the exchange's metadata plus what `check` stored. */
async function connectAndCheck(context: ActionConformanceContext, extraScopes: string[] = []) {
  const required = context.descriptor()?.scopes.required ?? [];
  const tokens = await context
    .flow()
    .connect(extraScopes.length > 0 ? { scopes: [...new Set([...required, ...extraScopes])] } : {});
  const checked = await context.connector.check(context.flow().context(tokens));
  return { credentials: tokens.credentials, metadata: { ...tokens.metadata, ...checked.metadata } };
}

function sampleOf(context: ActionConformanceContext, name: string): ConformanceActionSample {
  const sample = context.samples?.[name];
  if (sample === undefined) {
    throw new Error(
      `no sample for action "${name}": give describeConformance actions: { ${name}: { input: … } }`,
    );
  }
  return sample;
}

function registerAction(context: ActionConformanceContext, name: string, action: ActionDefinition): void {
  it(`action ${name}: snake_case name, object input schema with snake_case properties`, () => {
    expect(name).toMatch(ACTION_NAME_PATTERN);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(action.input.type).toBe('object');
    expect(isRecord(action.input.properties)).toBe(true);
    for (const property of Object.keys(action.input.properties ?? {})) {
      expect(property, `input property of ${name}`).toMatch(ACTION_NAME_PATTERN);
    }
    expect(action.description.trim()).not.toBe('');
  });

  it(`action ${name}: input and output schemas are valid JSON Schema`, () => {
    expect(jsonSchemaProblems(action.input), 'input schema').toEqual([]);
    expect(jsonSchemaProblems(action.output), 'output schema').toEqual([]);
  });

  it(`action ${name}: the sample input validates against the input schema`, () => {
    expect(valueProblems(action.input, sampleOf(context, name).input)).toEqual([]);
  });

  it(`action ${name}: runs the sample against the fake and returns output matching its schema`, async () => {
    const sample = sampleOf(context, name);
    const connection = await connectAndCheck(context, sample.scopes);
    const output = await action.run(context.flow().actionContext(connection), sample.input as never);
    expect(valueProblems(action.output, output), 'output against the output schema').toEqual([]);
    await sample.check?.(output);
  });

  it(`action ${name}: a revoked token fails with reason "auth", the token not in the message`, async () => {
    const sample = sampleOf(context, name);
    const connection = await connectAndCheck(context, sample.scopes);
    context.fake().revokeToken(connection.credentials.accessToken);
    const error = await connectorErrorOf(
      action.run(context.flow().actionContext(connection), sample.input as never),
    );
    expect(error.reason).toBe('auth');
    expect(error.message).not.toContain(connection.credentials.accessToken);
  });

  it(`action ${name}: a 429 from the provider surfaces as reason "rate_limited"`, async () => {
    const sample = sampleOf(context, name);
    const connection = await connectAndCheck(context, sample.scopes);
    context.fake().rateLimitNext(5, { 'Retry-After': '1' });
    try {
      const error = await connectorErrorOf(
        action.run(context.flow().actionContext(connection), sample.input as never),
      );
      expect(error.reason).toBe('rate_limited');
      expect(error.retryable).toBe(true);
    } finally {
      context.fake().rateLimitNext(0);
    }
  });
}

/** Registers the checks of a connector's `actions` (and of the samples given for them). */
export function registerActionConformance(context: ActionConformanceContext): void {
  const actions = context.connector.actions ?? {};
  if (context.samples !== undefined) {
    it('every action sample names an action the connector declares', () => {
      const unknown = Object.keys(context.samples ?? {}).filter((name) => !(name in actions));
      expect(unknown, 'samples for undeclared actions').toEqual([]);
    });
  }
  for (const [name, action] of Object.entries(actions)) registerAction(context, name, action);
}

/** Registers the checks of a connector's `api` descriptor. */
export function registerApiConformance(context: ActionConformanceContext): void {
  const { connector } = context;
  if (connector.api === undefined) return;

  it('api: the base URL resolves once check has run, on an origin the fake serves', async () => {
    const connection = await connectAndCheck(context);
    const facts = { config: context.config, metadata: connection.metadata };
    expect(missingApiPlaceholders(connector, facts)).toEqual([]);
    const rewritten = new URL(
      createOriginRewriter(context.fake().rewrite)(resolveApiBaseUrl(connector, facts)),
    );
    expect([...context.fake().rewrite.values()]).toContain(rewritten.origin);
  });

  const probe = context.apiProbe;
  if (probe === undefined) return;
  it(`api: a GET ${probe.path} through createApiClient reaches the fake with the credentials`, async () => {
    const connection = await connectAndCheck(context);
    const api = createApiClient(connector, {
      config: context.config,
      credentials: connection.credentials,
      metadata: connection.metadata,
      rewriteUrl: createOriginRewriter(context.fake().rewrite),
      retries: 0,
    });
    const response = await api.get(probe.path);
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
    probe.check?.(response);
    const requests = context.fake().requests;
    if (requests !== undefined) {
      const facts = { config: context.config, metadata: connection.metadata };
      const basePath = new URL(resolveApiBaseUrl(connector, facts)).pathname;
      const expected = `${basePath.replace(/\/+$/, '')}/${probe.path.replace(/^\/+/, '').split('?')[0]}`;
      expect(requests.at(-1)?.path).toBe(expected);
    }
    // Without the credentials the same GET must fail: so they were what made it succeed.
    const failure = await rejectionOf(
      api.get(probe.path, { auth: false }).then((unauthenticated) => probe.check?.(unauthenticated)),
    );
    if (ConnectorError.is(failure)) expect(['auth', 'permission']).toContain(failure.reason);
  });
}
