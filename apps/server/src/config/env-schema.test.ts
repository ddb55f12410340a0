import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvSchema, findEnvProblem } from './env-schema.js';

type PropertySchema = { pattern?: string; anyOf?: { const: string }[]; 'x-message'?: string };
const PROPERTIES = EnvSchema.properties as Record<string, PropertySchema>;

// What findEnvProblem replaced: the schema compiled by Ajv (strict), the first error's variable named.
const ajv = new Ajv({ allErrors: false, strict: true });
ajv.addKeyword({ keyword: 'x-message', schemaType: 'string' });
const validateWithAjv = ajv.compile(EnvSchema);

function ajvProblem(env: Record<string, string>): string | undefined {
  if (validateWithAjv(env)) return undefined;
  const variable = validateWithAjv.errors?.[0]?.instancePath.split('/')[1] ?? '';
  return `${variable} ${PROPERTIES[variable]?.['x-message']}`;
}

// Lengths count code points (a surrogate pair is one character), so astral text sits on both sides of
// every bound; the rest are near misses of the patterns.
const ODD = [
  '',
  ' ',
  '0',
  '65535',
  '65536',
  '\u0000',
  '\ud800',
  '\n1',
  '1\n',
  'a'.repeat(31),
  '🧪'.repeat(31),
  '🧪'.repeat(32),
  'x'.repeat(100),
  'x'.repeat(101),
  '🧪'.repeat(100),
  '🧪'.repeat(101),
  'http://',
  'https://ok.example',
  'https://ok.example/🧪',
  'redis://cache:6379',
  'k1:AAAA=,k2:BBBB',
  'development',
  'Production',
  'read-only',
];

const NEAR_MISS_CHARACTERS = [...'aZ09 ,:/=-_.@\t\n🧪é\u0000'];

/** A valid value with one character inserted or replaced: where a pattern's edges are. */
function nearMiss(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(valid, fc.nat(), fc.constantFrom(...NEAR_MISS_CHARACTERS), fc.boolean())
    .map(([value, at, character, replace]) => {
      const index = at % (value.length + 1);
      return value.slice(0, index) + character + value.slice(replace ? index + 1 : index);
    });
}

function valueFor(schema: PropertySchema): fc.Arbitrary<string> {
  const valid =
    schema.anyOf !== undefined
      ? fc.constantFrom(...schema.anyOf.map((choice) => choice.const))
      : schema.pattern !== undefined
        ? fc.stringMatching(new RegExp(schema.pattern))
        : fc.string({ minLength: 1 });
  return fc.oneof(
    { weight: 6, arbitrary: valid },
    { weight: 2, arbitrary: fc.constantFrom(...ODD) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 120 }) },
    { weight: 3, arbitrary: nearMiss(valid) },
  );
}

const envArbitrary = fc.record(
  Object.fromEntries(Object.entries(PROPERTIES).map(([name, schema]) => [name, valueFor(schema)])),
  { requiredKeys: [] },
) as fc.Arbitrary<Record<string, string>>;

describe('findEnvProblem', () => {
  it('names the first unacceptable variable in schema order, with its message', () => {
    expect(findEnvProblem({ PORT: '4000' })).toBeUndefined();
    expect(findEnvProblem({ PORT: 'x', JWT_SECRET: 'short' })).toBe(
      'JWT_SECRET must be at least 32 characters',
    );
    expect(findEnvProblem({ PORT: '123456' })).toBe('PORT must be a whole number from 0 to 65535');
    expect(findEnvProblem({ NODE_ENV: 'staging' })).toBe('NODE_ENV must be development, production or test');
    expect(findEnvProblem({ APP_NAME: '🧪'.repeat(100) })).toBeUndefined();
    expect(findEnvProblem({ APP_NAME: '🧪'.repeat(101) })).toBe('APP_NAME must be 1 to 100 characters');
  });

  it('agrees with Ajv on every environment', () => {
    fc.assert(
      fc.property(envArbitrary, (env) => {
        expect(findEnvProblem(env)).toBe(ajvProblem(env));
      }),
      { numRuns: 5000 },
    );
  });
});
