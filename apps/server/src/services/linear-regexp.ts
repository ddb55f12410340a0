import { RE2JS } from 're2js';

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
