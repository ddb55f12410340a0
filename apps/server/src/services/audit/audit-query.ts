import type { AuditEventRow, Database } from '@cfm/db';
import type { Kysely } from 'kysely';

export interface AuditEventFilters {
  connectionId?: string;
  action?: string;
  actorId?: string;
  /** Only events at or after this instant. */
  since?: Date;
}

/** Where the previous page ended: the last event's time and id (events are ordered by both). */
export interface AuditCursor {
  at: Date;
  id: string;
}

/** Opaque to clients: base64url of `[occurred_at ISO, id]`. */
export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(JSON.stringify([cursor.at.toISOString(), cursor.id])).toString('base64url');
}

/** The cursor in `text`, or undefined when it is not one this server made. */
export function decodeAuditCursor(text: string): AuditCursor | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined; // not JSON: not one of ours, which the caller reports as a bad request
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || id.length === 0 || id.length > 255)
    return undefined;
  const date = new Date(at);
  return Number.isNaN(date.getTime()) || date.toISOString() !== at ? undefined : { at: date, id };
}

/**
 * One page of events, newest first (`occurred_at desc, id desc`, keyset-paged: a page is one index range
 * scan however deep the client pages, and events appended meanwhile never shift it). `nextCursor` is null
 * on the last page.
 */
export async function listAuditEvents(
  db: Kysely<Database>,
  query: AuditEventFilters & { cursor?: AuditCursor; limit: number },
): Promise<{ events: AuditEventRow[]; nextCursor: string | null }> {
  let select = db.selectFrom('audit_events').selectAll();
  if (query.connectionId !== undefined) select = select.where('connection_id', '=', query.connectionId);
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  if (query.actorId !== undefined) select = select.where('actor_id', '=', query.actorId);
  if (query.since !== undefined) select = select.where('occurred_at', '>=', query.since);
  const cursor = query.cursor;
  if (cursor !== undefined) {
    select = select.where((eb) =>
      eb.or([
        eb('occurred_at', '<', cursor.at),
        eb.and([eb('occurred_at', '=', cursor.at), eb('id', '<', cursor.id)]),
      ]),
    );
  }
  const rows = await select
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const events = rows.slice(0, query.limit);
  const last = events.at(-1);
  return {
    events,
    nextCursor:
      rows.length > query.limit && last !== undefined
        ? encodeAuditCursor({ at: last.occurred_at, id: last.id })
        : null,
  };
}
