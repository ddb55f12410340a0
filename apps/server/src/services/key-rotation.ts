import type { Database } from '@cfm/db';
import type { Kysely } from 'kysely';
import { associatedData, type CredentialsVault, type Sealed } from './credentials-vault.js';

export interface RotationCount {
  /** Rows re-encrypted under the active key by this run. */
  rotated: number;
  /** Rows that could not be opened (key missing or ciphertext damaged); left untouched. */
  failed: number;
}

export interface KeyRotationResult {
  activeKeyId: string;
  credentials: RotationCount;
  connectorSecrets: RotationCount;
  oauthStates: RotationCount;
}

export interface KeyRotationOptions {
  /** Rows read per query. Default 100. */
  batchSize?: number;
  /** Called after each batch (for progress output). */
  onBatch?: (table: string, count: RotationCount) => void;
}

interface SealedRow {
  id: string;
  sealed: Sealed;
}

/**
 * Re-encrypts every sealed value not under the vault's active key: credentials, custom connectors' client
 * secrets and pending OAuth verifiers. Each row is written with `WHERE key_id = <the old id>`, so the run
 * can be interrupted and started again, and a row changed meanwhile (a refresh) is not overwritten. When
 * a run reports 0 failed everywhere, no row needs the old keys any more and they can be removed.
 */
export async function rotateKeys(
  db: Kysely<Database>,
  vault: CredentialsVault,
  options: KeyRotationOptions = {},
): Promise<KeyRotationResult> {
  const batchSize = options.batchSize ?? 100;
  const active = vault.activeKeyId;
  const report = (table: string) => (count: RotationCount) => options.onBatch?.(table, count);

  const credentials = await rotateTable(
    batchSize,
    async (skip) => {
      let query = db
        .selectFrom('credentials')
        .select(['id', 'connection_id', 'ciphertext', 'key_id'])
        .where('key_id', '<>', active)
        .orderBy('id')
        .limit(batchSize);
      if (skip.length > 0) query = query.where('id', 'not in', skip);
      const rows = await query.execute();
      return rows.map((row) => ({
        id: row.id,
        aad: associatedData.credentials(row.connection_id),
        sealed: { ciphertext: row.ciphertext, keyId: row.key_id },
      }));
    },
    async (row, sealed) => {
      const result = await db
        .updateTable('credentials')
        .set({ ciphertext: sealed.ciphertext, key_id: sealed.keyId })
        .where('id', '=', row.id)
        .where('key_id', '=', row.sealed.keyId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    vault,
    report('credentials'),
  );

  const connectorSecrets = await rotateTable(
    batchSize,
    async (skip) => {
      let query = db
        .selectFrom('connectors')
        .select(['id', 'client_secret_ciphertext', 'client_secret_key_id'])
        .where('client_secret_ciphertext', 'is not', null)
        .where('client_secret_key_id', '<>', active)
        .orderBy('id')
        .limit(batchSize);
      if (skip.length > 0) query = query.where('id', 'not in', skip);
      const rows = await query.execute();
      return rows.map((row) => ({
        id: row.id,
        aad: associatedData.connectorSecret(row.id),
        sealed: { ciphertext: row.client_secret_ciphertext ?? '', keyId: row.client_secret_key_id ?? '' },
      }));
    },
    async (row, sealed) => {
      const result = await db
        .updateTable('connectors')
        .set({ client_secret_ciphertext: sealed.ciphertext, client_secret_key_id: sealed.keyId })
        .where('id', '=', row.id)
        .where('client_secret_key_id', '=', row.sealed.keyId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    vault,
    report('connectors'),
  );

  const oauthStates = await rotateTable(
    batchSize,
    async (skip) => {
      let query = db
        .selectFrom('oauth_states')
        .select(['id', 'code_verifier_ciphertext', 'key_id'])
        .where('code_verifier_ciphertext', 'is not', null)
        .where('key_id', '<>', active)
        .orderBy('id')
        .limit(batchSize);
      if (skip.length > 0) query = query.where('id', 'not in', skip);
      const rows = await query.execute();
      return rows.map((row) => ({
        id: row.id,
        aad: associatedData.oauthVerifier(row.id),
        sealed: { ciphertext: row.code_verifier_ciphertext ?? '', keyId: row.key_id ?? '' },
      }));
    },
    async (row, sealed) => {
      const result = await db
        .updateTable('oauth_states')
        .set({ code_verifier_ciphertext: sealed.ciphertext, key_id: sealed.keyId })
        .where('id', '=', row.id)
        .where('key_id', '=', row.sealed.keyId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    vault,
    report('oauth_states'),
  );

  return { activeKeyId: active, credentials, connectorSecrets, oauthStates };
}

async function rotateTable(
  batchSize: number,
  fetch: (skip: string[]) => Promise<Array<SealedRow & { aad: string }>>,
  write: (row: SealedRow, sealed: Sealed) => Promise<boolean>,
  vault: CredentialsVault,
  onBatch: (count: RotationCount) => void,
): Promise<RotationCount> {
  const count: RotationCount = { rotated: 0, failed: 0 };
  // Rows that cannot be opened stay under their old key; skipping them keeps the loop finite.
  const unreadable: string[] = [];
  for (;;) {
    const rows = await fetch(unreadable);
    for (const row of rows) {
      let plaintext: string;
      try {
        plaintext = vault.open(row.sealed, row.aad);
      } catch {
        // Counted and reported as `failed` (VaultError: key not configured or damaged ciphertext).
        unreadable.push(row.id);
        count.failed += 1;
        continue;
      }
      if (await write(row, vault.seal(plaintext, row.aad))) count.rotated += 1;
    }
    onBatch({ ...count });
    if (rows.length < batchSize) return count;
  }
}
