import { randomUUID } from 'node:crypto';
import type { Logger } from '@cfm/connector-sdk';
import type { Database } from '@cfm/db';
import type { Kysely } from 'kysely';
import { describeError } from '../engine-context.js';
import { cleanAuditDetail } from './audit-detail.js';

/** Who did it: a user (id, email), a service key (id, name), or the server itself (refresher, CLI). */
export type AuditActor =
  | { type: 'user' | 'service'; id: string; label: string }
  | { type: 'system'; id: null; label: string };

export interface AuditEventInput {
  /** `connection.connect`, `connector.update`, `service_key.revoke`, `connection.proxy`… */
  action: string;
  outcome: 'success' | 'failure';
  actor: AuditActor;
  connectionId?: string | null;
  connectorKey?: string | null;
  statusCode?: number | null;
  durationMs?: number | null;
  /** Short non-secret facts; never a body, token, secret or query string (also filtered: `audit-detail.ts`). */
  detail?: Record<string, unknown>;
  requestId?: string | null;
}

/** The logger a failed write is reported to, per database (set once per app by the auth plugin). */
const loggers = new WeakMap<Kysely<Database>, Pick<Logger, 'error'>>();

export function setAuditLogger(db: Kysely<Database>, logger: Pick<Logger, 'error'>): void {
  loggers.set(db, logger);
}

const fallbackLogger: Pick<Logger, 'error'> = {
  error(message, fields) {
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: message, ...fields })}\n`);
  },
};

const clip = (text: string | null | undefined, length: number): string | null =>
  text === null || text === undefined ? null : text.slice(0, length);

/** A whole number of milliseconds or status, or null (a NaN or a negative would only mislead). */
const wholeOrNull = (value: number | null | undefined): number | null =>
  value === null || value === undefined || !Number.isFinite(value) || value < 0 ? null : Math.round(value);

/**
 * Appends one event to `audit_events`. Never throws: the action it records already happened (or was
 * refused), so a failed write is logged (without the detail) and the request goes on.
 *
 * @example
 * await recordAuditEvent(app.db.db, {
 *   action: 'connection.delete', outcome: 'success', actor: actorOf(request),
 *   connectionId: id, requestId: request.id,
 * });
 */
export async function recordAuditEvent(db: Kysely<Database>, event: AuditEventInput): Promise<void> {
  try {
    await db
      .insertInto('audit_events')
      .values({
        id: randomUUID(),
        occurred_at: new Date(),
        actor_type: event.actor.type,
        actor_id: clip(event.actor.id, 255),
        actor_label: clip(event.actor.label, 320) ?? '',
        action: event.action.slice(0, 64),
        connection_id: clip(event.connectionId, 255),
        connector_key: clip(event.connectorKey, 64),
        outcome: event.outcome,
        status_code: wholeOrNull(event.statusCode),
        duration_ms: wholeOrNull(event.durationMs),
        detail: cleanAuditDetail(event.detail),
        request_id: clip(event.requestId, 128),
      })
      .execute();
  } catch (error) {
    (loggers.get(db) ?? fallbackLogger).error('audit event not recorded', {
      action: event.action,
      outcome: event.outcome,
      requestId: event.requestId ?? null,
      error: describeError(error),
    });
  }
}
