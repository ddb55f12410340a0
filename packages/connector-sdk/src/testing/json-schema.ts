import { Compile, Meta, type Validator, type XSchema } from 'typebox/schema';

// Draft-07 is the dialect TypeBox emits (a tuple's `items` array is not 2020-12) and the one Ajv, and so
// Fastify, validates by default; a schema naming another draft in `$schema` is checked against that one.
const DEFAULT_META = 'http://json-schema.org/draft-07/schema#';

const metaValidators = new Map<string, Validator>();

function metaValidatorFor(schema: Record<string, unknown>): Validator | undefined {
  const named = typeof schema['$schema'] === 'string' ? schema['$schema'] : DEFAULT_META;
  const meta = (Meta as Record<string, XSchema | undefined>)[named];
  if (meta === undefined) return undefined;
  let validator = metaValidators.get(named);
  if (validator === undefined) {
    validator = Compile(Meta as Record<string, XSchema>, meta);
    metaValidators.set(named, validator);
  }
  return validator;
}

function describeErrors(errors: { instancePath: string; message: string }[]): string[] {
  return errors.map(
    (error) => `${error.instancePath === '' ? '(root)' : error.instancePath}: ${error.message}`,
  );
}

/**
 * Every reason `schema` is not a usable JSON Schema: not an object, refused by its draft's meta-schema
 * (draft-07 unless `$schema` names another), or not compilable (a bad `pattern`, say). Empty when usable.
 */
export function jsonSchemaProblems(schema: unknown): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return ['the schema is not an object'];
  }
  const record = schema as Record<string, unknown>;
  const meta = metaValidatorFor(record);
  if (meta === undefined) return [`the schema names an unknown $schema: ${String(record['$schema'])}`];
  const [valid, errors] = meta.Errors(record);
  if (!valid) return describeErrors(errors);
  try {
    Compile(record as XSchema);
  } catch (error) {
    return [`the schema does not compile: ${error instanceof Error ? error.message : String(error)}`];
  }
  return [];
}

/**
 * Every way `value` fails `schema`, as `path: message` lines (empty when it validates). The value is
 * checked as JSON would carry it, so `undefined` fields count as absent.
 */
export function valueProblems(schema: unknown, value: unknown): string[] {
  const validator = Compile(schema as XSchema);
  const asJson: unknown = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  const [valid, errors] = validator.Errors(asJson);
  return valid ? [] : describeErrors(errors);
}
