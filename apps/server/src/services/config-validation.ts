import type { TObject } from '@cfm/connector-sdk';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ErrorDetail } from '../errors.js';
import { describeValidationIssues } from '../validation.js';

// ajv-formats is CommonJS: under NodeNext the default import is `module.exports`, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, removeAdditional: false });
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
  const value = structuredClone(config);
  if (validate(value)) return { ok: true, value };
  const details = describeValidationIssues(validate.errors ?? [], 'config_data');
  return { ok: false, details };
}
