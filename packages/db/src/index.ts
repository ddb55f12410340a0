export { type ChangeFeed, CONNECTORS_CHANGED_CHANNEL } from './change-feed.js';
export { BOOLEAN_COLUMNS, isTimestampColumn, JSON_COLUMNS } from './column-kinds.js';
export type * from './database.js';
export {
  type CreateDatabaseOptions,
  createDatabase,
  type DatabaseHandle,
  type PoolStats,
} from './dialect.js';
export {
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  type MigrationOutcome,
  migrateDown,
  migrateToLatest,
  migrateToNone,
} from './migrate.js';
export { migrations } from './migrations/index.js';
export {
  DatabaseUrlError,
  type Dialect,
  type ParsedDatabaseUrl,
  parseDatabaseUrl,
} from './parse-database-url.js';
export { type Placeholders, type PreparedQuery, prepareQuery } from './prepared-query.js';
export { isDatabaseUnavailableError } from './unavailable-error.js';
export { ValueConventionPlugin } from './value-convention-plugin.js';
