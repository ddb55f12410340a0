/**
 * Node socket errors raised while reaching or talking to the database server, and SQLite's "the file is
 * busy or cannot be opened now".
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
  // PostgreSQL SQLSTATEs outside class 08 that mean "not now", not "wrong query".
  '57P01', // admin_shutdown (pg_terminate_backend, a fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '53300', // too_many_connections
]);

/** SQLSTATE class 08: connection exception. */
const CONNECTION_EXCEPTION = /^08[0-9A-Z]{3}$/;

/**
 * What `pg` and `pg-pool` throw with no code when a connection is lost or cannot be had in time.
 * Matched on the whole message: these are the libraries' own texts, never a server's.
 */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated( unexpectedly| due to connection timeout)?$/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
];

/** How deep to follow `cause` and `AggregateError.errors` (a cycle must not loop). */
const MAX_DEPTH = 4;

/**
 * True when `error` says the database cannot be reached or dropped the connection, on either dialect:
 * refused, reset or timed-out sockets, a pool that could not connect in time, a terminated backend,
 * SQLSTATE class 08, 57P01–57P03 and 53300. A caller may retry later; a query error (bad SQL, a
 * constraint) is never one of these.
 *
 * @example
 * try { await handle.ping() } catch (error) { if (isDatabaseUnavailableError(error)) return reply.code(503) }
 */
export function isDatabaseUnavailableError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return false;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || CONNECTION_EXCEPTION.test(code))) {
    return true;
  }
  if (code === undefined && typeof message === 'string') {
    if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
  }
  // Node reports a refused `localhost` (tried on ::1 and 127.0.0.1) as an AggregateError of both.
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailableError(inner, depth + 1))) {
    return true;
  }
  return cause !== undefined && isDatabaseUnavailableError(cause, depth + 1);
}
