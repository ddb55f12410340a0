import { ACTION_NAME_PATTERN, actionSpecProblems, isActionDefinition } from './define-action.js';
import { isRecord } from './is-record.js';
import type { ConnectorDefinition } from './types.js';
import { CONTRACT_VERSION } from './types.js';

export const CONNECTOR_DEFINITION_BRAND = Symbol.for('cfm.connector-definition');

/** True for a definition made by `defineConnector`, from this or any other copy of the SDK. */
export function isConnectorDefinition(value: unknown): value is ConnectorDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [CONNECTOR_DEFINITION_BRAND]?: unknown })[CONNECTOR_DEFINITION_BRAND] === true
  );
}

const KEY_PATTERN = /^[a-z][a-z0-9-]{1,63}$/;
const AUTH_TYPES = ['oauth2', 'api_key', 'basic', 'none'];
const HOOK_NAMES = ['buildAuthorizeUrl', 'exchangeCode', 'refresh', 'revoke', 'parseTokenResponse'];

type Problems = string[];

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((item) => typeof item === 'string');
}

/** True for an http(s) URL, or a template whose `{placeholders}` make it one once filled. */
export function isUrlTemplate(value: unknown): boolean {
  if (!isNonEmptyString(value)) return false;
  const sample = value
    .replace(/^\{[a-zA-Z0-9_]+\}/, 'https://placeholder.example')
    .replace(/\{[a-zA-Z0-9_]+\}/g, 'x');
  try {
    const url = new URL(sample);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function checkEnum(problems: Problems, where: string, value: unknown, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value as string)) {
    problems.push(`${where} must be one of ${allowed.map((item) => `"${item}"`).join(', ')}`);
  }
}

function checkOAuth2(problems: Problems, where: string, auth: Record<string, unknown>): void {
  for (const field of ['authorizeUrl', 'tokenUrl'] as const) {
    if (!isUrlTemplate(auth[field]))
      problems.push(`${where}.${field} must be an http(s) URL (with optional {placeholders})`);
  }
  for (const field of ['refreshUrl', 'revokeUrl'] as const) {
    if (auth[field] !== undefined && !isUrlTemplate(auth[field])) {
      problems.push(`${where}.${field} must be an http(s) URL (with optional {placeholders}) when given`);
    }
  }
  const scopes = auth['scopes'];
  if (!isRecord(scopes) || !isStringArray(scopes['required'])) {
    problems.push(`${where}.scopes.required must be an array of scope strings (may be empty)`);
  } else if (scopes['optional'] !== undefined && !isStringArray(scopes['optional'])) {
    problems.push(`${where}.scopes.optional must be an array of scope strings when given`);
  }
  checkEnum(problems, `${where}.scopeSeparator`, auth['scopeSeparator'], [' ', ',']);
  checkEnum(problems, `${where}.pkce`, auth['pkce'], ['S256', 'off']);
  checkEnum(problems, `${where}.clientAuth`, auth['clientAuth'], ['basic', 'body']);
  checkEnum(problems, `${where}.tokenRequestFormat`, auth['tokenRequestFormat'], ['form', 'json']);
  for (const field of ['extraAuthorizeParams', 'extraTokenParams', 'tokenHeaders'] as const) {
    if (auth[field] !== undefined && !isStringRecord(auth[field])) {
      problems.push(`${where}.${field} must be an object of string values when given`);
    }
  }
  if (auth['callbackParams'] !== undefined && !isStringArray(auth['callbackParams'])) {
    problems.push(`${where}.callbackParams must be an array of parameter names when given`);
  }
  if (auth['issuer'] !== undefined && !isUrlTemplate(auth['issuer'])) {
    problems.push(`${where}.issuer must be an http(s) URL (with optional {placeholders}) when given`);
  }
}

function checkApiKey(problems: Problems, where: string, auth: Record<string, unknown>): void {
  const fields = auth['fields'];
  if (!Array.isArray(fields) || fields.length === 0) {
    problems.push(`${where}.fields must be a non-empty array`);
    return;
  }
  const names = new Set<string>();
  fields.forEach((field: unknown, index) => {
    const at = `${where}.fields[${index}]`;
    if (!isRecord(field)) {
      problems.push(`${at} must be an object`);
      return;
    }
    for (const name of ['name', 'label', 'param'] as const) {
      if (!isNonEmptyString(field[name])) problems.push(`${at}.${name} must be a non-empty string`);
    }
    checkEnum(problems, `${at}.in`, field['in'], ['header', 'query']);
    if (field['in'] === undefined) problems.push(`${at}.in must be "header" or "query"`);
    if (field['prefix'] !== undefined && typeof field['prefix'] !== 'string') {
      problems.push(`${at}.prefix must be a string when given`);
    }
    if (typeof field['name'] === 'string') {
      if (names.has(field['name'])) problems.push(`${at}.name "${field['name']}" is used twice`);
      names.add(field['name']);
    }
  });
}

function checkAuth(problems: Problems, auth: unknown): void {
  if (!Array.isArray(auth) || auth.length === 0) {
    problems.push('auth must be a non-empty array of auth descriptors');
    return;
  }
  auth.forEach((descriptor: unknown, index) => {
    const where = `auth[${index}]`;
    if (!isRecord(descriptor)) {
      problems.push(`${where} must be an object`);
      return;
    }
    const type = descriptor['type'];
    if (!AUTH_TYPES.includes(type as string)) {
      problems.push(`${where}.type must be one of ${AUTH_TYPES.map((item) => `"${item}"`).join(', ')}`);
    } else if (type === 'oauth2') {
      checkOAuth2(problems, where, descriptor);
    } else if (type === 'api_key') {
      checkApiKey(problems, where, descriptor);
    }
  });
}

