import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import { nameStatement } from './named-statements.js';

/** Marks where a named parameter goes; only ever seen by {@link prepareQuery} while it compiles. */
function placeholder(name: string): string {
  return `\u0000cfm-parameter:${name}\u0000`;
}

export type Placeholders<P> = { readonly [K in keyof P]: P[K] };

export interface PreparedQuery<P, R> {
  /** The SQL text, compiled once. */
  readonly sql: string;
  execute(parameters: P): Promise<R[]>;
}

/**
 * A Kysely query built and compiled once, then run with new parameter values: building a query anew
 * (immutable nodes, reference parsing, the plugins' node transforms, compiling) was about a sixth of a
 * short list request. `build` receives placeholders for the named parameters and must use each of them
 * as a plain value (`where(column, '=', p.userId)`, `limit(p.limit)`); every other value in it is a
 * constant of the compiled query.
 *
 * Values are bound as given: the value-convention plugin converts parameters while a query compiles, so
 * parameters passed here must already be what the driver stores (strings and numbers; no `Date`,
 * boolean, object or array). Results still pass through the plugins (SQLite rows are converted).
 *
 * @example
 * const byUser = prepareQuery(db, (p: Placeholders<{ userId: string }>) =>
 *   db.selectFrom('connections').select('id').where('user_id', '=', p.userId));
 * const rows = await byUser.execute({ userId });
 */
export function prepareQuery<DB, P extends Record<string, string | number | null>, R>(
  db: Kysely<DB>,
  build: (parameters: Placeholders<P>) => Compilable<R>,
): PreparedQuery<P, R> {
  const names = new Map<string, keyof P>();
  const placeholders = new Proxy({} as Placeholders<P>, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      const marker = placeholder(name);
      names.set(marker, name as keyof P);
      return marker;
    },
  });
  const compiled = build(placeholders).compile();
  // Each compiled parameter is either one of ours (by name) or a constant of the query.
  type Slot = { name: keyof P } | { constant: unknown };
  const slots: Slot[] = compiled.parameters.map((value) => {
    const name = typeof value === 'string' ? names.get(value) : undefined;
    return name === undefined ? { constant: value } : { name };
  });
  const used = new Set(slots.flatMap((slot) => ('name' in slot ? [slot.name] : [])));
  for (const name of names.values()) {
    if (!used.has(name)) {
      throw new Error(`prepareQuery: parameter "${String(name)}" was read but is not a value of the query`);
    }
  }
  nameStatement(compiled.sql); // PostgreSQL: parsed and planned once per connection (see named-statements)
  return {
    sql: compiled.sql,
    async execute(parameters) {
      const values = slots.map((slot) => ('name' in slot ? parameters[slot.name] : slot.constant));
      // The compiled query with other values (its query id too: plugins only key per-query state by it).
      const query: CompiledQuery<R> = { ...compiled, parameters: values };
      const result: QueryResult<R> = await db.executeQuery(query);
      return result.rows;
    },
  };
}
