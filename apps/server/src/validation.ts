import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
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
 * Fastify's validator factory, with two differences from its default. JSON bodies are not type-coerced
 * (`{"connector_key": 5}` is a 400, not the string "5"), while path, query and headers (always text)
 * are. And a route's validator is compiled by its first request, not when the app gets ready: Fastify
 * asks for every one of them (hundreds, HEAD routes included) at start, and compiling them all was about
 * a third of the start-up time and megabytes of generated code for routes a process may never serve.
 * Shared schemas from `app.addSchema` keep working.
 */
export function buildValidator(
  externalSchemas: unknown,
): (route: { schema: unknown; httpPart?: string }) => ValidateFunction {
  const schemas = (externalSchemas ?? {}) as Record<string, unknown>;
  const ajvs = new Map<boolean, Ajv>();
  const ajvFor = (body: boolean) => {
    let ajv = ajvs.get(body);
    if (ajv === undefined) {
      ajv = createAjv(body ? false : 'array', schemas);
      ajvs.set(body, ajv);
    }
    return ajv;
  };
  return ({ schema, httpPart }) => {
    let compiled: ValidateFunction | undefined;
    // Fastify reads `errors` from the function it was given, after calling it.
    const validate = ((data: unknown) => {
      compiled ??= ajvFor(httpPart === 'body').compile(schema as object);
      const valid = compiled(data);
      validate.errors = compiled.errors;
      return valid;
    }) as ValidateFunction;
    return validate;
  };
}

type SerializerFactory = ReturnType<typeof SerializerSelector>;

/**
 * Fastify's serializer factory (fast-json-stringify, its default), with each response schema compiled
 * by the first answer that uses it rather than when the app gets ready, as for {@link buildValidator}.
 */
export function buildSerializer(...options: Parameters<SerializerFactory>): ReturnType<SerializerFactory> {
  let compile: ReturnType<SerializerFactory> | undefined;
  return (route) => {
    let serialize: ((document: unknown) => string) | undefined;
    return (document) => {
      compile ??= SerializerSelector()(...options);
      serialize ??= compile(route);
      return serialize(document);
    };
  };
}

/** One field-level problem, as `details` of a `CFM_VALIDATION` (or `CFM_CONFIG_INVALID`) answer. */
export interface ValidationDetail {
  field: string;
  message: string;
}

type Issue = Pick<ErrorObject, 'instancePath' | 'schemaPath' | 'keyword' | 'params' | 'message'>;

function quote(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function listOf(parts: string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} or ${parts.at(-1)}`;
}

/** What one failing branch of a union allows (`"eu"`, `null`), or undefined when it is not that simple. */
function branchAllows(issues: Issue[]): string[] | undefined {
  const values = issues.flatMap((issue) => {
    if (issue.keyword === 'const') return [quote(issue.params['allowedValue'])];
    if (issue.keyword === 'enum') return (issue.params['allowedValues'] as unknown[]).map(quote);
    return [];
  });
  if (values.length > 0) return values;
  const types = issues.filter((issue) => issue.keyword === 'type');
  if (types.length === issues.length && types.length === 1) {
    const type = String(types[0]!.params['type']);
    return [type === 'null' ? 'null' : `any ${type}`];
  }
  return undefined;
}

/**
 * A union of constants (a TypeBox `Union` of `Literal`s, e.g. Datadog's `site`) fails as one "must be
 * equal to constant" per branch plus "must match a schema in anyOf": say instead, once, which values
 * are allowed. Returns the message and the issues it replaces, or undefined for other unions.
 */
function describeUnion(union: Issue, issues: Issue[]): { message: string; replaces: Set<Issue> } | undefined {
  const prefix = `${union.schemaPath}/`;
  const branches = new Map<string, Issue[]>();
  for (const issue of issues) {
    if (issue.instancePath !== union.instancePath || !issue.schemaPath.startsWith(prefix)) continue;
    const branch = issue.schemaPath.slice(prefix.length).split('/')[0]!;
    branches.set(branch, [...(branches.get(branch) ?? []), issue]);
  }
  const allowed: string[] = [];
  for (const branchIssues of branches.values()) {
    const values = branchAllows(branchIssues);
    if (values === undefined) return undefined;
    allowed.push(...values);
  }
  if (allowed.length === 0) return undefined;
  const replaces = new Set([union, ...[...branches.values()].flat()]);
  return { message: `must be one of ${listOf([...new Set(allowed)])}`, replaces };
}

function messageOf(issue: Issue): string {
  if (issue.keyword === 'enum') {
    return `must be one of ${listOf((issue.params['allowedValues'] as unknown[]).map(quote))}`;
  }
  if (issue.keyword === 'const') return `must be ${quote(issue.params['allowedValue'])}`;
  return issue.message ?? 'is not valid';
}

/**
 * Ajv's issues as `{ field, message }` a person can act on: fields as `root/path/to/field` (a missing
 * or unexpected property named in the path), the allowed values of an enum or a union of constants
 * listed once per field, and no message repeated for a field.
 *
 * @example
 * describeValidationIssues(validate.errors ?? [], 'config_data')
 * // [{ field: 'config_data/site', message: 'must be one of "datadoghq.com", "us3.datadoghq.com" … or "ddog-gov.com"' }]
 */
export function describeValidationIssues(issues: readonly Issue[], root: string): ValidationDetail[] {
  const replaced = new Map<Issue, string | undefined>();
  for (const issue of issues) {
    if (issue.keyword !== 'anyOf' && issue.keyword !== 'oneOf') continue;
    const union = describeUnion(issue, [...issues]);
    if (union === undefined) continue;
    for (const member of union.replaces) if (!replaced.has(member)) replaced.set(member, undefined);
    replaced.set(issue, union.message);
  }
  const details: ValidationDetail[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    if (replaced.has(issue) && replaced.get(issue) === undefined) continue;
    const extra = issue.params['missingProperty'] ?? issue.params['additionalProperty'];
    const field = `${root}${issue.instancePath}${typeof extra === 'string' ? `/${extra}` : ''}`;
    const message = replaced.get(issue) ?? messageOf(issue);
    if (seen.has(`${field}\u0000${message}`)) continue;
    seen.add(`${field}\u0000${message}`);
    details.push({ field, message });
  }
  return details;
}
