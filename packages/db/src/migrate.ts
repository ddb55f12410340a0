import { type Kysely, type MigrationResultSet, Migrator, NO_MIGRATIONS } from 'kysely';
import { migrations } from './migrations/index.js';

export interface MigrationOutcome {
  /** Set when a migration failed; the failed one is in `results` with status `Error`. */
  error?: unknown;
  results: NonNullable<MigrationResultSet['results']>;
}

/** Our own bookkeeping tables, so a host app's Kysely migrations in the same database do not collide. */
export const MIGRATION_TABLE = 'cfm_migration';
export const MIGRATION_LOCK_TABLE = 'cfm_migration_lock';

// Migrations run against any Kysely instance: they are typed `Kysely<any>` on purpose.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyKysely = Kysely<any>;

function createMigrator(db: AnyKysely): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    // Orders migrations applied in the same millisecond. Kysely's default, `localeCompare`, set up ICU's
    // collator on every server start (10-25 ms); the names are ASCII timestamps, and Kysely sorts the
    // migration list itself by code units, so this order is the one it checks against anyway.
    nameComparator: (left, right) => (left < right ? -1 : left > right ? 1 : 0),
  });
}

function toOutcome(resultSet: MigrationResultSet): MigrationOutcome {
  const results = resultSet.results ?? [];
  return resultSet.error === undefined ? { results } : { error: resultSet.error, results };
}

async function run(action: () => Promise<MigrationResultSet>): Promise<MigrationOutcome> {
  try {
    return toOutcome(await action());
  } catch (error) {
    // Kysely reports migration failures in the result set; this catches the rest (unreachable database,
    // lock table errors) so that callers handle one shape.
    return { error, results: [] };
  }
}

/** Applies every pending migration. Never throws: check `error`. */
export function migrateToLatest(db: AnyKysely): Promise<MigrationOutcome> {
  return run(() => createMigrator(db).migrateToLatest());
}

/** Reverts the last `steps` applied migrations. Never throws: check `error`. */
export async function migrateDown(db: AnyKysely, steps = 1): Promise<MigrationOutcome> {
  const results: MigrationOutcome['results'] = [];
  for (let step = 0; step < steps; step += 1) {
    const outcome = await run(() => createMigrator(db).migrateDown());
    results.push(...outcome.results);
    if (outcome.error !== undefined) {
      return { error: outcome.error, results };
    }
    if (outcome.results.length === 0) {
      break; // nothing left to revert
    }
  }
  return { results };
}

/** Reverts every migration (drops every table). Never throws: check `error`. */
export function migrateToNone(db: AnyKysely): Promise<MigrationOutcome> {
  return run(() => createMigrator(db).migrateTo(NO_MIGRATIONS));
}
