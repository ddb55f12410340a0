import type { DatabaseHandle, UserRole } from '@cfm/db';
import { AppError } from '../errors.js';
import type { AccessTokenClaims } from './access-tokens.js';

export interface User {
  id: string;
  subject: string;
  email: string;
  role: UserRole;
}

/** True for a unique-constraint violation on either dialect. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

async function findBySubject(handle: DatabaseHandle, subject: string): Promise<User | undefined> {
  return handle.db
    .selectFrom('users')
    .select(['id', 'subject', 'email', 'role'])
    .where('subject', '=', subject)
    .executeTakeFirst();
}

/**
 * The user for a verified token: created on first sight, email and role kept in sync with the claims.
 * Concurrent first requests of one subject converge on one row; an email already held by another
 * subject is a 409 `CFM_EMAIL_CONFLICT`, never a 500.
 */
export async function upsertUserFromClaims(handle: DatabaseHandle, claims: AccessTokenClaims): Promise<User> {
  const existing = await findBySubject(handle, claims.subject);
  if (existing !== undefined && existing.email === claims.email && existing.role === claims.role) {
    return existing;
  }
  try {
    const now = new Date();
    return await handle.db
      .insertInto('users')
      .values({ id: crypto.randomUUID(), subject: claims.subject, email: claims.email, role: claims.role })
      .onConflict((conflict) =>
        conflict.column('subject').doUpdateSet({ email: claims.email, role: claims.role, updated_at: now }),
      )
      .returning(['id', 'subject', 'email', 'role'])
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (!isUniqueViolation(error)) {
      throw error;
    }
    // Either another subject holds this email, or a concurrent request of this subject won a race the
    // upsert could not absorb (PostgreSQL checks the email index before resolving the subject conflict).
    const winner = await findBySubject(handle, claims.subject);
    if (winner !== undefined && winner.email === claims.email) {
      return winner;
    }
    throw new AppError('CFM_EMAIL_CONFLICT', 'Another account already uses the email address in this token', {
      cause: error,
    });
  }
}
