import {
  type AccountIdentity,
  type AuthDescriptor,
  type ConnectorDefinition,
  ConnectorError,
  connectorErrorFromResponse,
  defineConnector,
  fillTemplate,
  type TObject,
} from '@cfm/connector-sdk';
import type { ConnectorRow } from '@cfm/db';
import { Ajv } from 'ajv';
import type { ErrorDetail } from '../errors.js';
import type {
  CustomApiInput,
  CustomApiKeyAuthInput,
  CustomCheckInput,
  CustomConnectorInput,
  CustomOAuth2AuthInput,
} from '../schemas/custom-connector.js';
import { type ConnectorUrlPolicy, connectorUrlProblem } from './connector-url-policy.js';
import { linearRegExp } from './linear-regexp.js';

/**
 * A connection settings schema is a form, not a program: 32 KB of JSON is hundreds of fields. A
 * 15,000-property schema took 7 s to compile and blocked the server on first use.
 */
export const MAX_CONFIG_SCHEMA_BYTES = 32 * 1024;

/** What `connectors.custom_definition` holds: the declaration minus display fields and the client secret. */
export interface CustomDefinitionData {
  auth: Omit<CustomOAuth2AuthInput, 'client_secret'> | CustomApiKeyAuthInput;
  check: CustomCheckInput;
  /** The provider API for the proxy; absent on connectors declared before it existed. */
  api?: CustomApiInput;
}

export type CustomConnectorRow = Pick<
  ConnectorRow,
  | 'key'
  | 'name'
  | 'description'
  | 'icon_url'
  | 'docs_url'
  | 'categories'
  | 'config_schema'
  | 'custom_definition'
>;

const EMPTY_CONFIG_SCHEMA = { type: 'object', properties: {} } as const;

/** The declaration as stored: the secret removed (it goes to the vault), defaults made explicit. */
export function toStoredDefinition(
  input: Pick<CustomConnectorInput, 'auth' | 'check' | 'api'>,
): CustomDefinitionData {
  const api = input.api === undefined ? {} : { api: input.api };
  if (input.auth.type === 'oauth2') {
    const { client_secret: _secret, ...auth } = input.auth;
    return { auth, check: input.check, ...api };
  }
  return { auth: input.auth, check: input.check, ...api };
}

/** The SDK auth descriptor a declared auth block stands for (data only; no client credentials). */
export function toAuthDescriptor(auth: CustomDefinitionData['auth']): AuthDescriptor {
  if (auth.type === 'api_key') {
    return {
      type: 'api_key',
      fields: auth.fields.map((field) => ({
        name: field.name,
        label: field.label,
        in: field.in,
        param: field.param,
        ...(field.prefix !== undefined && { prefix: field.prefix }),
      })),
    };
  }
  return {
    type: 'oauth2',
    authorizeUrl: auth.authorize_url,
    tokenUrl: auth.token_url,
    ...(auth.revoke_url !== undefined && { revokeUrl: auth.revoke_url }),
    scopes: { required: [...(auth.scopes ?? [])] },
    ...(auth.scope_separator !== undefined && { scopeSeparator: auth.scope_separator }),
    pkce: auth.pkce === false ? 'off' : 'S256',
    ...(auth.client_auth !== undefined && { clientAuth: auth.client_auth }),
    ...(auth.token_request_format !== undefined && { tokenRequestFormat: auth.token_request_format }),
    ...(auth.extra_authorize_params !== undefined && {
      extraAuthorizeParams: { ...auth.extra_authorize_params },
    }),
    ...(auth.issuer !== undefined && { issuer: auth.issuer }),
  };
}

