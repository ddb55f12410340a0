import fc from 'fast-check';
import { attackString, bodyText, encodeAny, PROXY_ATTACKS, rawBody, wrongValue } from './attack-values.js';

/** The parts of an OpenAPI 3 document the fuzzer reads. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperationObject>>;
  components?: { schemas?: Record<string, Schema> };
}

interface OpenApiOperationObject {
  operationId?: string;
  parameters?: Array<{ in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

// JSON Schema as found in the document: any keyword may be there.
type Schema = Record<string, unknown>;

export interface FuzzOperation {
  operationId: string;
  method: string;
  /** The templated path (`/api/connections/{id}`). */
  path: string;
  pathParameters: Array<{ name: string; schema: Schema }>;
  queryParameters: Array<{ name: string; schema: Schema }>;
  /** The JSON body schema, when the operation takes one. */
  bodySchema?: Schema;
}

/** One generated request: the path with its query already encoded, and the body as raw text. */
export interface FuzzRequest {
  operationId: string;
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

/**
 * Known values worth trying where the schema asks for a string of that kind: the other user's ids and
 * keys, the caller's own, made-up ones. Attack values are added to every pool.
 */
export interface FuzzPools {
  ids: string[];
  connectorKeys: string[];
  actionNames: string[];
  proxyPaths: string[];
  /** Values for any other string: states, emails, names. */
  strings: string[];
}

function resolve(schema: Schema, document: OpenApiDocument): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/components/schemas/', '');
  const target = document.components?.schemas?.[name];
  if (target === undefined) throw new Error(`unresolved $ref ${ref}`);
  return resolve(target, document);
}

function stringFor(schema: Schema, pool: string[]): fc.Arbitrary<string> {
  const choices: Array<fc.WeightedArbitrary<string>> = [{ weight: 2, arbitrary: attackString }];
  const known = [...pool, ...((schema['examples'] as string[] | undefined) ?? [])];
  if (known.length > 0) choices.push({ weight: 4, arbitrary: fc.constantFrom(...known) });
  if (schema['format'] === 'uuid') choices.push({ weight: 2, arbitrary: fc.uuid() });
  const maxLength = Math.min(Number(schema['maxLength'] ?? 64), 64);
  choices.push({ weight: 2, arbitrary: fc.string({ maxLength }) });
  return fc.oneof(...choices);
}

/**
 * Values shaped like `schema` (required properties present, enums and examples used) in which any node
 * may be replaced by a wrong one: most requests get past validation to the code behind it.
 */
export function valueFor(
  schema: Schema,
  document: OpenApiDocument,
  pools: FuzzPools,
  depth = 0,
): fc.Arbitrary<unknown> {
  const resolved = resolve(schema, document);
  return fc.oneof(
    { weight: 6, arbitrary: shaped(resolved, document, pools, depth) },
    { weight: 1, arbitrary: wrongValue },
  );
}

function shaped(
  schema: Schema,
  document: OpenApiDocument,
  pools: FuzzPools,
  depth: number,
): fc.Arbitrary<unknown> {
  const variants = (schema['anyOf'] ?? schema['oneOf']) as Schema[] | undefined;
  if (variants !== undefined)
    return fc.oneof(...variants.map((variant) => valueFor(variant, document, pools, depth)));
  if (Array.isArray(schema['enum'])) return fc.constantFrom(...(schema['enum'] as unknown[]));
  switch (schema['type']) {
    case 'string':
      return stringFor(schema, pools.strings);
    case 'integer':
    case 'number': {
      const min = typeof schema['minimum'] === 'number' ? schema['minimum'] : -1000;
      const max = typeof schema['maximum'] === 'number' ? schema['maximum'] : 1000;
      return fc.integer({ min, max });
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      if (depth > 3) return fc.constant([]);
      const items = (schema['items'] as Schema | undefined) ?? {};
      return fc.array(valueFor(items, document, pools, depth + 1), { maxLength: 3 });
    }
    case 'object':
      return objectFor(schema, document, pools, depth);
    default:
      return depth > 3
        ? attackString
        : fc.oneof(attackString, fc.integer(), fc.dictionary(attackString, attackString, { maxKeys: 3 }));
  }
}

