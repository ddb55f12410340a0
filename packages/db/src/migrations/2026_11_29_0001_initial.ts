import {
  type ColumnDataType,
  type ColumnDefinitionBuilder,
  type Expression,
  type Kysely,
  PostgresAdapter,
  type RawBuilder,
  SqliteAdapter,
  sql,
} from 'kysely';

// Migrations never change once landed, so the dialect helpers live in this file rather than in a shared
// module that a later edit could silently alter.

interface Types {
  json: ColumnDataType;
  timestamp: ColumnDataType;
  boolean: ColumnDataType;
  now: RawBuilder<unknown>;
  emptyObject: RawBuilder<unknown>;
  emptyArray: RawBuilder<unknown>;
  true: RawBuilder<unknown>;
}

// Kysely's migration API is typed `Kysely<any>` so migrations never depend on the current table types.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyKysely = Kysely<any>;

function typesFor(db: AnyKysely): Types {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) {
    return {
      json: 'jsonb',
      // Millisecond precision, as in a JS Date: with microseconds, a default `now()` read back into a Date
      // and compared with the stored value would not be equal to it.
      timestamp: 'timestamptz(3)',
      boolean: 'boolean',
      now: sql`now()`,
      emptyObject: sql`'{}'::jsonb`,
      emptyArray: sql`'[]'::jsonb`,
      true: sql`true`,
    };
  }
  if (adapter instanceof SqliteAdapter) {
    return {
      // `text`, not `json`: SQLite gives a `json` column numeric affinity, which would turn the JSON text
      // `123` into the integer 123.
      json: 'text',
      timestamp: 'text',
      boolean: 'integer',
      // Same format as Date#toISOString(), so stored timestamps compare correctly as text.
      now: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
      emptyObject: sql`'{}'`,
      emptyArray: sql`'[]'`,
      true: sql`1`,
    };
  }
  throw new Error('Unsupported database: migrations support PostgreSQL and SQLite only');
}

function withDefault(value: Expression<unknown>) {
  return (column: ColumnDefinitionBuilder) => column.notNull().defaultTo(value);
}

export async function up(db: AnyKysely): Promise<void> {
  const t = typesFor(db);

  await db.schema
    .createTable('users')
    .ifNotExists()
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('subject', 'text', (column) => column.notNull().unique())
    .addColumn('email', 'text', (column) => column.notNull().unique())
    .addColumn('role', 'text', (column) =>
      column.notNull().defaultTo('user').check(sql`role in ('user', 'admin')`),
    )
    .addColumn('created_at', t.timestamp, withDefault(t.now))
    .addColumn('updated_at', t.timestamp, withDefault(t.now))
    .execute();

  await db.schema
    .createTable('connectors')
    .ifNotExists()
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('key', 'text', (column) => column.notNull().unique())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('description', 'text', (column) => column.notNull().defaultTo(''))
    .addColumn('source', 'text', (column) => column.notNull().check(sql`source in ('package', 'custom')`))
    .addColumn('version', 'text')
    .addColumn('auth_type', 'text', (column) => column.notNull())
    .addColumn('auth', t.json)
    .addColumn('config_schema', t.json, withDefault(t.emptyObject))
    .addColumn('custom_definition', t.json)
    .addColumn('icon_url', 'text')
    .addColumn('docs_url', 'text')
    .addColumn('categories', t.json, withDefault(t.emptyArray))
    .addColumn('enabled', t.boolean, withDefault(t.true))
    .addColumn('load_status', 'text', (column) => column.notNull().defaultTo('loaded'))
    .addColumn('load_error', 'text')
    .addColumn('client_secret_ciphertext', 'text')
    .addColumn('client_secret_key_id', 'text')
    .addColumn('created_at', t.timestamp, withDefault(t.now))
    .addColumn('updated_at', t.timestamp, withDefault(t.now))
    .execute();

  await db.schema
    .createTable('connections')
    .ifNotExists()
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('connector_id', 'text', (column) =>
      column.notNull().references('connectors.id').onDelete('cascade'),
    )
    .addColumn('config', t.json, withDefault(t.emptyObject))
    .addColumn('status', 'text', (column) => column.notNull().defaultTo('pending'))
    .addColumn('status_reason', 'text')
    .addColumn('metadata', t.json, withDefault(t.emptyObject))
    .addColumn('identity', t.json)
    .addColumn('scopes', t.json)
    .addColumn('last_tested_at', t.timestamp)
    .addColumn('created_at', t.timestamp, withDefault(t.now))
    .addColumn('updated_at', t.timestamp, withDefault(t.now))
    .addUniqueConstraint('connections_user_id_connector_id_key', ['user_id', 'connector_id'])
    .execute();

  await db.schema
    .createTable('credentials')
    .ifNotExists()
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('connection_id', 'text', (column) =>
      column.notNull().unique().references('connections.id').onDelete('cascade'),
    )
    .addColumn('ciphertext', 'text', (column) => column.notNull())
    .addColumn('key_id', 'text', (column) => column.notNull())
    .addColumn('auth_type', 'text', (column) => column.notNull())
    .addColumn('expires_at', t.timestamp)
    .addColumn('has_refresh_token', t.boolean, (column) => column.notNull())
    .addColumn('scopes', t.json)
    .addColumn('last_refreshed_at', t.timestamp)
    .addColumn('refresh_failures', 'integer', withDefault(sql`0`))
    .addColumn('next_refresh_at', t.timestamp)
    .addColumn('refresh_error', 'text')
    .addColumn('created_at', t.timestamp, withDefault(t.now))
    .addColumn('updated_at', t.timestamp, withDefault(t.now))
    .execute();

  await db.schema
    .createTable('oauth_states')
    .ifNotExists()
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('connector_id', 'text', (column) =>
      column.notNull().references('connectors.id').onDelete('cascade'),
    )
    .addColumn('connection_id', 'text', (column) => column.references('connections.id').onDelete('cascade'))
    .addColumn('redirect_uri', 'text', (column) => column.notNull())
    .addColumn('code_verifier_ciphertext', 'text')
    .addColumn('key_id', 'text')
    .addColumn('config', t.json)
    .addColumn('expires_at', t.timestamp, (column) => column.notNull())
    .addColumn('consumed_at', t.timestamp)
    .addColumn('created_at', t.timestamp, withDefault(t.now))
    .execute();

  const indexes: Array<[name: string, table: string, column: string]> = [
    ['connections_user_id_idx', 'connections', 'user_id'],
    ['connections_connector_id_idx', 'connections', 'connector_id'],
    ['connections_status_idx', 'connections', 'status'],
    ['credentials_expires_at_idx', 'credentials', 'expires_at'],
    ['oauth_states_expires_at_idx', 'oauth_states', 'expires_at'],
    // Foreign keys PostgreSQL does not index by itself, scanned on every cascading delete.
    ['oauth_states_user_id_idx', 'oauth_states', 'user_id'],
    ['oauth_states_connection_id_idx', 'oauth_states', 'connection_id'],
  ];
  for (const [name, table, column] of indexes) {
    await db.schema.createIndex(name).ifNotExists().on(table).column(column).execute();
  }
}

export async function down(db: AnyKysely): Promise<void> {
  for (const table of ['oauth_states', 'credentials', 'connections', 'connectors', 'users']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
