import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Kysely's migration API is typed `Kysely<any>` so migrations never depend on the current table types.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyKysely = Kysely<any>;

/**
 * PostgreSQL: every statement that changes `connectors` notifies `cfm_connectors_changed` (on commit, as
 * NOTIFY is transactional), so each server process can keep the catalogue in memory and drop it the
 * moment another process or machine changes it (see `change-feed.ts`). SQLite needs nothing: a process
 * reads `PRAGMA data_version` instead.
 */
export async function up(db: AnyKysely): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`
    create or replace function cfm_notify_connectors_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('cfm_connectors_changed', '');
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger connectors_changed_notify
    after insert or update or delete or truncate on connectors
    for each statement execute function cfm_notify_connectors_changed()`.execute(db);
}

export async function down(db: AnyKysely): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`drop trigger if exists connectors_changed_notify on connectors`.execute(db);
  await sql`drop function if exists cfm_notify_connectors_changed()`.execute(db);
}
