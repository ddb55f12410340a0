import type { ApiKeyCredentials, BasicCredentials } from '@cfm/connector-sdk';
import { loadOwnedConnection } from './connector-access.js';
import { CredentialStore } from './credential-store.js';
import { clockOf, type EngineContext } from './engine-context.js';
import { ServiceError } from './service-error.js';

export interface SaveApiKeyCredentialsInput {
  connectionId: string;
  userId: string;
  credentials: ApiKeyCredentials | BasicCredentials;
}

/**
 * Stores API-key or basic credentials a user typed in, sealed exactly like OAuth tokens. The values must
 * match one of the connector's `api_key` / `basic` descriptors (every declared field present, nothing else).
 * The connection goes to `pending` until a test proves the credentials work.
 */
export async function saveApiKeyCredentials(
  context: EngineContext,
  input: SaveApiKeyCredentialsInput,
): Promise<void> {
  const { db } = context.database;
  const connection = await loadOwnedConnection(db, input.connectionId, input.userId);
  const connector = await context.connectors.resolveById(connection.connector_id);
  if (!connector)
    throw new ServiceError('CFM_CONNECTOR_NOT_LOADED', "The connection's connector is not loaded");
  checkAgainstDescriptors(connector.definition.auth, input.credentials, connector.key);
  const now = clockOf(context)();
  const store = new CredentialStore(context.vault);
  await db.transaction().execute(async (transaction) => {
    await store.save(transaction, connection.id, input.credentials, now);
    await transaction
      .updateTable('connections')
      .set({ status: 'pending', status_reason: null, updated_at: now })
      .where('id', '=', connection.id)
      .execute();
  });
}

type Descriptors = ReadonlyArray<{ type: string; fields?: ReadonlyArray<{ name: string }> }>;

function checkAgainstDescriptors(
  auth: Descriptors,
  credentials: ApiKeyCredentials | BasicCredentials,
  key: string,
) {
  const invalid = (message: string) => new ServiceError('CFM_CREDENTIALS_INVALID', message);
  if (credentials.type === 'basic') {
    if (!auth.some((descriptor) => descriptor.type === 'basic')) {
      throw invalid(`Connector "${key}" does not accept a username and password`);
    }
    if (!credentials.username || !credentials.password)
      throw invalid('Both username and password are required');
    return;
  }
  const descriptors = auth.filter((descriptor) => descriptor.type === 'api_key');
  if (descriptors.length === 0) throw invalid(`Connector "${key}" does not accept API keys`);
  const given = Object.keys(credentials.values);
  const fits = descriptors.some((descriptor) => {
    const names = (descriptor.fields ?? []).map((field) => field.name);
    return (
      names.every((name) => Boolean(credentials.values[name])) && given.every((name) => names.includes(name))
    );
  });
  if (!fits) {
    const expected = descriptors.map((descriptor) =>
      (descriptor.fields ?? []).map((field) => field.name).join(', '),
    );
    throw invalid(`The API key fields must be exactly: ${expected.join(' or ')}`);
  }
}
