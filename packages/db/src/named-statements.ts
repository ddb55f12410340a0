/**
 * SQL texts that are run again and again with new values (`prepareQuery` registers its queries), each
 * with a name of its own. On PostgreSQL a query sent with a name is parsed and planned once per
 * connection and then only bound and executed: for a short list query, parsing and planning were most
 * of the backend's work. The names are the same in every process (registration order does not matter:
 * a name is a hash of the text), so a server never sends one name with two texts.
 */
import { createHash } from 'node:crypto';

const names = new Map<string, string>();

/** Registers `sql` for a name of its own; returns the name. */
export function nameStatement(sql: string): string {
  let name = names.get(sql);
  if (name === undefined) {
    name = `cfm_${createHash('sha256').update(sql).digest('base64url').slice(0, 24)}`;
    names.set(sql, name);
  }
  return name;
}

/** The name registered for `sql`, or `undefined` (the query is sent unnamed, parsed each time). */
export function statementName(sql: string): string | undefined {
  return names.get(sql);
}

// biome-ignore lint/suspicious/noExplicitAny: pg's query(text, values, callback) has many overloads
type QueryFunction = (...args: any[]) => any;

/**
 * Makes a pg client send the registered texts as named statements. Kysely calls `query(sql, values)`;
 * anything else (a config object, a callback, an unregistered text) goes through unchanged.
 */
export function sendNamedStatements(client: { query: QueryFunction }): void {
  const query: QueryFunction = client.query.bind(client);
  client.query = (text: unknown, values?: unknown, callback?: unknown) => {
    if (typeof text === 'string' && callback === undefined && Array.isArray(values)) {
      const name = names.get(text);
      if (name !== undefined) return query({ name, text, values });
    }
    return callback === undefined ? query(text, values) : query(text, values, callback);
  };
}
