import { isAbsolute, resolve } from 'node:path';

export type Dialect = 'postgres' | 'sqlite';

export interface ParsedDatabaseUrl {
  dialect: Dialect;
  /** SQLite only: an absolute path, or `:memory:`. */
  filename?: string;
  /** PostgreSQL only: the URL as given, for `pg`. */
  connectionString?: string;
}

/**
 * Thrown for a malformed or unsupported database URL. The message never repeats the URL, so a password
 * in it cannot leak into logs.
 */
export class DatabaseUrlError extends Error {
  readonly code = 'CFM_DB_URL_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUrlError';
  }
}

const SUPPORTED_FORMS =
  'expected postgresql://…, postgres://…, sqlite:///./relative.db, sqlite:////absolute/path.db or sqlite::memory:';

/**
 * Reads a database URL.
 *
 * @example
 * parseDatabaseUrl('sqlite:///./data/cfm.db'); // { dialect: 'sqlite', filename: '<cwd>/data/cfm.db' }
 * parseDatabaseUrl('postgresql://app@db:5432/cfm'); // { dialect: 'postgres', connectionString: '…' }
 */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  const text = url.trim();
  if (text === '') {
    throw new DatabaseUrlError(`Database URL is empty: ${SUPPORTED_FORMS}`);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return { dialect: 'postgres', connectionString: checkPostgresUrl(text) };
  }
  if (scheme === 'sqlite') {
    return { dialect: 'sqlite', filename: sqliteFilename(text) };
  }
  // Only the scheme is echoed: it cannot hold a password.
  const shown = scheme === undefined ? 'no scheme' : `scheme "${scheme}:"`;
  throw new DatabaseUrlError(`Unsupported database URL (${shown}): ${SUPPORTED_FORMS}`);
}

function checkPostgresUrl(text: string): string {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    // The TypeError from `new URL` quotes the input (and so any password): replace it, do not chain it.
    throw new DatabaseUrlError(
      'Malformed PostgreSQL URL: expected postgresql://user:password@host:5432/name',
    );
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    throw new DatabaseUrlError('Malformed PostgreSQL URL: the host is missing');
  }
  if (parsed.port !== '' && Number(parsed.port) === 0) {
    throw new DatabaseUrlError('Malformed PostgreSQL URL: the port is invalid');
  }
  return text;
}

function sqliteFilename(text: string): string {
  const rest = text.slice('sqlite:'.length);
  if (rest === ':memory:' || rest === '//:memory:') {
    return ':memory:';
  }
  if (!rest.startsWith('///')) {
    throw new DatabaseUrlError(`Malformed SQLite URL: ${SUPPORTED_FORMS}`);
  }
  if (/[?#]/.test(rest)) {
    throw new DatabaseUrlError('Malformed SQLite URL: query strings and fragments are not supported');
  }
  let path: string;
  try {
    path = decodeURIComponent(rest.slice('///'.length));
  } catch {
    throw new DatabaseUrlError('Malformed SQLite URL: invalid percent-encoding in the path');
  }
  if (path === '' || path.endsWith('/')) {
    throw new DatabaseUrlError('Malformed SQLite URL: the file name is missing');
  }
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}