function checkApi(problems: Problems, api: unknown): void {
  if (api === undefined) return;
  if (!isRecord(api)) {
    problems.push('api must be an object ({ baseUrl, headers?, applyCredentials? }) when given');
    return;
  }
  if (!isUrlTemplate(api['baseUrl'])) {
    problems.push('api.baseUrl must be an http(s) URL (with optional {placeholders})');
  } else if (/[?#]/.test(api['baseUrl'] as string)) {
    problems.push('api.baseUrl must not hold a query or a fragment');
  }
  if (api['headers'] !== undefined && !isStringRecord(api['headers'])) {
    problems.push('api.headers must be an object of string values when given');
  }
  if (api['applyCredentials'] !== undefined && typeof api['applyCredentials'] !== 'function') {
    problems.push('api.applyCredentials must be a function when given');
  }
}

function checkActions(problems: Problems, actions: unknown, hasApi: boolean): void {
  if (actions === undefined) return;
  if (!isRecord(actions)) {
    problems.push('actions must be an object of actions keyed by name when given');
    return;
  }
  if (!hasApi && Object.keys(actions).length > 0) {
    problems.push('actions need api: declare the provider API they call (api.baseUrl)');
  }
  for (const [name, action] of Object.entries(actions)) {
    const where = `actions.${name}`;
    if (!ACTION_NAME_PATTERN.test(name) || name.length > 64) {
      problems.push(`${where}: the name must be snake_case, at most 64 characters`);
    }
    if (!isActionDefinition(action)) problems.push(`${where} must be built with defineAction`);
    problems.push(...actionSpecProblems(where, action));
  }
}

/** Every problem with a connector spec, as human-readable lines (empty when it is valid). */
export function connectorSpecProblems(spec: unknown): string[] {
  const problems: Problems = [];
  if (!isRecord(spec)) return ['the connector definition must be an object'];
  if (typeof spec['key'] !== 'string' || !KEY_PATTERN.test(spec['key'])) {
    problems.push(`key must match ${KEY_PATTERN} (got ${JSON.stringify(spec['key'])})`);
  }
  for (const field of ['name', 'description'] as const) {
    if (!isNonEmptyString(spec[field])) problems.push(`${field} must be a non-empty string`);
  }
  for (const field of ['iconUrl', 'docsUrl'] as const) {
    if (spec[field] !== undefined && !isUrlTemplate(spec[field]))
      problems.push(`${field} must be an http(s) URL when given`);
  }
  if (spec['categories'] !== undefined && !isStringArray(spec['categories'])) {
    problems.push('categories must be an array of strings when given');
  }
  const schema = spec['configSchema'];
  if (!isRecord(schema) || schema['type'] !== 'object' || !isRecord(schema['properties'])) {
    problems.push('configSchema must be an object schema (Type.Object({...}))');
  }
  checkAuth(problems, spec['auth']);
  if (typeof spec['check'] !== 'function') problems.push('check must be a function');
  if (spec['fetchSample'] !== undefined && typeof spec['fetchSample'] !== 'function') {
    problems.push('fetchSample must be a function when given');
  }
  checkApi(problems, spec['api']);
  checkActions(problems, spec['actions'], spec['api'] !== undefined);
  const hooks = spec['oauth2'];
  if (hooks !== undefined) {
    if (!isRecord(hooks)) {
      problems.push('oauth2 must be an object of hooks when given');
    } else {
      for (const [name, hook] of Object.entries(hooks)) {
        if (!HOOK_NAMES.includes(name))
          problems.push(`oauth2.${name} is not a known hook (${HOOK_NAMES.join(', ')})`);
        else if (hook !== undefined && typeof hook !== 'function')
          problems.push(`oauth2.${name} must be a function`);
      }
      const auth = spec['auth'];
      if (Array.isArray(auth) && !auth.some((item: unknown) => isRecord(item) && item['type'] === 'oauth2')) {
        problems.push('oauth2 hooks are given but no auth descriptor has type "oauth2"');
      }
    }
  }
  return problems;
}

/**
 * Checks a value a third-party package exported: built by `defineConnector` (any copy of the SDK),
 * for this contract version, and well-formed. The server calls this after importing a package.
 *
 * @example
 * ```ts
 * const result = validateConnectorDefinition(module.default);
 * if (!result.ok) console.error(result.errors.join('\n'));
 * ```
 */
export function validateConnectorDefinition(value: unknown): { ok: true } | { ok: false; errors: string[] } {
  if (!isRecord(value)) return { ok: false, errors: ['the export is not an object'] };
  const errors: string[] = [];
  if (!isConnectorDefinition(value)) {
    errors.push('the export was not created by defineConnector from @cfm/connector-sdk');
  }
  if (value['contractVersion'] !== CONTRACT_VERSION) {
    errors.push(
      `contractVersion is ${JSON.stringify(value['contractVersion'])}; this SDK implements ${CONTRACT_VERSION}`,
    );
  }
  errors.push(...connectorSpecProblems(value));
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
}
