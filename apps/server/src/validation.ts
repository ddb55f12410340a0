import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: under NodeNext the default import is `module.exports`, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

const COMMON: Options = {
  // Unknown input properties are rejected (schemas say additionalProperties: false), not silently dropped.
  removeAdditional: false,
  useDefaults: true,
  allErrors: false,
  // TypeBox adds annotations Ajv does not know (`~kind` is non-enumerable, but `x-…` keys may appear).
  strict: false,
};

function createAjv(coerceTypes: Options['coerceTypes'], externalSchemas: Record<string, unknown>): Ajv {
  const ajv = new Ajv({ ...COMMON, coerceTypes });
  addFormats(ajv);
  for (const schema of Object.values(externalSchemas)) {
    ajv.addSchema(schema as object);
  }
  return ajv;
}

/**
 * Fastify's validator factory, with one difference from its default: JSON bodies are not type-coerced
 * (`{"connector_key": 5}` is a 400, not the string "5"), while path, query and headers (always text)
 * are. Shared schemas from `app.addSchema` keep working.
 */
export function buildValidator(
  externalSchemas: unknown,
): (route: { schema: unknown; httpPart?: string }) => ValidateFunction {
  const schemas = (externalSchemas ?? {}) as Record<string, unknown>;
  const body = createAjv(false, schemas);
  const text = createAjv('array', schemas);
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema as object);
}
