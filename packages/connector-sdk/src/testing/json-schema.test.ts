import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { jsonSchemaProblems, valueProblems } from './json-schema.js';

describe('jsonSchemaProblems', () => {
  it('accepts what TypeBox builds, tuples and records included', () => {
    const schema = Type.Object({
      id: Type.String({ pattern: '^[a-z]+$' }),
      kind: Type.Union([Type.Literal('page'), Type.Literal('database')]),
      title: Type.Union([Type.String(), Type.Null()]),
      properties: Type.Record(Type.String(), Type.Unknown()),
      pair: Type.Tuple([Type.String(), Type.Integer()]),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    });
    expect(jsonSchemaProblems(schema)).toEqual([]);
  });

  it('names what the meta-schema refuses', () => {
    expect(jsonSchemaProblems({ type: 'object', properties: { a: { type: 'strin' } } }).join('\n')).toContain(
      '/properties/a/type',
    );
    expect(jsonSchemaProblems({ type: 'object', required: 'a', properties: {} })).toEqual([
      '/required: must be array',
    ]);
    expect(jsonSchemaProblems('object')).toEqual(['the schema is not an object']);
    expect(jsonSchemaProblems({ $schema: 'https://example.com/my-draft', type: 'object' })[0]).toContain(
      'unknown $schema',
    );
  });
});

describe('valueProblems', () => {
  const schema = Type.Object(
    { name: Type.String(), next_cursor: Type.Optional(Type.String()) },
    { additionalProperties: false },
  );

  it('is empty for a valid value and treats undefined fields as absent, as JSON would', () => {
    expect(valueProblems(schema, { name: 'x' })).toEqual([]);
    expect(valueProblems(schema, { name: 'x', next_cursor: undefined })).toEqual([]);
  });

  it('lists each problem with its path', () => {
    const problems = valueProblems(schema, { name: 3, extra: true });
    expect(problems).toContain('/name: must be string');
    expect(problems.some((problem) => problem.includes('additional properties'))).toBe(true);
  });
});
