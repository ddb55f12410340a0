import { randomUUID } from 'node:crypto';
import type { ConnectorRow, DatabaseHandle } from '@cfm/db';
import { AppError, type ErrorDetail } from '../errors.js';
import type { ConnectorView } from '../schemas/connector.js';
import {
  type CreateCustomConnectorInput,
  type CustomConnectorInput,
  PACKAGED_EDITABLE_FIELDS,
  type UpdateConnectorInput,
} from '../schemas/custom-connector.js';
import { asJsonData } from './connector-catalog-sync.js';
import type { ConnectorRegistry } from './connector-registry.js';
import type { ConnectorUrlPolicy } from './connector-url-policy.js';
import { associatedData, type CredentialsVault } from './credentials-vault.js';
import { customConnectorProblems, toAuthDescriptor, toStoredDefinition } from './custom-connector.js';
import type { EngineContext } from './engine-context.js';
import { type GrantRevocationOptions, type GrantRevocationSummary, revokeConnectorGrants } from './revoke.js';
import { isUniqueViolation } from './unique-violation.js';

export interface ConnectorAdminContext {
  database: DatabaseHandle;
  vault: CredentialsVault;
  registry: ConnectorRegistry;
  urlPolicy: ConnectorUrlPolicy;
  /** What provider calls go through (origin overrides, logger): deleting a connector revokes its grants. */
  engine: EngineContext;
  /** Deleting a connector: how many revocations at once, and for how long at most. */
  revocation?: GrantRevocationOptions;
}

function invalid(details: ErrorDetail[]): AppError {
  const message = details.map((detail) => `${detail.field} ${detail.message}`).join(', ');
  return new AppError('CFM_CONNECTOR_INVALID', message, { details });
}

function exists(key: string): AppError {
  return new AppError('CFM_CONNECTOR_EXISTS', `A connector with the key "${key}" already exists`);
}

async function findRow(context: ConnectorAdminContext, key: string): Promise<ConnectorRow> {
  await context.registry.ensureSynced();
  const row = await context.database.db
    .selectFrom('connectors')
    .selectAll()
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row) throw new AppError('CFM_CONNECTOR_NOT_FOUND', `Connector "${key}" not found`);
  return row;
}

/** The columns a custom declaration maps to (the secret handled by the caller). */
function declarationColumns(input: CustomConnectorInput) {
  const stored = toStoredDefinition(input);
  return {
    name: input.name,
    description: input.description ?? '',
    icon_url: input.icon_url ?? null,
    docs_url: input.docs_url ?? null,
    categories: input.categories ?? [],
    auth_type: input.auth.type,
    auth: [asJsonData(toAuthDescriptor(stored.auth))] as unknown as Record<string, unknown>[],
    config_schema: input.config_schema ?? { type: 'object', properties: {} },
    custom_definition: stored as unknown as Record<string, unknown>,
  };
}

/** A timestamp later than `previous`: the registry caches compiled definitions by `updated_at`. */
function nextTimestamp(previous: Date): Date {
  const now = Date.now();
  return new Date(Math.max(now, previous.getTime() + 1));
}

/**
 * Creates a custom connector. The client secret is sealed by the vault, bound to the row id, and never
 * returned. 409 `CFM_CONNECTOR_EXISTS` for a key a package or another connector holds (the unique
 * constraint decides races); 400 `CFM_CONNECTOR_INVALID` listing every problem.
 */
