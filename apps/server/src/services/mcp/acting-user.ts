import type { DatabaseHandle } from '@cfm/db';
import type { User } from '../users.js';

/** The longest `X-CFM-User` looked up (an email is at most 320 characters). */
export const MAX_USER_REFERENCE_LENGTH = 320;

/**
 * The user a service key names in `X-CFM-User`: by JWT `sub`, or by email in any case (emails are stored
 * lower-cased), as `?user=` of the connection list matches. A subject match wins over an email match.
 */
export async function findUserByReference(
  database: DatabaseHandle,
  reference: string,
): Promise<User | undefined> {
  const value = reference.trim();
  if (value === '' || value.length > MAX_USER_REFERENCE_LENGTH) return undefined;
  const rows = await database.db
    .selectFrom('users')
    .select(['id', 'subject', 'email', 'role'])
    .where((eb) => eb.or([eb('subject', '=', value), eb('email', '=', value.toLowerCase())]))
    .limit(2)
    .execute();
  return rows.find((row) => row.subject === value) ?? rows[0];
}
