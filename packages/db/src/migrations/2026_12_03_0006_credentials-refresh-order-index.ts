import type { Kysely } from 'kysely';

// Kysely's migration API is typed `Kysely<any>` so migrations never depend on the current table types.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyKysely = Kysely<any>;

/**
 * The background refresher pages through due credentials in `(expires_at, connection_id)` order, each
 * page starting after the previous one's last row. With this index a page is an index range read that
 * stops after `batchSize` rows; with `expires_at` alone, rows sharing an expiry (a bulk import, a burst of
 * connections) were all read and sorted for every page. It replaces `credentials_expires_at_idx`, whose
 * single column it starts with, so a write still maintains the same number of indexes.
 */
export async function up(db: AnyKysely): Promise<void> {
  await db.schema
    .createIndex('credentials_expires_at_connection_id_idx')
    .ifNotExists()
    .on('credentials')
    .columns(['expires_at', 'connection_id'])
    .execute();
  await db.schema.dropIndex('credentials_expires_at_idx').ifExists().execute();
}

export async function down(db: AnyKysely): Promise<void> {
  await db.schema
    .createIndex('credentials_expires_at_idx')
    .ifNotExists()
    .on('credentials')
    .column('expires_at')
    .execute();
  await db.schema.dropIndex('credentials_expires_at_connection_id_idx').ifExists().execute();
}
