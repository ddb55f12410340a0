/** True for a unique-constraint violation on either dialect (PostgreSQL `23505`, SQLite `SQLITE_CONSTRAINT_*`). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
