import {
  type ColumnDataType,
  type Kysely,
  PostgresAdapter,
  type RawBuilder,
  SqliteAdapter,
  sql,
} from 'kysely';

// Kysely's migration API is typed `Kysely<any>` so migrations never depend on the current table types.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyKysely = Kysely<any>;

// Migrations never change once landed, so the dialect helpers live in this file.
function typesFor(db: AnyKysely): {
  json: ColumnDataType;
  timestamp: ColumnDataType;
  now: RawBuilder<unknown>;
} {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) {
    return { json: 'jsonb', timestamp: 'timestamptz(3)', now: sql`now()` };
  }
  if (adapter instanceof SqliteAdapter) {
    return { json: 'text', timestamp: 'text', now: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))` };
  }
  throw new Error('Unsupported database: migrations support PostgreSQL and SQLite only');
}

/**
 * `service_keys`: credentials of the product's back-end services. Only the SHA-256 of a key is stored
 * (`key_hash`, unique: every request is one indexed lookup by it), with its first characters for display.
 * `created_by` is the admin who created it (null when created from the command line, or once that user
 * is deleted: the key outlives its creator's row).
 */
export async function up(db: AnyKysely): Promise<void> {
  const t = typesFor(db);
  await db.schema
    .createTable('service_keys')
    .ifNotExists()
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('scopes', t.json, (column) => column.notNull())
    .addColumn('key_hash', 'text', (column) => column.notNull().unique())
    .addColumn('key_prefix', 'text', (column) => column.notNull())
    .addColumn('created_by', 'text', (column) => column.references('users.id').onDelete('set null'))
    .addColumn('created_at', t.timestamp, (column) => column.notNull().defaultTo(t.now))
    .addColumn('expires_at', t.timestamp)
    .addColumn('revoked_at', t.timestamp)
    .addColumn('last_used_at', t.timestamp)
    .execute();
  // The admin list reads newest first; PostgreSQL does not index a foreign key by itself.
  await db.schema
    .createIndex('service_keys_created_at_idx')
    .ifNotExists()
    .on('service_keys')
    .columns(['created_at desc', 'id'])
    .execute();
  await db.schema
    .createIndex('service_keys_created_by_idx')
    .ifNotExists()
    .on('service_keys')
    .column('created_by')
    .execute();
}

export async function down(db: AnyKysely): Promise<void> {
  await db.schema.dropTable('service_keys').ifExists().execute();
}
