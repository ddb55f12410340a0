/**
 * What the OpenAPI document needs beyond what @fastify/swagger derives from the route schemas, so that
 * generated clients get named types and `redocly lint` passes: shared schemas named in
 * `components.schemas`, public operations marked public, OpenAPI path templates for wildcard routes.
 * Pure functions on the JSON document: no Fastify here.
 */

type JsonObject = Record<string, unknown>;

const SCHEMAS_PREFIX = '#/components/schemas/';
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
/** The name a wildcard route's `*` parameter gets: `{*}` is no OpenAPI path template. */
export const WILDCARD_PARAMETER = 'path';

/** JSON Schema keywords whose value is a schema, a list of schemas or a map of schemas. */
const SCHEMA_KEYWORDS = [
  'additionalProperties',
  'unevaluatedProperties',
  'propertyNames',
  'items',
  'additionalItems',
  'unevaluatedItems',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'contentSchema',
];
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions'];

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Two schemas of different shapes carry one `title`: they were named `names` (the first keeps the title). */
export interface SchemaNameConflict {
  title: string;
  names: string[];
}

export interface FinishedDocument {
  document: JsonObject;
  conflicts: SchemaNameConflict[];
}

/** Every operation of the document with its path and method. */
export function* operationsOf(
  document: JsonObject,
): Generator<{ path: string; method: string; operation: JsonObject }> {
  const paths = isObject(document['paths']) ? document['paths'] : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const [method, operation] of Object.entries(item)) {
      if (HTTP_METHODS.has(method) && isObject(operation)) yield { path, method, operation };
    }
  }
}

/**
 * The finished document (a copy: the input, which shares objects with the routes' validation schemas,
 * is left alone).
 */
export function finishOpenApiDocument(input: object): FinishedDocument {
  const document = JSON.parse(JSON.stringify(input)) as JsonObject;
  renameWildcardParameters(document);
  declarePublicOperations(document);
  const conflicts = nameSharedSchemas(document);
  return { document, conflicts };
}

/** `/proxy/{*}` → `/proxy/{path}`, the parameter renamed with it. */
function renameWildcardParameters(document: JsonObject): void {
  const paths = document['paths'];
  if (!isObject(paths)) return;
  const renamed: JsonObject = {};
  for (const [path, item] of Object.entries(paths)) {
    const wildcard = path.includes('{*}');
    renamed[wildcard ? path.replace('{*}', `{${WILDCARD_PARAMETER}}`) : path] = item;
    if (!wildcard || !isObject(item)) continue;
    for (const operation of Object.values(item)) {
      if (!isObject(operation) || !Array.isArray(operation['parameters'])) continue;
      for (const parameter of operation['parameters']) {
        if (isObject(parameter) && parameter['in'] === 'path' && parameter['name'] === '*') {
          parameter['name'] = WILDCARD_PARAMETER;
        }
      }
    }
  }
  document['paths'] = renamed;
}

/**
 * An operation that declares no `security` is public (the routes behind `app.authenticate` declare
 * `BEARER_SECURITY`); say so explicitly, as `security: []`. A test checks the claim against the server.
 */
function declarePublicOperations(document: JsonObject): void {
  for (const { operation } of operationsOf(document)) {
    operation['security'] ??= [];
  }
}

interface Shape {
  /** Stands in for the final `$ref` until every shape is named. */
  placeholder: string;
  title: string;
  /** The schema without its `description`, nested named schemas already replaced by placeholders. */
  schema: JsonObject;
  key: string;
  descriptions: Set<string | undefined>;
  uses: number;
  name?: string;
  description?: string;
}

/** JSON with sorted keys: two schemas are one shape when these are equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const componentName = (title: string) => title.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * Every schema with a `title` becomes `components.schemas[title]`, each occurrence a `$ref` to it (plus its
 * own `description` when it differs from the component's, and none at all in a response whose description
 * already says it). Where one title carries different shapes, the most used keeps the name and the others
 * are numbered (`Connection2`) in a fixed order; they are returned as conflicts for a test to refuse.
 */
