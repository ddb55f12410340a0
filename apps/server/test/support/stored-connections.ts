import { createDatabase } from '@cfm/db';
import { CredentialStore } from '../../src/services/credential-store.js';
import { CredentialsVault } from '../../src/services/credentials-vault.js';

export interface StoredConnection {
  id: string;
  userId: string;
  connectorId: string;
  status: string;
  /** The credentials opened with the server's key; `undefined`: no row; `'unreadable'`: a row that does not open. */
  credentials: { type: string; accessToken?: string } | 'unreadable' | undefined;
}

/**
 * Every connection with its credentials opened the way the server opens them (the same vault, the row id
 * as associated data): what a crash or a race left behind, read without trusting the API.
 */
export async function readStoredConnections(
  databaseUrl: string,
  encryptionKey: string,
): Promise<StoredConnection[]> {
  const store = new CredentialStore(
    new CredentialsVault([{ id: 'default', key: Buffer.from(encryptionKey, 'base64') }]),
  );
  const handle = createDatabase(databaseUrl);
  try {
    const connections = await handle.db
      .selectFrom('connections')
      .select(['id', 'user_id', 'connector_id', 'status'])
      .execute();
    const credentials = await handle.db
      .selectFrom('credentials')
      .select(['connection_id', 'ciphertext', 'key_id'])
      .execute();
    const byConnection = new Map(credentials.map((row) => [row.connection_id, row]));
    return connections.map((connection) => {
      const row = byConnection.get(connection.id);
      let opened: StoredConnection['credentials'];
      if (row !== undefined) {
        try {
          opened = store.open(row) as StoredConnection['credentials'];
        } catch {
          opened = 'unreadable';
        }
      }
      return {
        id: connection.id,
        userId: connection.user_id,
        connectorId: connection.connector_id,
        status: connection.status,
        credentials: opened,
      };
    });
  } finally {
    await handle.close();
  }
}
