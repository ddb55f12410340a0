import { createRequire } from 'node:module';
import type { RE2JS as Re2Engine } from 're2js';

// Loaded by the first pattern compiled, not with the server: re2js is one 260 KB module (about 15 ms and
// 2 MB of every start) that only custom connectors' and connections' config schemas need. Its CommonJS
// build, so that loading it later stays synchronous, as Ajv's compile is.
let engine: typeof Re2Engine | undefined;
function re2(): typeof Re2Engine {
  engine ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof Re2Engine }).RE2JS;
  return engine;
}

/**
 * A regular-expression engine for Ajv (`code: { regExp: linearRegExp }`) that runs in linear time: RE2's
 * automata, not Node's backtracking engine. Patterns in a custom connector's `config_schema` come from an
 * admin and are matched against what any user sends; `^([a-z0-9]+[-.]?)+$` took seconds on a 27-character
 * value with the native engine (and blocked every request meanwhile), and takes microseconds here.
 * Patterns RE2 cannot run in linear time (look-arounds, back-references) fail to compile, so such a schema
 * is refused when it is declared.
 */
export const linearRegExp = Object.assign(
  (pattern: string, flags?: string) => {
    const RE2JS = re2();
    const compiled = RE2JS.compile(pattern, flags?.includes('i') ? RE2JS.CASE_INSENSITIVE : 0);
    // JSON Schema `pattern` is a search, not a full match.
    return {
      test: (text: string) => compiled.matcher(text).find(),
      // Ajv shares compiled patterns by `toString()`: it must name the pattern, or all would share one.
      toString: () => `/${pattern}/${flags ?? ''}`,
    };
  },
  { code: 'linearRegExp' },
);
