import { createDatabase } from '@cfm/db';
import { searchableText } from './secret-search.js';

/** Every row a user owns (their user row, connections, credentials, pending OAuth states), as text. */
export interface RowSnapshot {
  users: string;
  connections: string;
  credentials: string;
  oauth_states: string;
  /** Every custom and packaged connector row, when asked for. */
  connectors?: string;
  /** Every service key row, when asked for. */
  service_keys?: string;
}

function text(rows: Array<{ id: string }>): string {
  return searchableText([...rows].sort((left, right) => left.id.localeCompare(right.id)));
}

/**
 * Reads what `userId` owns, whole (`SELECT *`), through a short-lived handle: compare two snapshots to
 * prove that nothing of theirs changed. `shared` adds the tables an admin alone may change.
 */
export async function snapshotRows(url: string, userId: string, shared = false): Promise<RowSnapshot> {
  const handle = createDatabase(url);
  try {
    const { db } = handle;
    const connections = await db
      .selectFrom('connections')
      .selectAll()
      .where('user_id', '=', userId)
      .execute();
    const ids = connections.map((row) => row.id);
    const credentials =
      ids.length === 0
        ? []
        : await db.selectFrom('credentials').selectAll().where('connection_id', 'in', ids).execute();
    const snapshot: RowSnapshot = {
      users: text(await db.selectFrom('users').selectAll().where('id', '=', userId).execute()),
      connections: text(connections),
      credentials: text(credentials),
      oauth_states: text(
        await db.selectFrom('oauth_states').selectAll().where('user_id', '=', userId).execute(),
      ),
    };
    if (shared) {
      snapshot.connectors = text(await db.selectFrom('connectors').selectAll().execute());
      snapshot.service_keys = text(await db.selectFrom('service_keys').selectAll().execute());
    }
    return snapshot;
  } finally {
    await handle.close();
  }
}
