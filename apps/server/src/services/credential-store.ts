import { randomUUID } from 'node:crypto';
import type { Credentials } from '@cfm/connector-sdk';
import type { CredentialRow, CredentialUpdate, Database } from '@cfm/db';
import type { Kysely } from 'kysely';
import { associatedData, type CredentialsVault } from './credentials-vault.js';

/** A database handle or an open transaction (`Transaction<Database>` is a `Kysely<Database>`). */
export type Executor = Kysely<Database>;

export interface StoredCredentials {
  credentials: Credentials;
  /** The row as stored (ciphertext included, never decrypted fields). */
  row: CredentialRow;
}

/**
 * Sealed credentials, one row per connection. The ciphertext's associated data is the connection id,
 * so a row copied to another connection does not open. Only the non-secret facts the refresher needs
 * (`expires_at`, `has_refresh_token`, `scopes`) are kept in clear.
 */
export class CredentialStore {
  readonly #vault: CredentialsVault;

  constructor(vault: CredentialsVault) {
    this.#vault = vault;
  }

  /**
   * Inserts or replaces the credentials of a connection and resets the refresh bookkeeping.
   * `last_refreshed_at` records when these tokens were obtained (it sizes the refresh margin).
   */
  async save(executor: Executor, connectionId: string, credentials: Credentials, now: Date): Promise<void> {
    const facts = this.#sealedColumns(connectionId, credentials, now);
    await executor
      .insertInto('credentials')
      .values({ id: randomUUID(), connection_id: connectionId, created_at: now, ...facts })
      .onConflict((conflict) => conflict.column('connection_id').doUpdateSet(facts))
      .execute();
  }

  /**
   * Replaces the credentials after a refresh. With `expectedUpdatedAt` the write is a compare-and-set
   * (`WHERE updated_at = …`): false means another writer got there first and nothing was written.
   */
  async replace(
    executor: Executor,
    connectionId: string,
    credentials: Credentials,
    now: Date,
    expectedUpdatedAt?: Date,
  ): Promise<boolean> {
    let query = executor
      .updateTable('credentials')
      .set(this.#sealedColumns(connectionId, credentials, now))
      .where('connection_id', '=', connectionId);
    if (expectedUpdatedAt !== undefined) query = query.where('updated_at', '=', expectedUpdatedAt);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async load(executor: Executor, connectionId: string): Promise<StoredCredentials | null> {
    const row = await executor
      .selectFrom('credentials')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .executeTakeFirst();
    return row ? { row, credentials: this.open(row) } : null;
  }

  /** Deletes the connection's credentials; true when there were some. */
  async delete(executor: Executor, connectionId: string): Promise<boolean> {
    const result = await executor
      .deleteFrom('credentials')
      .where('connection_id', '=', connectionId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Every column a new set of credentials rewrites: the ciphertext, the facts kept in clear, and the
   * refresh bookkeeping reset to "obtained now".
   */
  #sealedColumns(connectionId: string, credentials: Credentials, now: Date) {
    const sealed = this.#vault.sealJson(credentials, associatedData.credentials(connectionId));
    return {
      ciphertext: sealed.ciphertext,
      key_id: sealed.keyId,
      auth_type: credentials.type,
      expires_at: credentials.type === 'oauth2' ? parseInstant(credentials.expiresAt) : null,
      has_refresh_token: credentials.type === 'oauth2' && Boolean(credentials.refreshToken),
      scopes: credentials.type === 'oauth2' && credentials.scopes ? credentials.scopes : null,
      last_refreshed_at: now,
      refresh_failures: 0,
      next_refresh_at: null,
      refresh_error: null,
      updated_at: now,
    } satisfies CredentialUpdate;
  }

  open(row: Pick<CredentialRow, 'ciphertext' | 'key_id' | 'connection_id'>): Credentials {
    return this.#vault.openJson<Credentials>(
      { ciphertext: row.ciphertext, keyId: row.key_id },
      associatedData.credentials(row.connection_id),
    );
  }
}

function parseInstant(value: string | null | undefined): Date | null {
  if (value === undefined || value === null) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