function nameSharedSchemas(document: JsonObject): SchemaNameConflict[] {
  const shapes = new Map<string, Shape>();
  const placeholders = new Map<string, Shape>();
  const references: JsonObject[] = [];

  const visit = (schema: unknown, sharedDescription?: string): unknown => {
    if (!isObject(schema)) return schema;
    for (const keyword of SCHEMA_KEYWORDS) {
      if (keyword in schema) {
        const value = schema[keyword];
        schema[keyword] = Array.isArray(value) ? value.map((item) => visit(item)) : visit(value);
      }
    }
    for (const keyword of SCHEMA_LIST_KEYWORDS) {
      const value = schema[keyword];
      if (Array.isArray(value)) schema[keyword] = value.map((item) => visit(item));
    }
    for (const keyword of SCHEMA_MAP_KEYWORDS) {
      const value = schema[keyword];
      if (!isObject(value)) continue;
      for (const name of Object.keys(value)) value[name] = visit(value[name]);
    }
    const title = schema['title'];
    if (typeof title !== 'string' || title === '') return schema;

    const { description, ...rest } = schema;
    const key = `${title}\n${canonical(rest)}`;
    let shape = shapes.get(key);
    if (shape === undefined) {
      shape = {
        placeholder: `\u0000${shapes.size}`,
        title,
        schema: rest,
        key,
        descriptions: new Set(),
        uses: 0,
      };
      shapes.set(key, shape);
      placeholders.set(shape.placeholder, shape);
    }
    shape.uses += 1;
    const own = typeof description === 'string' ? description : undefined;
    shape.descriptions.add(own);
    const reference: JsonObject = { $ref: shape.placeholder };
    if (own !== undefined && own !== sharedDescription) reference['description'] = own;
    references.push(reference);
    return reference;
  };

  for (const { operation } of operationsOf(document)) {
    for (const parameter of Array.isArray(operation['parameters']) ? operation['parameters'] : []) {
      if (isObject(parameter)) parameter['schema'] = visit(parameter['schema']);
    }
    const body = operation['requestBody'];
    if (isObject(body)) visitContent(body['content'], visit, body['description']);
    for (const response of Object.values(isObject(operation['responses']) ? operation['responses'] : {})) {
      if (!isObject(response)) continue;
      visitContent(response['content'], visit, response['description']);
      for (const header of Object.values(isObject(response['headers']) ? response['headers'] : {})) {
        if (isObject(header)) header['schema'] = visit(header['schema']);
      }
    }
  }

  const components = isObject(document['components']) ? document['components'] : {};
  document['components'] = components;
  const schemas = isObject(components['schemas']) ? components['schemas'] : {};
  components['schemas'] = schemas;
  for (const name of Object.keys(schemas)) schemas[name] = visit(schemas[name]);

  const conflicts = assignNames(shapes, new Set(Object.keys(schemas)));
  for (const shape of shapes.values()) {
    const [only, ...others] = [...shape.descriptions];
    if (others.length === 0 && only !== undefined) shape.description = only;
    schemas[shape.name!] = {
      ...shape.schema,
      ...(shape.description !== undefined && { description: shape.description }),
    };
  }
  // Every placeholder, in the paths and inside the hoisted schemas alike, is one of these objects.
  for (const reference of references) {
    const shape = placeholders.get(reference['$ref'] as string)!;
    reference['$ref'] = `${SCHEMAS_PREFIX}${shape.name}`;
    if (reference['description'] === shape.description) delete reference['description'];
  }
  return conflicts;
}

function visitContent(
  content: unknown,
  visit: (schema: unknown, sharedDescription?: string) => unknown,
  description: unknown,
): void {
  if (!isObject(content)) return;
  for (const media of Object.values(content)) {
    if (isObject(media) && 'schema' in media) {
      media['schema'] = visit(media['schema'], typeof description === 'string' ? description : undefined);
    }
  }
}

function assignNames(shapes: Map<string, Shape>, taken: Set<string>): SchemaNameConflict[] {
  const byTitle = new Map<string, Shape[]>();
  for (const shape of shapes.values()) {
    const list = byTitle.get(shape.title) ?? [];
    list.push(shape);
    byTitle.set(shape.title, list);
  }
  const conflicts: SchemaNameConflict[] = [];
  for (const title of [...byTitle.keys()].sort()) {
    const list = byTitle.get(title)!;
    // Most used first, then by content: the same names whatever order the routes were registered in.
    list.sort((a, b) => b.uses - a.uses || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const base = componentName(title);
    let number = 1;
    for (const shape of list) {
      let name = base;
      while (taken.has(name)) name = `${base}${++number}`;
      taken.add(name);
      shape.name = name;
    }
    if (list.length > 1) conflicts.push({ title, names: list.map((shape) => shape.name!) });
  }
  return conflicts;
}