function readPath(body: unknown, path: string): unknown {
  let current: unknown = body;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Identity from the check answer. Without a mapping, `id` is tried; failing that the key stands in. */
function identityFrom(key: string, body: unknown, check: CustomCheckInput): AccountIdentity {
  const mapping = check.identity ?? {};
  const accountId = asText(readPath(body, mapping.account_id ?? 'id'));
  if (accountId === undefined && mapping.account_id !== undefined) {
    throw new ConnectorError(`The check answer has no account id at "${mapping.account_id}"`, {
      reason: 'provider',
    });
  }
  const optional = (path: string | undefined) =>
    path === undefined ? null : (asText(readPath(body, path)) ?? null);
  return {
    accountId: accountId ?? `${key}-account`,
    displayName: optional(mapping.display_name),
    email: optional(mapping.email),
    workspace: optional(mapping.workspace),
  };
}

/**
 * A real connector definition (built by `defineConnector`, so it runs through the same OAuth engine and
 * connection tester as a packaged one) from a custom connector's row: `check` is the declared HTTP call,
 * passing when the provider answers `expect_status`. There is no `fetchSample`. Throws a `TypeError`
 * listing the problems when the declaration does not make a valid definition.
 */
export function buildCustomConnectorDefinition(row: CustomConnectorRow): ConnectorDefinition {
  const data = row.custom_definition as unknown as CustomDefinitionData | null;
  if (data === null) throw new TypeError(`Connector "${row.key}" has no custom definition`);
  const { check } = data;
  const expected = check.expect_status ?? 200;
  const method = check.method ?? 'GET';
  return defineConnector({
    key: row.key,
    name: row.name,
    description: row.description.trim() === '' ? `${row.name} (custom connector)` : row.description,
    ...(row.icon_url !== null && { iconUrl: row.icon_url }),
    ...(row.docs_url !== null && { docsUrl: row.docs_url }),
    categories: [...row.categories],
    // A JSON Schema object stored as data: the same shape a TypeBox `Type.Object` produces.
    configSchema: (Object.keys(row.config_schema).length === 0
      ? EMPTY_CONFIG_SCHEMA
      : row.config_schema) as TObject,
    auth: [toAuthDescriptor(data.auth)],
    ...(data.api !== undefined && {
      api: {
        baseUrl: data.api.base_url,
        ...(data.api.headers !== undefined && { headers: { ...data.api.headers } }),
      },
    }),
    async check(context) {
      const url = fillTemplate(check.url, context.config);
      const response = await context.http.request({ method, url, throwOnError: false });
      if (response.status !== expected) {
        if (response.status >= 400) {
          throw connectorErrorFromResponse(response.status, response.headers, response.body, {
            operation: `${method} ${new URL(url).origin}${new URL(url).pathname}`,
          });
        }
        throw new ConnectorError(`The check answered HTTP ${response.status}, expected ${expected}`, {
          reason: 'provider',
          status: response.status,
        });
      }
      return { identity: identityFrom(row.key, response.body, check) };
    },
  });
}

/**
 * Every problem with a declaration beyond its JSON shape: URLs against the policy, a config schema Ajv
 * cannot compile, and whatever `defineConnector` refuses. Empty when the declaration is usable.
 */
export function customConnectorProblems(
  key: string,
  input: CustomConnectorInput,
  policy: ConnectorUrlPolicy,
): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const urls: Array<[string, string | undefined]> = [
    ['body/check/url', input.check.url],
    ['body/api/base_url', input.api?.base_url],
  ];
  if (input.auth.type === 'oauth2') {
    urls.push(
      ['body/auth/authorize_url', input.auth.authorize_url],
      ['body/auth/token_url', input.auth.token_url],
      ['body/auth/revoke_url', input.auth.revoke_url],
    );
  }
  for (const [field, url] of urls) {
    const problem = url === undefined ? undefined : connectorUrlProblem(url, policy);
    if (problem !== undefined) problems.push({ field, message: problem });
  }
  if (input.auth.type === 'api_key') {
    const names = input.auth.fields.map((field) => field.name);
    if (new Set(names).size !== names.length) {
      problems.push({ field: 'body/auth/fields', message: 'field names must be unique' });
    }
  }
  const schemaSize = input.config_schema === undefined ? 0 : JSON.stringify(input.config_schema).length;
  if (schemaSize > MAX_CONFIG_SCHEMA_BYTES) {
    problems.push({
      field: 'body/config_schema',
      message: `is ${schemaSize} bytes of JSON; at most ${MAX_CONFIG_SCHEMA_BYTES} are accepted`,
    });
  } else if (input.config_schema !== undefined) {
    try {
      // A fresh Ajv each time: a shared one keeps every schema it compiled and refuses a second schema
      // with the same `$id` ("already exists"), which would make a connector impossible to update.
      new Ajv({ strict: false, allErrors: true, code: { regExp: linearRegExp } }).compile(
        input.config_schema,
      );
    } catch (error) {
      problems.push({
        field: 'body/config_schema',
        message: `is not a valid JSON Schema: ${(error as Error).message}`,
      });
    }
  }
  if (problems.length > 0) return problems;
  try {
    buildCustomConnectorDefinition({
      key,
      name: input.name,
      description: input.description ?? '',
      icon_url: input.icon_url ?? null,
      docs_url: input.docs_url ?? null,
      categories: input.categories ?? [],
      config_schema: input.config_schema ?? {},
      custom_definition: toStoredDefinition(input) as unknown as Record<string, unknown>,
    });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const lines = error.message.split('\n- ').slice(1);
    for (const line of lines.length > 0 ? lines : [error.message])
      problems.push({ field: 'body', message: line });
  }
  return problems;
}
