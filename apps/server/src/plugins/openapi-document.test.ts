import { describe, expect, it } from 'vitest';
import { finishOpenApiDocument } from './openapi-document.js';

const Owner = { title: 'Owner', type: 'object', properties: { email: { type: 'string' } } };
const Item = {
  title: 'Item',
  type: 'object',
  properties: { id: { type: 'string' }, owner: Owner },
  examples: [{ title: 'not a schema', id: '1' }],
};
const Problem = (description: string) => ({
  title: 'Problem',
  description,
  type: 'object',
  properties: { code: { type: 'string' } },
});

function json(schema: object, description = 'Answer.') {
  return { description, content: { 'application/json': { schema } } };
}

function documentWith(paths: Record<string, unknown>) {
  return { openapi: '3.1.0', info: { title: 't', version: '1' }, paths, components: { schemas: {} } };
}

describe('finishOpenApiDocument', () => {
  it('names every titled schema once and references it, nested ones too', () => {
    const input = documentWith({
      '/items': {
        get: {
          security: [{ bearerAuth: [] }],
          responses: {
            200: json({ type: 'array', items: Item }),
            404: json(Problem('Not found.'), 'Not found.'),
            409: json(Problem('Conflict.'), 'Conflict.'),
          },
        },
        post: {
          security: [{ bearerAuth: [] }],
          requestBody: {
            content: { 'application/json': { schema: { ...Item, description: 'The new item.' } } },
          },
          responses: { 201: json(Item), 404: json(Problem('Not found.'), 'Not found.') },
        },
      },
    });
    const before = JSON.stringify(input);
    const { document, conflicts } = finishOpenApiDocument(input);

    expect(JSON.stringify(input)).toBe(before);
    expect(conflicts).toEqual([]);
    const schemas = document['components'] as { schemas: Record<string, Record<string, unknown>> };
    expect(Object.keys(schemas.schemas).sort()).toEqual(['Item', 'Owner', 'Problem']);
    expect(schemas.schemas['Item']).toMatchObject({
      properties: { owner: { $ref: '#/components/schemas/Owner' } },
      examples: [{ title: 'not a schema', id: '1' }],
    });
    // Descriptions differ per use: none on the component; a response's is already on the response.
    expect(schemas.schemas['Problem']).not.toHaveProperty('description');
    const paths = document['paths'] as Record<string, Record<string, Record<string, unknown>>>;
    const get = paths['/items']!['get']! as { responses: Record<string, ReturnType<typeof json>> };
    expect(get.responses['200']!.content['application/json'].schema).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/Item' },
    });
    expect(get.responses['409']!.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Problem',
    });
    const post = paths['/items']!['post']! as { requestBody: ReturnType<typeof json> };
    expect(post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Item',
      description: 'The new item.',
    });
  });

  it('numbers different schemas under one title the same way whatever the route order, and reports them', () => {
    const wide = {
      title: 'Thing',
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' } },
    };
    const narrow = { title: 'Thing', type: 'object', properties: { a: { type: 'string' } } };
    const routes = {
      '/wide': { get: { responses: { 200: json(wide), 400: json(wide) } } },
      '/narrow': { get: { responses: { 200: json(narrow) } } },
    };
    const reversed = { '/narrow': routes['/narrow'], '/wide': routes['/wide'] };
    for (const paths of [routes, reversed]) {
      const { document, conflicts } = finishOpenApiDocument(documentWith(paths));
      expect(conflicts).toEqual([{ title: 'Thing', names: ['Thing', 'Thing2'] }]);
      const schemas = (document['components'] as { schemas: Record<string, { properties: object }> }).schemas;
      expect(Object.keys(schemas['Thing']!.properties)).toEqual(['a', 'b']); // the most used keeps the name
      expect(Object.keys(schemas['Thing2']!.properties)).toEqual(['a']);
    }
  });

  it('marks operations without security public and gives wildcard routes an OpenAPI path template', () => {
    const { document } = finishOpenApiDocument(
      documentWith({
        '/healthz': { get: { responses: {} } },
        '/proxy/{id}/{*}': {
          get: {
            security: [{ bearerAuth: [] }],
            parameters: [
              { in: 'path', name: 'id', required: true, schema: { type: 'string' } },
              { in: 'path', name: '*', required: true, schema: { type: 'string' } },
            ],
            responses: {},
          },
        },
      }),
    );
    const paths = document['paths'] as Record<
      string,
      { get: { security: unknown; parameters?: { name: string }[] } }
    >;
    expect(Object.keys(paths)).toEqual(['/healthz', '/proxy/{id}/{path}']);
    expect(paths['/healthz']!.get.security).toEqual([]);
    expect(paths['/proxy/{id}/{path}']!.get.security).toEqual([{ bearerAuth: [] }]);
    expect(paths['/proxy/{id}/{path}']!.get.parameters!.map((parameter) => parameter.name)).toEqual([
      'id',
      'path',
    ]);
  });
});
