import { randomUUID } from 'node:crypto';
import type { AuthDescriptor, Credentials } from '@cfm/connector-sdk';
import {
  type ConnectionStatus,
  type DatabaseHandle,
  type Placeholders,
  type PreparedQuery,
  prepareQuery,
} from '@cfm/db';
import { AppError, type ErrorDetail } from '../errors.js';
import type {
  ConnectionCredentialsInput,
  ConnectionListView,
  ConnectionView,
  CreateConnectionInput,
  ListConnectionsInput,
} from '../schemas/connection.js';
import { validateConfigData } from './config-validation.js';
import {
  type ConnectionViewRow,
  connectionViewQuery,
  pageTotal,
  toConnectionView,
} from './connection-views.js';
import type { ConnectorRegistry } from './connector-registry.js';
import type { ResolvedConnector } from './connector-resolver.js';
import { CredentialStore } from './credential-store.js';
import type { CredentialsVault } from './credentials-vault.js';
import { GenerationCache } from './generation-cache.js';
import { isUniqueViolation } from './unique-violation.js';

export interface ConnectionsContext {
  database: DatabaseHandle;
  vault: CredentialsVault;
  registry: ConnectorRegistry;
}

function notFound(id: string): AppError {
  return new AppError('CFM_CONNECTION_NOT_FOUND', `Connection "${id}" not found`);
}

/** A connector usable for a new connection, or the reason it is not (404 / 409). */
async function usableConnector(registry: ConnectorRegistry, key: string): Promise<ResolvedConnector> {
  const connector = await registry.resolve(key);
  if (connector === null) {
    const view = await registry.get(key);
    if (view === null) throw new AppError('CFM_CONNECTOR_NOT_FOUND', `Connector "${key}" not found`);
    throw new AppError(
      'CFM_CONNECTOR_NOT_LOADED',
      `Connector "${key}" is ${view.status}${view.status_reason ? `: ${view.status_reason}` : ''}`,
    );
  }
  if (!connector.enabled) throw new AppError('CFM_CONNECTOR_DISABLED', `Connector "${key}" is disabled`);
  return connector;
}

function checkedConfig(
  connector: ResolvedConnector,
  config: Record<string, unknown>,
): Record<string, unknown> {
  const result = validateConfigData(connector.definition.configSchema, config);
  if (result.ok) return result.value;
  const message = result.details.map((detail) => `${detail.field} ${detail.message}`).join(', ');
  throw new AppError('CFM_CONFIG_INVALID', message, { details: result.details });
}

/** API-key or basic credentials checked against what the connector declares (field names only in errors). */
export function checkedCredentials(
  auth: readonly AuthDescriptor[],
  credentials: ConnectionCredentialsInput,
  key: string,
): Credentials {
  const invalid = (message: string, details?: ErrorDetail[]) =>
    new AppError('CFM_CREDENTIALS_INVALID', message, details ? { details } : {});
  if (credentials.type === 'basic') {
    if (!auth.some((descriptor) => descriptor.type === 'basic')) {
      throw invalid(`Connector "${key}" does not accept a username and password`);
    }
    return { type: 'basic', username: credentials.username, password: credentials.password };
  }
  const descriptors = auth.filter((descriptor) => descriptor.type === 'api_key');
  if (descriptors.length === 0) throw invalid(`Connector "${key}" does not accept API keys`);
  const given = Object.keys(credentials.values);
  let closest: ErrorDetail[] | undefined;
  for (const descriptor of descriptors) {
    const names = descriptor.fields.map((field) => field.name);
    const details = [
      ...names
        .filter((name) => !given.includes(name))
        .map((name) => ({ field: `credentials/values/${name}`, message: 'is required' })),
      ...given
        .filter((name) => !names.includes(name))
        .map((name) => ({
          field: `credentials/values/${name}`,
          message: 'is not a field of this connector',
        })),
    ];
    if (details.length === 0) return { type: 'api_key', values: { ...credentials.values } };
    if (closest === undefined || details.length < closest.length) closest = details;
  }
  throw invalid(`The API key fields do not match connector "${key}"`, closest);
}

type ListParameters = {
  userId: string;
  connector: string;
  status: string;
  limit: number;
  offset: number;
};

interface ListQueries {
  page: PreparedQuery<ListParameters, ConnectionViewRow>;
  count: PreparedQuery<ListParameters, { total: number | string | bigint }>;
}

/**
 * Pages answered while nothing in the database changed (SQLite only, see `DatabaseHandle.generation`):
 * a front-end polls this list, and on SQLite the query is most of the request. Pages hold no secret.
 */
const LISTED_PAGES_KEPT = 500;

interface ListState {
  /** Per filter combination (four at most): built and compiled once. */
  queries: Map<string, ListQueries>;
  pages: GenerationCache<ConnectionListView>;
}

const listStates = new WeakMap<DatabaseHandle, ListState>();

function listStateOf(database: DatabaseHandle): ListState {
  let state = listStates.get(database);
  if (state === undefined) {
    state = { queries: new Map(), pages: new GenerationCache(LISTED_PAGES_KEPT) };
    listStates.set(database, state);
  }
  return state;
}