export async function createCustomConnector(
  context: ConnectorAdminContext,
  input: CreateCustomConnectorInput,
): Promise<ConnectorView> {
  const { key, enabled, ...declaration } = input;
  if (context.registry.isPackagedKey(key)) throw exists(key);
  const problems = customConnectorProblems(key, declaration, context.urlPolicy);
  if (declaration.auth.type === 'oauth2' && declaration.auth.client_secret === undefined) {
    problems.push({ field: 'body/auth/client_secret', message: 'is required for an oauth2 connector' });
  }
  if (problems.length > 0) throw invalid(problems);
  await context.registry.ensureSynced();
  const id = randomUUID();
  const sealed =
    declaration.auth.type === 'oauth2' && declaration.auth.client_secret !== undefined
      ? context.vault.seal(declaration.auth.client_secret, associatedData.connectorSecret(id))
      : null;
  const now = new Date();
  try {
    const row = await context.database.db
      .insertInto('connectors')
      .values({
        id,
        key,
        source: 'custom',
        version: null,
        ...declarationColumns(declaration),
        ...(enabled !== undefined && { enabled }),
        load_status: 'loaded',
        client_secret_ciphertext: sealed?.ciphertext ?? null,
        client_secret_key_id: sealed?.keyId ?? null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    context.registry.catalogueChanged();
    return context.registry.describe(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw exists(key);
    throw error;
  }
}

/**
 * Updates a connector: a custom one is replaced whole (omitting `client_secret` keeps the stored one);
 * a packaged one only takes display fields and `enabled` (anything else: 400 `CFM_CONNECTOR_READ_ONLY`).
 */
export async function updateConnector(
  context: ConnectorAdminContext,
  key: string,
  input: UpdateConnectorInput,
): Promise<ConnectorView> {
  const row = await findRow(context, key);
  const updatedAt = nextTimestamp(row.updated_at);
  if (row.source === 'package') {
    const editable: readonly string[] = PACKAGED_EDITABLE_FIELDS;
    const refused = Object.keys(input).filter((field) => !editable.includes(field));
    if (refused.length > 0) {
      throw new AppError(
        'CFM_CONNECTOR_READ_ONLY',
        `A packaged connector's ${refused.join(', ')} come from its package and cannot be changed`,
        {
          details: refused.map((field) => ({
            field: `body/${field}`,
            message: 'cannot be changed on a packaged connector',
          })),
        },
      );
    }
    const changes = Object.fromEntries(
      PACKAGED_EDITABLE_FIELDS.filter((field) => input[field] !== undefined).map((field) => [
        field,
        input[field],
      ]),
    );
    const updated = await context.database.db
      .updateTable('connectors')
      .set({ ...changes, updated_at: updatedAt })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    context.registry.catalogueChanged();
    return context.registry.describe(updated);
  }

  const { enabled, name, auth, check, ...rest } = input;
  const missing = (['name', 'auth', 'check'] as const).filter((field) => input[field] === undefined);
  if (missing.length > 0 || name === undefined || auth === undefined || check === undefined) {
    throw invalid(
      missing.map((field) => ({
        field: `body/${field}`,
        message: 'is required to update a custom connector',
      })),
    );
  }
  const declaration: CustomConnectorInput = { ...rest, name, auth, check };
  const problems = customConnectorProblems(key, declaration, context.urlPolicy);
  const newSecret = auth.type === 'oauth2' ? auth.client_secret : undefined;
  if (auth.type === 'oauth2' && newSecret === undefined && row.client_secret_ciphertext === null) {
    problems.push({ field: 'body/auth/client_secret', message: 'is required for an oauth2 connector' });
  }
  if (problems.length > 0) throw invalid(problems);
  const sealed =
    newSecret === undefined
      ? undefined
      : context.vault.seal(newSecret, associatedData.connectorSecret(row.id));
  const secretColumns =
    auth.type !== 'oauth2'
      ? { client_secret_ciphertext: null, client_secret_key_id: null }
      : sealed
        ? { client_secret_ciphertext: sealed.ciphertext, client_secret_key_id: sealed.keyId }
        : {};
  const updated = await context.database.db
    .updateTable('connectors')
    .set({
      ...declarationColumns(declaration),
      ...secretColumns,
      ...(enabled !== undefined && { enabled }),
      updated_at: updatedAt,
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  context.registry.catalogueChanged();
  return context.registry.describe(updated);
}

/**
 * Deletes a custom connector. It is disabled first (no new authorization starts meanwhile), then every
 * connection's grant is revoked at the provider (4 at a time, at most 60 s in all; a failure is counted
 * and logged, never a reason to keep the connector), then the row goes, and its connections and their
 * credentials with it by cascade. Returns what the revocation did, for the audit trail.
 */
export async function deleteCustomConnector(
  context: ConnectorAdminContext,
  key: string,
): Promise<GrantRevocationSummary> {
  const row = await findRow(context, key);
  if (row.source === 'package') {
    throw new AppError(
      'CFM_CONNECTOR_PACKAGED',
      `Connector "${key}" comes from a package and cannot be deleted: disable it instead (PUT enabled: false)`,
    );
  }
  const { db } = context.database;
  if (row.enabled) {
    await db
      .updateTable('connectors')
      .set({ enabled: false, updated_at: nextTimestamp(row.updated_at) })
      .where('id', '=', row.id)
      .execute();
    context.registry.catalogueChanged();
  }
  const revocation = await revokeConnectorGrants(context.engine, row.id, context.revocation);
  await db.deleteFrom('connectors').where('id', '=', row.id).execute();
  context.registry.catalogueChanged();
  return revocation;
}