function objectFor(
  schema: Schema,
  document: OpenApiDocument,
  pools: FuzzPools,
  depth: number,
): fc.Arbitrary<unknown> {
  if (depth > 3) return fc.constant({});
  const properties = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) {
    const value = valueFor(property, document, { ...pools, strings: poolFor(name, pools) }, depth + 1);
    // Absent is its own case: fc.option's null would be a (wrong) value.
    fields[name] = required.has(name) ? value : fc.oneof(fc.constant(undefined), value);
  }
  const extra =
    schema['additionalProperties'] === false
      ? fc.constant({})
      : fc.dictionary(attackString, attackString, { maxKeys: 2 });
  return fc.tuple(fc.record(fields), extra, fc.boolean()).map(([known, more, dropRequired]) => {
    const value: Record<string, unknown> = { ...more };
    for (const [name, inner] of Object.entries(known)) if (inner !== undefined) value[name] = inner;
    if (dropRequired) delete value[[...required][0] ?? ''];
    return value;
  });
}

function poolFor(name: string, pools: FuzzPools): string[] {
  if (name === 'id' || name === 'connection_id') return pools.ids;
  if (name === 'connector' || name === 'key' || name === 'connector_key') return pools.connectorKeys;
  if (name === 'name') return pools.actionNames;
  if (name === 'path') return [...pools.proxyPaths, ...PROXY_ATTACKS];
  return pools.strings;
}

/** Percent-encodes a proxy path but keeps its slashes and the escapes the attack values carry. */
function encodeProxyPath(value: string): string {
  return value
    .split('/')
    .map((segment) =>
      segment.replace(/%[0-9a-fA-F]{2}|[^%]+|%/g, (part) =>
        part.startsWith('%') && part.length === 3 ? part : encodeAny(part),
      ),
    )
    .join('/');
}

/** Every operation of the document (`exclude`: paths to leave out, such as streaming ones). */
export function operationsOf(
  document: OpenApiDocument,
  exclude: (path: string) => boolean = () => false,
): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    if (exclude(path)) continue;
    for (const [method, operation] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const parameters = operation.parameters ?? [];
      const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
      operations.push({
        operationId: operation.operationId ?? `${method} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParameters: parameters
          .filter((one) => one.in === 'path')
          .map((one) => ({ name: one.name, schema: one.schema ?? {} })),
        queryParameters: parameters
          .filter((one) => one.in === 'query')
          .map((one) => ({ name: one.name, schema: one.schema ?? {} })),
        ...(bodySchema !== undefined && { bodySchema }),
      });
    }
  }
  return operations;
}

/** Requests for `operation`: every path and query parameter and the body generated, mostly near the schema. */
export function requestsFor(
  operation: FuzzOperation,
  document: OpenApiDocument,
  pools: FuzzPools,
): fc.Arbitrary<FuzzRequest> {
  const pathValues = fc.tuple(
    ...operation.pathParameters.map(({ name, schema }) =>
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...poolFor(name, pools)) },
        { weight: 1, arbitrary: stringFor(schema, []) },
      ),
    ),
  );
  const queryValues = fc.tuple(
    ...operation.queryParameters.map(({ name, schema }) =>
      fc.oneof(
        { weight: 2, arbitrary: fc.constant<string[]>([]) },
        {
          weight: 4,
          arbitrary: valueFor(schema, document, { ...pools, strings: poolFor(name, pools) }).map((value) => [
            String(value),
          ]),
        },
        { weight: 1, arbitrary: fc.array(attackString, { minLength: 2, maxLength: 3 }) },
      ),
    ),
  );
  const extraQuery = fc.oneof(
    { weight: 5, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '__proto__[admin]=1',
        'constructor[prototype][x]=1',
        'limit=1&limit=2',
        '%00=%00',
        'a[b][c][d]=e',
      ),
    },
  );
  const body =
    operation.bodySchema === undefined
      ? fc.constant(undefined)
      : fc.oneof(
          {
            weight: 8,
            arbitrary: valueFor(operation.bodySchema, document, pools).map((value) => ({
              body: bodyText(value),
              contentType: 'application/json',
            })),
          },
          { weight: 1, arbitrary: rawBody },
        );
  return fc
    .record({ pathValues, queryValues, extraQuery, body })
    .map(({ pathValues: values, queryValues: queries, extraQuery: extra, body: payload }) => {
      let path = operation.path;
      operation.pathParameters.forEach(({ name }, index) => {
        const value = String(values[index]);
        path = path.replace(`{${name}}`, name === 'path' ? encodeProxyPath(value) : encodeAny(value));
      });
      const query = operation.queryParameters.flatMap(({ name }, index) =>
        (queries[index] ?? []).map((value) => `${encodeAny(name)}=${encodeAny(value)}`),
      );
      if (extra !== '') query.push(extra);
      return {
        operationId: operation.operationId,
        method: operation.method,
        path: query.length > 0 ? `${path}?${query.join('&')}` : path,
        ...(payload !== undefined && { body: payload.body, contentType: payload.contentType }),
      };
    });
}
