import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { repoUrl } from './paths.mjs';

/** `pg`, the driver `@cfm/db` itself uses (the bench has no dependency of its own on it). */
export const pg = createRequire(repoUrl('packages/db/package.json'))('pg');

/** Bulk users are `bench|scale-<i>`, i from 1; their ids are derived from i so connections need no join. */
export const bulkSubject = (index) => `bench|scale-${index}`;
export const bulkEmail = (index) => `scale-${index}@bench.example`;

const BIG_TABLES = ['connections', 'credentials'];

/**
 * The keys and indexes of the tables about to be bulk-loaded, as the migrations made them: primary and
 * unique keys, foreign keys from or to these tables, plain indexes. `drop` and `restore` take them off
 * and put them back, names and definitions unchanged.
 */
async function keysAndIndexes(client) {
  const constraints = await client.query(
    `select conrelid::regclass::text as "table", conname as name, contype as type,
            pg_get_constraintdef(oid) as definition
     from pg_constraint
     where contype in ('p', 'u', 'f')
       and (conrelid = any($1::regclass[]) or confrelid = any($1::regclass[]))`,
    [BIG_TABLES],
  );
  const indexes = await client.query(
    `select indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as definition
     from pg_index
     where indrelid = any($1::regclass[])
       and not exists (select 1 from pg_constraint
                       where conindid = indexrelid and contype in ('p', 'u', 'x') and conrelid = indrelid)`,
    [BIG_TABLES],
  );
  const keys = constraints.rows.filter((row) => row.type !== 'f');
  const foreign = constraints.rows.filter((row) => row.type === 'f');
  const quote = (name) => `"${name.replaceAll('"', '""')}"`;
  return {
    async drop() {
      for (const row of indexes.rows) await client.query(`drop index ${row.name}`);
      for (const row of [...foreign, ...keys]) {
        await client.query(`alter table ${row.table} drop constraint ${quote(row.name)}`);
      }
    },
    async restore() {
      for (const row of keys) {
        await client.query(`alter table ${row.table} add constraint ${quote(row.name)} ${row.definition}`);
      }
      for (const row of indexes.rows) await client.query(row.definition);
      // Validated here, once, by one join per key instead of one lookup per inserted row.
      for (const row of foreign) {
        await client.query(`alter table ${row.table} add constraint ${quote(row.name)} ${row.definition}`);
      }
    },
  };
}

/**
 * Fills a database the server has migrated and that was seeded through its API (`seedOverHttp`: custom
 * connectors `bench-custom-*`, one user with one connection to each) up to `users` users with
 * `perUser` connections each, in SQL (`INSERT … SELECT` over `generate_series`): `users - 1` more
 * users, each connected to the same `perUser` custom connectors.
 *
 * Rows go in connector by connector (all users' first connection, then all users' second…) with
 * `created_at` rising in that order, as a table filled over months would be: one user's rows sit on
 * `perUser` distant heap pages, not on one. Statuses: 90% active (identity, tested), 5% error, 5% pending
 * (a flow left unfinished, no credentials); every other connection has sealed-looking API-key
 * credentials of realistic width.
 *
 * One transaction takes the keys and indexes of `connections` and `credentials` off, inserts, and puts
 * them back: a million random UUIDs into eight live B-trees take minutes, building the trees afterwards
 * takes seconds (the trees come out denser than years of random inserts would leave them: a slightly
 * kind figure for the large table). Ends with `VACUUM (ANALYZE)`: statistics as autovacuum would leave
 * them, and no autovacuum or hint-bit writes competing with the measurement afterwards.
 */
