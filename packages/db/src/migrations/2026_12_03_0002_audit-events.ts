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

interface Types {
  json: ColumnDataType;
  timestamp: ColumnDataType;
  now: RawBuilder<unknown>;
  emptyObject: RawBuilder<unknown>;
}

// Migrations never change once landed, so the dialect helpers live in this file.
function typesFor(db: AnyKysely): Types {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) {
    return { json: 'jsonb', timestamp: 'timestamptz(3)', now: sql`now()`, emptyObject: sql`'{}'::jsonb` };
  }
  if (adapter instanceof SqliteAdapter) {
    return {
      json: 'text',
      timestamp: 'text',
      now: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
      emptyObject: sql`'{}'`,
    };
  }
  throw new Error('Unsupported database: migrations support PostgreSQL and SQLite only');
}

/**
 * `audit_events`: an append-only record of credential-affecting actions and of every use of a connection
 * (who, what, when, outcome). No foreign keys: an event outlives the connection, connector, user or key
 * it names. Admins page newest first (`occurred_at desc, id desc`), optionally for one connection.
 */
export async function up(db: AnyKysely): Promise<void> {
  const t = typesFor(db);
  await db.schema
    .createTable('audit_events')
    .ifNotExists()
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('occurred_at', t.timestamp, (column) => column.notNull().defaultTo(t.now))
    .addColumn('actor_type', 'text', (column) =>
      column.notNull().check(sql`actor_type in ('user', 'service', 'system')`),
    )
    .addColumn('actor_id', 'text')
    .addColumn('actor_label', 'text', (column) => column.notNull())
    .addColumn('action', 'text', (column) => column.notNull())
    .addColumn('connection_id', 'text')
    .addColumn('connector_key', 'text')
    .addColumn('outcome', 'text', (column) => column.notNull().check(sql`outcome in ('success', 'failure')`))
    .addColumn('status_code', 'integer')
    .addColumn('duration_ms', 'integer')
    .addColumn('detail', t.json, (column) => column.notNull().defaultTo(t.emptyObject))
    .addColumn('request_id', 'text')
    .execute();
  await db.schema
    .createIndex('audit_events_occurred_at_idx')
    .ifNotExists()
    .on('audit_events')
    .columns(['occurred_at desc', 'id desc'])
    .execute();
  await db.schema
    .createIndex('audit_events_connection_id_idx')
    .ifNotExists()
    .on('audit_events')
    .columns(['connection_id', 'occurred_at desc'])
    .execute();
}

export async function down(db: AnyKysely): Promise<void> {
  await db.schema.dropTable('audit_events').ifExists().execute();
}
