import type { Database } from '@cfm/db';
import type { Kysely } from 'kysely';

export const STATE_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes pending authorization records that are of no further use: expired more than a day ago, or
 * consumed more than a day ago (kept that long so a replayed callback still reads "already used").
 * Returns how many rows went.
 */
export async function cleanupOAuthStates(db: Kysely<Database>, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - STATE_RETENTION_MS);
  const result = await db
    .deleteFrom('oauth_states')
    .where((where) => where.or([where('expires_at', '<', cutoff), where('consumed_at', '<', cutoff)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
