import type { DatabaseHandle, UserRole } from '@cfm/db';
import { AppError } from '../errors.js';
import type { AccessTokenClaims } from './access-tokens.js';
import { isUniqueViolation } from './unique-violation.js';

export interface User {
  id: string;
  subject: string;
  email: string;
  role: UserRole;
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

export interface UserCacheOptions {
  /** How long a verified claim tuple is trusted without reading the row. Default 30 s. */
  ttlMs?: number;
  /** At most this many tuples are kept; the oldest goes first. Default 10,000. */
  maxEntries?: number;
  /** Milliseconds clock (tests move it). */
  now?: () => number;
}

/**
 * The user row for a claim tuple (subject, email, role) that was just read or written, kept a few seconds
 * so read-only requests skip the per-request user query. Keyed by the whole tuple, so a token carrying a
 * new email or role misses and goes to the database (which syncs the row); entries expire on their own,
 * so several stateless processes each trust a tuple for at most `ttlMs`. What a hit can miss is a row
 * deleted (or re-created) outside the API meanwhile; the auth plugin therefore serves hits only to routes
 * that read the user's own rows by id, where a deleted user just looks like a user without connections.
 */
export class UserCache {
  readonly #entries = new Map<string, { user: User; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: UserCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(claims: AccessTokenClaims): User | undefined {
    const key = cacheKey(claims);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.user;
  }

  /** Records the row just read or written for these claims (replacing whatever was cached for them). */
  set(claims: AccessTokenClaims, user: User): void {
    const key = cacheKey(claims);
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { user, expiresAt: this.#now() + this.#ttlMs });
  }
}

// JSON, not a separator: claims may contain any character, and two tuples must never share a key.
const cacheKey = (claims: AccessTokenClaims): string =>
  JSON.stringify([claims.subject, claims.email, claims.role]);