export async function bulkLoad(url, { users, perUser }) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const connectors = await client.query(
      "select id from connectors where key like 'bench-custom-%' order by length(key), key limit $1",
      [perUser],
    );
    if (connectors.rowCount < perUser) {
      throw new Error(`needs ${perUser} custom connectors, the catalogue has ${connectors.rowCount}`);
    }
    const sealed = await client.query('select key_id, ciphertext from credentials limit 1');
    const { key_id: keyId, ciphertext } = sealed.rows[0];
    const bulkUsers = users - 1;
    const total = bulkUsers * perUser;
    const timings = {};
    const timed = async (name, work) => {
      const started = performance.now();
      await work();
      timings[name] = performance.now() - started;
    };
    // Every bulk row is older than the API-seeded ones: 15 s apart, ending a day ago.
    const spanSeconds = total * 15 + 86_400;

    await client.query('begin');
    await client.query("set local maintenance_work_mem = '256MB'");
    await timed('users', () =>
      client.query(
        `insert into users (id, subject, email, role, created_at, updated_at)
         select md5('bench-scale-user-' || i)::uuid::text, 'bench|scale-' || i, 'scale-' || i || '@bench.example',
                'user', now() - make_interval(secs => $2::int - (i - 1) * 15),
                now() - make_interval(secs => $2::int - (i - 1) * 15)
         from generate_series(1, $1::int) as i`,
        [bulkUsers, spanSeconds],
      ),
    );
    const schema = await keysAndIndexes(client);
    await schema.drop();
    // r = k * bulkUsers + (i - 1): connector k of user i; one series, so the insertion order is r's.
    await timed('connections and credentials', () =>
      client.query(
        `with series as (
           select r, r / $1::int as k, r % $1::int + 1 as i,
                  case (r * 7) % 20 when 0 then 'error' when 1 then 'pending' else 'active' end as status,
                  now() - make_interval(secs => $2::int - r * 15) as at
           from generate_series(0, $1::int * $3::int - 1) as r
         ), inserted as (
           insert into connections
             (id, user_id, connector_id, config, status, status_reason, identity, last_tested_at, created_at, updated_at)
           select gen_random_uuid()::text, md5('bench-scale-user-' || i)::uuid::text, ($4::text[])[k + 1],
                  '{}'::jsonb, status, case status when 'error' then 'The check answered 401 Unauthorized' end,
                  case when status <> 'pending' then jsonb_build_object('accountId', 'acct-' || i || '-' || k) end,
                  case when status <> 'pending' then at end, at, at
           from series
           returning id, status, created_at
         )
         insert into credentials
           (id, connection_id, ciphertext, key_id, auth_type, expires_at, has_refresh_token, created_at, updated_at)
         select gen_random_uuid()::text, id, 'v1.' || md5(id) || '.' || $5::text, $6::text, 'api_key', null, false,
                created_at, created_at
         from inserted
         where status <> 'pending'`,
        [
          bulkUsers,
          spanSeconds,
          perUser,
          connectors.rows.map((row) => row.id),
          // Same width as a real sealed API key (`v1.<iv>.<tag>.<body>`), different bytes.
          ciphertext.slice(3 + 32 + 1),
          keyId,
        ],
      ),
    );
    await timed('keys and indexes', () => schema.restore());
    await client.query('commit');
    await timed('vacuum analyze', () => client.query('vacuum (analyze) users, connections, credentials'));
    const counts = await client.query(
      `select (select count(*) from users)::int as users, (select count(*) from connections)::int as connections,
              (select count(*) from credentials)::int as credentials,
              pg_total_relation_size('connections') + pg_total_relation_size('credentials') as bytes`,
    );
    return { timings, ...counts.rows[0], bytes: Number(counts.rows[0].bytes) };
  } finally {
    await client.end();
  }
}

/**
 * The SQL `listConnections` (apps/server/src/services/connections.ts) sends for a user's first page,
 * written out by hand from `connectionViewQuery` (connection-views.ts) and its defaults (limit 20,
 * offset 0). Keep it in step when that query changes: the plan printed is only as true as this copy.
 */
const LIST_SQL = `select "connections"."id" as "id", "connectors"."key" as "connector_key",
  "connections"."config" as "config", "connections"."status" as "status",
  "connections"."status_reason" as "status_reason", "connections"."identity" as "identity",
  "connections"."scopes" as "scopes", "connections"."last_tested_at" as "last_tested_at",
  "connections"."created_at" as "created_at", "connections"."updated_at" as "updated_at",
  "credentials"."id" as "credential_id", "credentials"."expires_at" as "expires_at",
  "credentials"."scopes" as "credential_scopes", count(*) over() as "total"
from "connections"
inner join "connectors" on "connectors"."id" = "connections"."connector_id"
left join "credentials" on "credentials"."connection_id" = "connections"."id"
where "connections"."user_id" = $1
order by "connections"."created_at" desc, "connections"."id"
limit $2 offset $3`;

/**
 * A client of its own sending the list query for the user with `subject` as the server's driver does
 * (`pg`, an unnamed statement with bound values, so planned on every call): the database's part of a
 * list request, without HTTP or the server.
 */
export async function listQueryClient(url, subject) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const user = await client.query('select id from users where subject = $1', [subject]);
  const values = [user.rows[0].id, 20, 0];
  return {
    run: () => client.query(LIST_SQL, values),
    /** `EXPLAIN (ANALYZE, BUFFERS)`: the scan lines (which index), the plan's buffers, the execution time. */
    async explain() {
      const plan = await client.query(`explain (analyze, buffers) ${LIST_SQL}`, values);
      const lines = plan.rows.map((row) => row['QUERY PLAN']);
      const scans = lines
        .filter((line) => / Scan /.test(line))
        .map((line) => line.replace(/^[\s>-]+/, '').replace(/\s+\(cost=[^)]*\)/, ''));
      const buffers = lines.find((line) => line.trim().startsWith('Buffers:'))?.trim() ?? 'Buffers: none';
      const execution = lines.find((line) => line.startsWith('Execution Time')) ?? '';
      return { scans, buffers, execution, lines };
    },
    close: () => client.end(),
  };
}
