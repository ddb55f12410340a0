import type { TSchema } from '@cfm/connector-sdk';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ErrorDetail } from '../../errors.js';

// ajv-formats is CommonJS: under NodeNext the default import is `module.exports`, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

// Defaults are applied (an action's optional `limit` gets its default); nothing is coerced: a model or a
// service sending `"10"` for a number is told so rather than guessed for.
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, removeAdditional: false });
addFormats(ajv);

// Action schemas belong to frozen definitions that live as long as the process: the object is the key.
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    ajv.removeSchema(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * Checks an action's input against its schema, naming every bad field at once (`body/limit` + `must be
 * <= 100`). Returns a copy with schema defaults applied.
 */
export function validateActionInput(
  schema: TSchema,
  input: unknown,
): { ok: true; value: Record<string, unknown> } | { ok: false; details: ErrorDetail[] } {
  const validate = validatorFor(schema);
  const value = structuredClone(input ?? {}) as Record<string, unknown>;
  if (validate(value)) return { ok: true, value };
  const details = (validate.errors ?? []).map((issue) => {
    const extra = issue.params['missingProperty'] ?? issue.params['additionalProperty'];
    const path = `${issue.instancePath}${typeof extra === 'string' ? `/${extra}` : ''}`;
    const allowed = issue.params['allowedValues'];
    const message =
      issue.keyword === 'additionalProperties'
        ? 'is not a known input'
        : Array.isArray(allowed)
          ? `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`
          : (issue.message ?? 'is not valid');
    return { field: `body${path}`, message };
  });
  return { ok: false, details };
}

/** True when `output` matches the action's declared output schema. */
export function outputMatches(schema: TSchema, output: unknown): boolean {
  return validatorFor(schema)(structuredClone(output)) === true;
}
