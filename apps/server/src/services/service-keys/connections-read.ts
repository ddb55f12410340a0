import type { Database, DatabaseHandle } from '@cfm/db';
import type { ExpressionBuilder } from 'kysely';
import type { ConnectionView, ListConnectionsInput } from '../../schemas/connection.js';
import { connectionViewQuery, pageTotal, toConnectionView } from '../connection-views.js';

/** Whose connection it is, as a back-end service sees it. */
export interface ConnectionOwner {
  id: string;
  email: string;
  subject: string;
}

export type OwnedConnectionView = ConnectionView & { user: ConnectionOwner };

export interface AnyUsersConnectionsQuery extends ListConnectionsInput {
  /** A user's email (any case) or JWT `sub`; an unknown user simply has no connections. */
  user?: string;
}

/** A user named by email (any case) or JWT `sub`. */
function isUser(user: string) {
  return (eb: ExpressionBuilder<Database, 'users'>) =>
    eb.or([eb('users.email', '=', user.toLowerCase()), eb('users.subject', '=', user)]);
}

function ownedConnectionQuery(database: DatabaseHandle) {
  return connectionViewQuery(database.db)
    .innerJoin('users', 'users.id', 'connections.user_id')
    .select(['users.id as owner_id', 'users.email as owner_email', 'users.subject as owner_subject']);
}

type OwnedRow = Awaited<ReturnType<ReturnType<typeof ownedConnectionQuery>['executeTakeFirstOrThrow']>>;

function toOwnedView(row: OwnedRow): OwnedConnectionView {
  return {
    ...toConnectionView(row),
    user: { id: row.owner_id, email: row.owner_email, subject: row.owner_subject },
  };
}

/**
 * One page of every user's connections (scope `connections:read`), newest first, with their owner;
 * `user` narrows to one user by email or subject. Same filters, paging and total as a user's own list.
 * A page that is not full tells the total by itself; otherwise the count joins only the tables a filter
 * names (every connection has its connector and its user: the foreign keys say so), so an unfiltered
 * total over a million connections counts one table.
 */
export async function listAnyUsersConnections(
  database: DatabaseHandle,
  query: AnyUsersConnectionsQuery,
): Promise<{ items: OwnedConnectionView[]; total: number; limit: number; offset: number }> {
  const limit = query.limit ?? 20;
  const offset = query.offset ?? 0;
  const { user, connector, status } = query;
  let filtered = ownedConnectionQuery(database);
  if (user !== undefined) filtered = filtered.where(isUser(user));
  if (connector !== undefined) filtered = filtered.where('connectors.key', '=', connector);
  if (status !== undefined) filtered = filtered.where('connections.status', '=', status);
  const rows = await filtered
    .orderBy('connections.created_at', 'desc')
    .orderBy('connections.id')
    .limit(limit)
    .offset(offset)
    .execute();
  const total = await pageTotal(rows.length, { limit, offset }, async () => {
    let counted = database.db.selectFrom('connections');
    if (user !== undefined) {
      counted = counted.innerJoin('users', 'users.id', 'connections.user_id').where(isUser(user));
    }
    if (connector !== undefined) {
      counted = counted
        .innerJoin('connectors', 'connectors.id', 'connections.connector_id')
        .where('connectors.key', '=', connector);
    }
    if (status !== undefined) counted = counted.where('connections.status', '=', status);
    const count = await counted.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow();
    return Number(count.total);
  });
  return { items: rows.map(toOwnedView), total, limit, offset };
}

/** Any user's connection by id, with its owner; undefined when there is none. */
export async function getAnyUsersConnection(
  database: DatabaseHandle,
  id: string,
): Promise<OwnedConnectionView | undefined> {
  const row = await ownedConnectionQuery(database).where('connections.id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toOwnedView(row);
}
