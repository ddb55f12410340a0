import fc from 'fast-check';

// What the fuzzer tries where a value is expected: the attack values, wrong types, bodies no schema
// describes, and an encoder that lets any of them into a URL.

export const SQL = [
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
export const ODD = [
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
export const PROXY_ATTACKS = [
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
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  attackString,
  fc.constantFrom(null, true, false, 0, -1, 1.5, -0, 2 ** 53 + 1, 1e308, [], {}),
  fc.constant(Object.fromEntries([['__proto__', { admin: true, role: 'admin' }]])),
  fc.constant({ constructor: { prototype: { polluted: 'yes' } } }),
  fc.array(attackString, { maxLength: 4 }),
  fc.integer({ min: 50, max: 6000 }).map((depth) => `${DEEP_MARK}${depth}`),
);

/** Raw bodies no schema describes: not JSON, empty, top-level scalars, too deep, too big. */
export const rawBody: fc.Arbitrary<{ body: string; contentType: string }> = fc.oneof(
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
export function bodyText(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0001deep:(\d+)"/g, (_match, depth: string) => {
    const levels = Number(depth);
    return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  });
}

/** `encodeURIComponent` that also takes lone surrogates (sent as the invalid UTF-8 they would be). */
export function encodeAny(value: string): string {
  return value.replace(/[\s\S]/gu, (character) =>
    character.length === 1 && character >= '\ud800' && character <= '\udfff'
      ? '%ED%A0%80'
      : encodeURIComponent(character),
  );
}
