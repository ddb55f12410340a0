import type { Database } from '@cfm/db';
import type { Kysely } from 'kysely';
import type { ConnectionView } from '../schemas/connection.js';

/** Connections with their connector key and the non-secret facts of their credentials (never the ciphertext). */
export function connectionViewQuery(db: Kysely<Database>) {
  return db
    .selectFrom('connections')
    .innerJoin('connectors', 'connectors.id', 'connections.connector_id')
    .leftJoin('credentials', 'credentials.connection_id', 'connections.id')
    .select([
      'connections.id as id',
      'connectors.key as connector_key',
      'connections.config as config',
      'connections.status as status',
      'connections.status_reason as status_reason',
      'connections.identity as identity',
      'connections.scopes as scopes',
      'connections.last_tested_at as last_tested_at',
      'connections.created_at as created_at',
      'connections.updated_at as updated_at',
      'credentials.id as credential_id',
      'credentials.expires_at as expires_at',
      'credentials.scopes as credential_scopes',
    ]);
}

export type ConnectionViewRow = Awaited<
  ReturnType<ReturnType<typeof connectionViewQuery>['executeTakeFirstOrThrow']>
>;

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Identity as stored by the engine (the SDK's camelCase `AccountIdentity`) in the API's snake case. */
function toIdentity(stored: Record<string, unknown> | null): ConnectionView['identity'] {
  if (stored === null) return null;
  const accountId = stored['accountId'] ?? stored['account_id'];
  if (typeof accountId !== 'string' && typeof accountId !== 'number') return null;
  return {
    account_id: String(accountId),
    display_name: text(stored['displayName'] ?? stored['display_name']),
    email: text(stored['email']),
    workspace: text(stored['workspace']),
    site: text(stored['site']),
  };
}

const iso = (value: Date | string | null): string | null =>
  value === null ? null : value instanceof Date ? value.toISOString() : new Date(value).toISOString();

export function toConnectionView(row: ConnectionViewRow): ConnectionView {
  return {
    id: row.id,
    connector_key: row.connector_key,
    config_data: row.config,
    status: row.status,
    status_reason: row.status_reason,
    has_credentials: row.credential_id !== null,
    expires_at: iso(row.expires_at),
    scopes: row.scopes ?? row.credential_scopes ?? null,
    identity: toIdentity(row.identity),
    last_tested_at: iso(row.last_tested_at),
    created_at: iso(row.created_at) as string,
    updated_at: iso(row.updated_at) as string,
  };
}

/**
 * The total of a list page: a page that is not full tells it by itself (offset + its rows), and so does
 * an empty first page (0); a full page, or an empty one past the start, asks `count`.
 */
export async function pageTotal(
  rowCount: number,
  page: { limit: number; offset: number },
  count: () => Promise<number>,
): Promise<number> {
  if (rowCount > 0 && rowCount < page.limit) return page.offset + rowCount;
  if (rowCount === 0 && page.offset === 0) return 0;
  return count();
}
