import type { TObject } from '@cfm/connector-sdk';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ErrorDetail } from '../errors.js';
import { describeValidationIssues } from '../validation.js';
import { linearRegExp } from './linear-regexp.js';

// ajv-formats is CommonJS: under NodeNext the default import is `module.exports`, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

// Schema patterns run on a linear-time engine: an admin's pattern must never let a user stall the server.
const ajv = new Ajv({
  allErrors: true,
  strict: false,
  useDefaults: true,
  removeAdditional: false,
  code: { regExp: linearRegExp },
});
addFormats(ajv);

// Definitions are frozen and live as long as the process (custom ones are cached by row version), so
// the schema object itself is a good cache key.
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Checks a connection's `config_data` against its connector's config schema, reporting every failing
 * field at once, one message per field (`config_data/site` + `must be one of "datadoghq.com", … or
 * "ddog-gov.com"`). Returns the value with schema defaults applied (a copy; the input is not changed).
 */
export function validateConfigData(
  schema: TObject,
  config: Record<string, unknown>,
): { ok: true; value: Record<string, unknown> } | { ok: false; details: ErrorDetail[] } {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    // The compiled function stands alone; leaving the schema registered would make the next version of a
    // custom connector's schema with the same `$id` fail to compile ("already exists") and leak memory.
    ajv.removeSchema(schema);
    compiled.set(schema, validate);
  }
  const tooLong = longStrings(config, 'config_data');
  if (tooLong.length > 0) return { ok: false, details: tooLong };
  const value = structuredClone(config);
  if (validate(value)) return { ok: true, value };
  const details = describeValidationIssues(validate.errors ?? [], 'config_data');
  return { ok: false, details };
}

/** Settings are names, hosts and ids: no string in `config_data` needs more than this. */
export const MAX_CONFIG_STRING_LENGTH = 4096;

function longStrings(value: unknown, path: string): ErrorDetail[] {
  if (typeof value === 'string') {
    return value.length > MAX_CONFIG_STRING_LENGTH
      ? [{ field: path, message: `must NOT have more than ${MAX_CONFIG_STRING_LENGTH} characters` }]
      : [];
  }
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => longStrings(item, `${path}/${key}`));
}
