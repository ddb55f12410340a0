import type { Database } from '@cfm/db';
import { type Kysely, sql } from 'kysely';
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

type ColumnOf<T extends keyof Database> = keyof Database[T] & string;

/**
 * Where one kind of sealed value lives: its table, its ciphertext and key-id columns, and the column the
 * associated data binds it to. A union over the tables, so each entry's columns are checked against its own.
 */
type SealedColumns = {
  [T in 'credentials' | 'connectors' | 'oauth_states']: {
    table: T;
    ciphertext: ColumnOf<T>;
    keyId: ColumnOf<T>;
    owner: ColumnOf<T>;
    associatedData: (owner: string) => string;
  };
}['credentials' | 'connectors' | 'oauth_states'];

const CREDENTIALS: SealedColumns = {
  table: 'credentials',
  ciphertext: 'ciphertext',
  keyId: 'key_id',
  owner: 'connection_id',
  associatedData: associatedData.credentials,
};
const CONNECTOR_SECRETS: SealedColumns = {
  table: 'connectors',
  ciphertext: 'client_secret_ciphertext',
  keyId: 'client_secret_key_id',
  owner: 'id',
  associatedData: associatedData.connectorSecret,
};
const OAUTH_VERIFIERS: SealedColumns = {
  table: 'oauth_states',
  ciphertext: 'code_verifier_ciphertext',
  keyId: 'key_id',
  owner: 'id',
  associatedData: associatedData.oauthVerifier,
};

interface SealedRow {
  id: string;
  sealed: Sealed;
  aad: string;
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
  const rotate = (columns: SealedColumns) =>
    rotateSealedColumns(db, vault, columns, options.batchSize ?? 100, (count) =>
      options.onBatch?.(columns.table, count),
    );
  const credentials = await rotate(CREDENTIALS);
  const connectorSecrets = await rotate(CONNECTOR_SECRETS);
  const oauthStates = await rotate(OAUTH_VERIFIERS);
  return { activeKeyId: vault.activeKeyId, credentials, connectorSecrets, oauthStates };
}

async function rotateSealedColumns(
  db: Kysely<Database>,
  vault: CredentialsVault,
  columns: SealedColumns,
  batchSize: number,
  onBatch: (count: RotationCount) => void,
): Promise<RotationCount> {
  const count: RotationCount = { rotated: 0, failed: 0 };
  // Walk the rows in id order with a cursor: rows that cannot be opened stay under their old key and are
  // simply passed, so the loop ends without remembering them (a list of skipped ids would grow unbounded).
  let after: string | undefined;
  for (;;) {
    const rows = await fetchBatch(db, columns, vault.activeKeyId, batchSize, after);
    for (const row of rows) {
      after = row.id;
      let plaintext: string;
      try {
        plaintext = vault.open(row.sealed, row.aad);
      } catch {
        // Counted and reported as `failed` (VaultError: key not configured or damaged ciphertext).
        count.failed += 1;
        continue;
      }
      if (await writeSealed(db, columns, row, vault.seal(plaintext, row.aad))) count.rotated += 1;
    }
    onBatch({ ...count });
    if (rows.length < batchSize) return count;
  }
}

async function fetchBatch(
  db: Kysely<Database>,
  columns: SealedColumns,
  activeKeyId: string,
  batchSize: number,
  after: string | undefined,
): Promise<SealedRow[]> {
  let query = db
    .selectFrom(columns.table)
    .select([
      sql.ref<string>('id').as('id'),
      sql.ref<string>(columns.owner).as('owner'),
      sql.ref<string | null>(columns.ciphertext).as('ciphertext'),
      sql.ref<string | null>(columns.keyId).as('key_id'),
    ])
    .where(sql.ref(columns.ciphertext), 'is not', null)
    .where(sql.ref(columns.keyId), '<>', activeKeyId)
    .orderBy(sql.ref('id'))
    .limit(batchSize);
  if (after !== undefined) query = query.where(sql.ref('id'), '>', after);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    aad: columns.associatedData(row.owner),
    sealed: { ciphertext: row.ciphertext ?? '', keyId: row.key_id ?? '' },
  }));
}

/** Writes only while the row is still under the key it was read with (see `rotateKeys`). */
async function writeSealed(
  db: Kysely<Database>,
  columns: SealedColumns,
  row: SealedRow,
  sealed: Sealed,
): Promise<boolean> {
  const result = await db
    .updateTable(columns.table)
    .set(sql.ref(columns.ciphertext), sealed.ciphertext)
    .set(sql.ref(columns.keyId), sealed.keyId)
    .where(sql.ref('id'), '=', row.id)
    .where(sql.ref(columns.keyId), '=', row.sealed.keyId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
