import type { Kysely } from 'kysely';

// Kysely's migration API is typed `Kysely<any>` so migrations never depend on the current table types.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyKysely = Kysely<any>;

/**
 * A back-end service lists every user's connections newest first (`GET /api/connections/` with a service
 * key, no `?user=`): without an index in that order PostgreSQL joined and sorted the whole table for a page
 * of 20 (about 3 s at 1,000,000 connections, `pnpm bench` scale scenario); with it, the page is read in
 * order from the index (under a millisecond).
 */
export async function up(db: AnyKysely): Promise<void> {
  await db.schema
    .createIndex('connections_created_at_idx')
    .ifNotExists()
    .on('connections')
    .columns(['created_at desc', 'id'])
    .execute();
}

export async function down(db: AnyKysely): Promise<void> {
  await db.schema.dropIndex('connections_created_at_idx').ifExists().execute();
}