function listQueriesFor(
  database: DatabaseHandle,
  state: ListState,
  byConnector: boolean,
  byStatus: boolean,
): ListQueries {
  const shape = `${byConnector}:${byStatus}`;
  let queries = state.queries.get(shape);
  if (queries === undefined) {
    const { db } = database;
    const filtered = (p: Placeholders<ListParameters>) => {
      let query = connectionViewQuery(db).where('connections.user_id', '=', p.userId);
      if (byConnector) query = query.where('connectors.key', '=', p.connector);
      if (byStatus) query = query.where('connections.status', '=', p.status as ConnectionStatus);
      return query;
    };
    queries = {
      page: prepareQuery(db, (p: Placeholders<ListParameters>) =>
        filtered(p)
          .orderBy('connections.created_at', 'desc')
          .orderBy('connections.id')
          .limit(p.limit)
          .offset(p.offset),
      ),
      count: prepareQuery(db, (p: Placeholders<ListParameters>) =>
        filtered(p)
          .clearSelect()
          .select((eb) => eb.fn.countAll().as('total')),
      ),
    };
    state.queries.set(shape, queries);
  }
  return queries;
}

/**
 * One page of the user's connections, newest first. A page that is not full tells the total by itself
 * (offset + its rows): a user has at most one connection per connector, so that is the usual case and
 * costs one query; a full page, or an empty one past the start, costs a count. The queries are compiled
 * once (see `prepareQuery`). On SQLite a page is answered again from memory until anything in the
 * database changes (any process, this one included: see `GenerationCache`).
 */
export async function listConnections(
  database: DatabaseHandle,
  userId: string,
  query: ListConnectionsInput,
): Promise<ConnectionListView> {
  const limit = query.limit ?? 20;
  const offset = query.offset ?? 0;
  const state = listStateOf(database);
  // Before the rows: a write after this moment moves the generation and the page below is not kept.
  const generation = database.generation();
  const key = JSON.stringify([userId, query.connector ?? null, query.status ?? null, limit, offset]);
  const kept = state.pages.get(generation, key);
  if (kept !== undefined) return kept;
  const parameters: ListParameters = {
    userId,
    connector: query.connector ?? '',
    status: query.status ?? '',
    limit,
    offset,
  };
  const queries = listQueriesFor(database, state, query.connector !== undefined, query.status !== undefined);
  const rows = await queries.page.execute(parameters);
  const total = await pageTotal(rows.length, { limit, offset }, async () => {
    const [count] = await queries.count.execute(parameters);
    return Number(count?.total ?? 0);
  });
  // Frozen: a kept page is answered to later requests (and its JSON kept with it), so nobody may change it.
  const page: ConnectionListView = { items: rows.map(toConnectionView), total, limit, offset };
  Object.freeze(page.items);
  Object.freeze(page);
  state.pages.set(generation, key, page);
  return page;
}

export async function getConnection(
  database: DatabaseHandle,
  userId: string,
  id: string,
): Promise<ConnectionView> {
  const row = await connectionViewQuery(database.db)
    .where('connections.id', '=', id)
    .where('connections.user_id', '=', userId)
    .executeTakeFirst();
  if (!row) throw notFound(id);
  return toConnectionView(row);
}

/**
 * Creates a `pending` connection, with API-key/basic credentials sealed in the same transaction when
 * given (either both rows are written or neither). A second connection of one user to one connector is
 * a 409 `CFM_CONNECTION_EXISTS`, decided by the unique constraint so concurrent requests agree.
 */
export async function createConnection(
  context: ConnectionsContext,
  userId: string,
  input: CreateConnectionInput,
): Promise<ConnectionView> {
  const connector = await usableConnector(context.registry, input.connector_key);
  const config = checkedConfig(connector, input.config_data ?? {});
  const credentials =
    input.credentials === undefined
      ? undefined
      : checkedCredentials(connector.definition.auth, input.credentials, connector.key);
  const id = randomUUID();
  const now = new Date();
  const store = new CredentialStore(context.vault);
  try {
    await context.database.db.transaction().execute(async (transaction) => {
      await transaction
        .insertInto('connections')
        .values({
          id,
          user_id: userId,
          connector_id: connector.id,
          config,
          status: 'pending',
          created_at: now,
          updated_at: now,
        })
        .execute();
      if (credentials !== undefined) await store.save(transaction, id, credentials, now);
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError('CFM_CONNECTION_EXISTS', `You already have a connection to "${connector.key}"`);
    }
    throw error;
  }
  return getConnection(context.database, userId, id);
}

/** Replaces `config_data` after validating it against the connector's current config schema. */
export async function updateConnectionConfig(
  context: ConnectionsContext,
  userId: string,
  id: string,
  configData: Record<string, unknown>,
): Promise<ConnectionView> {
  const current = await getConnection(context.database, userId, id);
  const connector = await context.registry.resolve(current.connector_key);
  if (connector === null) {
    throw new AppError('CFM_CONNECTOR_NOT_LOADED', `Connector "${current.connector_key}" is not loaded`);
  }
  const config = checkedConfig(connector, configData);
  await context.database.db
    .updateTable('connections')
    .set({ config, updated_at: new Date() })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .execute();
  return getConnection(context.database, userId, id);
}

/** Deletes the caller's connection (credentials and pending OAuth states go by cascade). */
export async function deleteConnection(database: DatabaseHandle, userId: string, id: string): Promise<void> {
  const result = await database.db
    .deleteFrom('connections')
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw notFound(id);
}
