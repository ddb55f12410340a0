import type { Database } from '@cfm/db';
import type { Kysely } from 'kysely';
import { hashServiceKey, isWellFormedServiceKey } from './service-key-secret.js';
import { knownScopes, serviceKeyStatus } from './service-key-store.js';
import type { ServiceScope } from './service-scopes.js';

export interface VerifiedServiceKey {
  id: string;
  name: string;
  scopes: ServiceScope[];
  lastUsedAt: Date | null;
}

export type ServiceKeyCheck =
  | { ok: true; key: VerifiedServiceKey }
  /** `invalid`: not a key we issued (malformed, unknown); the others name the key that was refused. */
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'revoked' | 'expired'; key: { id: string; name: string } };

/**
 * Checks a presented key against the database: one indexed lookup by its hash, on every request, so a
 * revocation written by any process applies to the very next request everywhere (there is deliberately
 * no cache of verdicts). A malformed key is refused without a query.
 */
export async function verifyServiceKey(
  db: Kysely<Database>,
  presented: string,
  now: Date = new Date(),
): Promise<ServiceKeyCheck> {
  if (!isWellFormedServiceKey(presented)) return { ok: false, reason: 'invalid' };
  const row = await db
    .selectFrom('service_keys')
    .select(['id', 'name', 'scopes', 'expires_at', 'revoked_at', 'last_used_at'])
    .where('key_hash', '=', hashServiceKey(presented))
    .executeTakeFirst();
  if (row === undefined) return { ok: false, reason: 'invalid' };
  const status = serviceKeyStatus({ revokedAt: row.revoked_at, expiresAt: row.expires_at }, now);
  if (status !== 'active') return { ok: false, reason: status, key: { id: row.id, name: row.name } };
  return {
    ok: true,
    key: { id: row.id, name: row.name, scopes: knownScopes(row.scopes), lastUsedAt: row.last_used_at },
  };
}
