import { randomUUID } from 'node:crypto';
import type { Database, ServiceKeyRow } from '@cfm/db';
import type { Kysely } from 'kysely';
import { displayPrefixOf, generateServiceKey, hashServiceKey } from './service-key-secret.js';
import { isServiceScope, type ServiceScope } from './service-scopes.js';

/** A service key as stored, without its hash (which never leaves this module). */
export interface ServiceKeyRecord {
  id: string;
  name: string;
  scopes: ServiceScope[];
  keyPrefix: string;
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export type ServiceKeyStatus = 'active' | 'revoked' | 'expired';

export interface NewServiceKeyInput {
  name: string;
  scopes: readonly ServiceScope[];
  /** Whole days from now; none: the key never expires (revoke it instead). */
  expiresInDays?: number;
  /** The admin's user id; null from the command line. */
  createdBy: string | null;
  now?: Date;
}

const DAY_MS = 86_400_000;

const RECORD_COLUMNS = [
  'id',
  'name',
  'scopes',
  'key_prefix',
  'created_by',
  'created_at',
  'expires_at',
  'revoked_at',
  'last_used_at',
] as const satisfies readonly (keyof ServiceKeyRow)[];

type RecordRow = Pick<ServiceKeyRow, (typeof RECORD_COLUMNS)[number]>;

/** Scopes as stored; one the server no longer knows grants nothing. */
export function knownScopes(stored: unknown): ServiceScope[] {
  return Array.isArray(stored)
    ? stored.filter((scope): scope is ServiceScope => isServiceScope(String(scope)))
    : [];
}

function toRecord(row: RecordRow): ServiceKeyRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: knownScopes(row.scopes),
    keyPrefix: row.key_prefix,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export function serviceKeyStatus(
  key: Pick<ServiceKeyRecord, 'revokedAt' | 'expiresAt'>,
  now: Date = new Date(),
): ServiceKeyStatus {
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/**
 * Creates a key and returns it in clear with its record: the only time the key exists outside the
 * caller's hands. Scopes are stored deduplicated, in the order given.
 */
export async function createServiceKey(
  db: Kysely<Database>,
  input: NewServiceKeyInput,
): Promise<{ key: string; record: ServiceKeyRecord }> {
  const now = input.now ?? new Date();
  const key = generateServiceKey();
  const row = await db
    .insertInto('service_keys')
    .values({
      id: randomUUID(),
      name: input.name,
      scopes: [...new Set(input.scopes)],
      key_hash: hashServiceKey(key),
      key_prefix: displayPrefixOf(key),
      created_by: input.createdBy,
      created_at: now,
      expires_at:
        input.expiresInDays === undefined ? null : new Date(now.getTime() + input.expiresInDays * DAY_MS),
    })
    .returning(RECORD_COLUMNS)
    .executeTakeFirstOrThrow();
  return { key, record: toRecord(row) };
}

/** Newest first, revoked and expired keys included (their status says so). */
export async function listServiceKeys(
  db: Kysely<Database>,
  page: { limit: number; offset: number },
): Promise<{ records: ServiceKeyRecord[]; total: number }> {
  const [rows, count] = await Promise.all([
    db
      .selectFrom('service_keys')
      .select(RECORD_COLUMNS)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    db
      .selectFrom('service_keys')
      .select((eb) => eb.fn.countAll().as('total'))
      .executeTakeFirstOrThrow(),
  ]);
  return { records: rows.map(toRecord), total: Number(count.total) };
}

export async function findServiceKey(
  db: Kysely<Database>,
  id: string,
): Promise<ServiceKeyRecord | undefined> {
  const row = await db
    .selectFrom('service_keys')
    .select(RECORD_COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

/**
 * Revokes a key for every server process at once: each request reads the key's row, so the next one
 * after this write is refused. Revoking a revoked key keeps its first `revoked_at` (`revokedNow: false`).
 * Undefined for an unknown id.
 */
export async function revokeServiceKey(
  db: Kysely<Database>,
  id: string,
  now: Date = new Date(),
): Promise<{ record: ServiceKeyRecord; revokedNow: boolean } | undefined> {
  const updated = await db
    .updateTable('service_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning(RECORD_COLUMNS)
    .executeTakeFirst();
  if (updated !== undefined) return { record: toRecord(updated), revokedNow: true };
  const existing = await findServiceKey(db, id);
  return existing === undefined ? undefined : { record: existing, revokedNow: false };
}
