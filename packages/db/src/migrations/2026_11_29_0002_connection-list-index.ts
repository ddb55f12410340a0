import type { Kysely } from 'kysely';

// Kysely's migration API is typed `Kysely<any>` so migrations never depend on the current table types.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyKysely = Kysely<any>;

/**
 * `GET /api/connections` reads one user's connections newest first (`created_at desc, id`): this index
 * answers the filter and the order together, so the page comes out of the index without a sort. It
 * replaces `connections_user_id_idx`, whose single column it starts with (as does the unique
 * `(user_id, connector_id)` constraint), so a write still maintains the same number of indexes.
 */
export async function up(db: AnyKysely): Promise<void> {
  await db.schema
    .createIndex('connections_user_id_created_at_idx')
    .ifNotExists()
    .on('connections')
    .columns(['user_id', 'created_at desc', 'id'])
    .execute();
  await db.schema.dropIndex('connections_user_id_idx').ifExists().execute();
}

export async function down(db: AnyKysely): Promise<void> {
  await db.schema
    .createIndex('connections_user_id_idx')
    .ifNotExists()
    .on('connections')
    .column('user_id')
    .execute();
  await db.schema.dropIndex('connections_user_id_created_at_idx').ifExists().execute();
}
