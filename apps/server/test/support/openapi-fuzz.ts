import fc from 'fast-check';

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

const SQL = [
  "' OR '1'='1",
  "'; DROP TABLE connections; --",
  '" OR ""="',
  "1' UNION SELECT id, ciphertext FROM credentials --",
  "x'||pg_sleep(5)||'",
  '%',
  '_',
  '\\',
  "'",
];
const ODD = [
  '\u0000',
  'a\u0000b',
  '\u202eevil',
  '\ud800',
  '𝕏🧪中文',
  'Ω'.repeat(300),
  '',
  ' ',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '../../../etc/passwd',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
  '${7*7}{{7*7}}',
  '<script>alert(1)</script>',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e309',
  '99999999999999999999',
  '-99999999999999999999',
  '0x7fffffff',
  'true',
];
const PROXY_ATTACKS = [
  '..',
  '../..',
  '%2e%2e/%2e%2e',
  '%252e%252e/',
  '.%2e/x',
  '//evil.example/x',
  'http://evil.example/',
  '@evil.example',
  'a\\b',
  'x%3fy',
  'x%23y',
  'x%00y',
  'x/./y',
  'ok/../../admin',
];

/** A string worth trying anywhere. */
export const attackString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SQL, ...ODD) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 70_000 }).map((length) => 'x'.repeat(length)) },
);

/** Marks where the raw-text stage puts a structure too deep to build as a value. */
const DEEP_MARK = '\u0001deep:';

/** Anything but what the schema asked for: other types, prototype keys, deep nesting. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  attackString,
  fc.constantFrom(null, true, false, 0, -1, 1.5, -0, 2 ** 53 + 1, 1e308, [], {}),
  fc.constant(Object.fromEntries([['__proto__', { admin: true, role: 'admin' }]])),
  fc.constant({ constructor: { prototype: { polluted: 'yes' } } }),
  fc.array(attackString, { maxLength: 4 }),
  fc.integer({ min: 50, max: 6000 }).map((depth) => `${DEEP_MARK}${depth}`),
);

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

/** Raw bodies no schema describes: not JSON, empty, top-level scalars, too deep, too big. */
const rawBody: fc.Arbitrary<{ body: string; contentType: string }> = fc.oneof(
  fc
    .constantFrom('{', '{"a":1,}', 'null', '[]', '"text"', '1', '', '\u0000', '{"a":"\\ud800"}')
    .map((body) => ({ body, contentType: 'application/json' })),
  fc
    .integer({ min: 2000, max: 8000 })
    .map((depth) => ({ body: `${'['.repeat(depth)}${']'.repeat(depth)}`, contentType: 'application/json' })),
  fc.constant({ body: `{"pad":"${'x'.repeat(1_200_000)}"}`, contentType: 'application/json' }),
  fc
    .constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'application/json; charset=utf-16',
    )
    .map((contentType) => ({ body: 'a=1&b=2', contentType })),
);

/** `JSON.stringify`, then the deep-nesting marks replaced by the nesting they stand for. */
function bodyText(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0001deep:(\d+)"/g, (_match, depth: string) => {
    const levels = Number(depth);
    return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  });
}

function poolFor(name: string, pools: FuzzPools): string[] {
  if (name === 'id' || name === 'connection_id') return pools.ids;
  if (name === 'connector' || name === 'key' || name === 'connector_key') return pools.connectorKeys;
  if (name === 'name') return pools.actionNames;
  if (name === 'path') return [...pools.proxyPaths, ...PROXY_ATTACKS];
  return pools.strings;
}

/** `encodeURIComponent` that also takes lone surrogates (sent as the invalid UTF-8 they would be). */
export function encodeAny(value: string): string {
  return value.replace(/[\s\S]/gu, (character) =>
    character.length === 1 && character >= '\ud800' && character <= '\udfff'
      ? '%ED%A0%80'
      : encodeURIComponent(character),
  );
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
