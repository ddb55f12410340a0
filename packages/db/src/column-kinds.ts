import type { Database } from './database.js';

type ColumnName = { [Table in keyof Database]: keyof Database[Table] & string }[keyof Database];

/**
 * Columns holding JSON, across all tables. SQLite returns them as text, so results are parsed by name.
 * A new JSON column must be added here (the `satisfies` keeps the list to real column names).
 */
export const JSON_COLUMNS: ReadonlySet<string> = new Set([
  'auth',
  'config_schema',
  'custom_definition',
  'categories',
  'config',
  'metadata',
  'identity',
  'scopes',
  'detail',
] as const satisfies readonly ColumnName[]);

/** Columns holding booleans; SQLite returns them as 0/1. */
export const BOOLEAN_COLUMNS: ReadonlySet<string> = new Set([
  'enabled',
  'has_refresh_token',
] as const satisfies readonly ColumnName[]);

/** Timestamp columns are recognised by their suffix, so aliases such as `latest_expires_at` convert too. */
export function isTimestampColumn(name: string): boolean {
  return name.endsWith('_at');
}
