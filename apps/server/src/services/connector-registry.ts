import type { ConnectorDefinition, Logger } from '@cfm/connector-sdk';
import type { ChangeFeed, ConnectorRow, DatabaseHandle } from '@cfm/db';
import type { OAuthClientCredentials } from '../config.js';
import type { ConnectorView } from '../schemas/connector.js';
import { syncPackagedConnectors } from './connector-catalog-sync.js';
import type { DiscoveredConnector, FailedConnector, LoadedConnector } from './connector-discovery.js';
import type { ConnectorResolver, ResolvedConnector } from './connector-resolver.js';
import { describeConnector } from './connector-views.js';
import { associatedData, type CredentialsVault } from './credentials-vault.js';
import { buildCustomConnectorDefinition } from './custom-connector.js';
import { describeError } from './engine-context.js';

export interface ConnectorRegistryOptions {
  database: DatabaseHandle;
  vault: CredentialsVault;
  /** What discovery found at start (the same in every process running this code). */
  discovered: readonly DiscoveredConnector[];
  /** Client credentials from configuration, by connector key. */
  oauthClients: Readonly<Record<string, Readonly<OAuthClientCredentials>>>;
  logger: Logger;
  /**
   * Tells when another process changed `connectors`, so the list can be kept in memory between changes;
   * without one (or while it cannot tell) every list reads the table.
   */
  changes?: ChangeFeed;
}

/** `jira` → `JIRA`, `google-drive` → `GOOGLE_DRIVE`: the prefix of a connector's environment variables. */
export function variablePrefix(key: string): string {
  return key.toUpperCase().replaceAll('-', '_');
}

/**
 * How long a kept list may serve at most, whatever the change feed says: the safety net for a feed that
 * cannot hear (`LISTEN` through PgBouncer in transaction mode delivers nothing), so another process's
 * change shows within this bound even then.
 */
const LIST_MAX_AGE_MS = 10_000;

export type ClientStatus = Pick<ResolvedConnector, 'client' | 'missingVariables'>;

type Compiled = { ok: true; definition: ConnectorDefinition } | { ok: false; reason: string };

/**
 * The connectors this server can use. Packaged definitions live in memory (every process runs the same
 * code); custom connectors and the `enabled` flags come from the database, so several stateless
 * processes on one database agree. Compiled custom definitions are cached by row `updated_at`.
 *
 * The list (`GET /api/connectors/`, the same for every caller) is kept in memory between changes: this
 * process drops it after its own writes ({@link catalogueChanged}), and the change feed says when another
 * process wrote (PostgreSQL `LISTEN`, SQLite `data_version`); it is read again after 10 s whatever the
 * feed says. Resolving a connector to use it always reads its row.
 */
export class ConnectorRegistry implements ConnectorResolver {
  readonly #options: ConnectorRegistryOptions;
  readonly #loaded = new Map<string, LoadedConnector>();
  readonly #failed = new Map<string, FailedConnector>();
  readonly #custom = new Map<string, { updatedAt: number; compiled: Compiled }>();
  #sync: Promise<void> | undefined;
  /** Moved by this process's own catalogue writes. */
  #localVersion = 0;
  #listed:
    | { feedVersion: number; localVersion: number; readAt: number; views: readonly ConnectorView[] }
    | undefined;

  constructor(options: ConnectorRegistryOptions) {
    this.#options = options;
    for (const item of options.discovered) {
      if (item.status === 'loaded') this.#loaded.set(item.key, item);
      else this.#failed.set(item.key, item);
    }
  }

  get discovered(): readonly DiscoveredConnector[] {
    return this.#options.discovered;
  }

  /** True when a package (loaded or not) claims this key. */
  isPackagedKey(key: string): boolean {
    return this.#loaded.has(key) || this.#failed.has(key);
  }

  /**
   * Upserts the discovered packages into `connectors` once. A failure (database down, not migrated yet)
   * is not remembered: the next call tries again, so the server can start before its database answers.
   */
  ensureSynced(): Promise<void> {
    this.#sync ??= syncPackagedConnectors(this.#options.database.db, this.#options.discovered).then(
      ({ heldByCustom }) => {
        this.catalogueChanged();
        for (const key of heldByCustom) {
          const loaded = this.#loaded.get(key);
          this.#options.logger.warn(
            `packaged connector "${key}" is shadowed by a custom connector with the same key`,
            {
              key,
              package: loaded?.packageName,
            },
          );
        }
      },
      (error: unknown) => {
        this.#sync = undefined;
        throw error;
      },
    );
    return this.#sync;
  }

  async resolve(key: string): Promise<ResolvedConnector | null> {
    const row = await this.#findRow('key', key);
    return row ? this.#toResolved(row) : null;
  }

  async resolveById(id: string): Promise<ResolvedConnector | null> {
    const row = await this.#findRow('id', id);
    return row ? this.#toResolved(row) : null;
  }

  /**
   * Every connector, packaged and custom, as the API shows it (never a secret). The same array (frozen)
   * is returned until the catalogue changes, so a caller may key its own derived data (the serialised
   * answer) by identity.
   */
  async list(): Promise<readonly ConnectorView[]> {
    await this.ensureSynced();
    // Both versions are read before the query: a change committed while it runs moves one of them, so
    // what this query read is never kept under a version that already includes that change.
    const feedVersion = this.#options.changes?.version();
    const localVersion = this.#localVersion;
    const readAt = performance.now();
    const listed = this.#listed;
    if (
      listed !== undefined &&
      feedVersion !== undefined &&
      listed.feedVersion === feedVersion &&
      listed.localVersion === localVersion &&
      readAt - listed.readAt < LIST_MAX_AGE_MS
    ) {
      return listed.views;
    }
    const rows = await this.#options.database.db
      .selectFrom('connectors')
      .selectAll()
      .orderBy('key')
      .execute();
    const views = Object.freeze(rows.map((row) => this.describe(row)));
    this.#listed = feedVersion === undefined ? undefined : { feedVersion, localVersion, readAt, views };
    return views;
  }

  /** This process changed `connectors` (its own writes do not come back through the change feed). */
  catalogueChanged(): void {
    this.#localVersion += 1;
    this.#listed = undefined;
  }

  async get(key: string): Promise<ConnectorView | null> {
    const row = await this.#findRow('key', key);
    // One connector: its actions with their schemas too (the list leaves them out to stay small).
    return row ? this.describe(row, { detail: true }) : null;
  }

  async #findRow(column: 'key' | 'id', value: string): Promise<ConnectorRow | undefined> {
    await this.ensureSynced();
    return this.#options.database.db
      .selectFrom('connectors')
      .selectAll()
      .where(column, '=', value)
      .executeTakeFirst();
  }

  describe(row: ConnectorRow, options: { detail?: boolean } = {}): ConnectorView {
    const detail = options.detail === true;
    if (row.source === 'custom') {
      const compiled = this.#compileCustom(row);
      const client = compiled.ok
        ? this.#customClient(row, compiled.definition)
        : { client: null, missingVariables: [] };
      return describeConnector(row, {
        definition: compiled.ok ? compiled.definition : undefined,
        status: compiled.ok ? 'loaded' : 'failed',
        statusReason: compiled.ok ? null : compiled.reason,
        configured: isConfigured(compiled.ok ? compiled.definition : undefined, client),
        missingVariables: [],
        detail,
      });
    }
    const loaded = this.#loaded.get(row.key);
    const failed = this.#failed.get(row.key);
    const client = loaded
      ? this.#packagedClient(row.key, loaded.definition)
      : { client: null, missingVariables: [] };
    return describeConnector(row, {
      definition: loaded?.definition,
      status: loaded
        ? 'loaded'
        : (failed?.status ?? (row.load_status === 'loaded' ? 'missing' : row.load_status)),
      statusReason: loaded ? null : (failed?.reason ?? row.load_error),
      configured: isConfigured(loaded?.definition, client),
      missingVariables: client.missingVariables,
      detail,
    });
  }

  #toResolved(row: ConnectorRow): ResolvedConnector | null {
    if (row.source === 'package') {
      const loaded = this.#loaded.get(row.key);
      if (!loaded) return null;
      return this.#resolved(row, loaded.definition, this.#packagedClient(row.key, loaded.definition));
    }
    const compiled = this.#compileCustom(row);
    if (!compiled.ok) return null;
    return this.#resolved(row, compiled.definition, this.#customClient(row, compiled.definition));
  }

  #resolved(row: ConnectorRow, definition: ConnectorDefinition, client: ClientStatus): ResolvedConnector {
    return { id: row.id, key: row.key, source: row.source, enabled: row.enabled, definition, ...client };
  }

  #packagedClient(key: string, definition: ConnectorDefinition): ClientStatus {
    if (!definition.auth.some((auth) => auth.type === 'oauth2'))
      return { client: null, missingVariables: [] };
    const configured = this.#options.oauthClients[key];
    const prefix = variablePrefix(key);
    const missing = [
      ...(configured?.clientId ? [] : [`${prefix}_CLIENT_ID`]),
      ...(configured?.clientSecret ? [] : [`${prefix}_CLIENT_SECRET`]),
    ];
    if (missing.length > 0 || !configured?.clientSecret) return { client: null, missingVariables: missing };
    return {
      client: { clientId: configured.clientId, clientSecret: configured.clientSecret },
      missingVariables: [],
    };
  }

  #customClient(row: ConnectorRow, definition: ConnectorDefinition): ClientStatus {
    const auth = definition.auth[0];
    const declared = row.custom_definition?.['auth'] as { client_id?: string } | undefined;
    if (auth.type !== 'oauth2' || !declared?.client_id || row.client_secret_ciphertext === null) {
      return { client: null, missingVariables: [] };
    }
    try {
      const clientSecret = this.#options.vault.open(
        { ciphertext: row.client_secret_ciphertext, keyId: row.client_secret_key_id ?? '' },
        associatedData.connectorSecret(row.id),
      );
      return { client: { clientId: declared.client_id, clientSecret }, missingVariables: [] };
    } catch (error) {
      this.#options.logger.error('cannot open a custom connector client secret', {
        key: row.key,
        error: describeError(error),
      });
      return { client: null, missingVariables: [] };
    }
  }

  #compileCustom(row: ConnectorRow): Compiled {
    const updatedAt = row.updated_at.getTime();
    const cached = this.#custom.get(row.id);
    if (cached && cached.updatedAt === updatedAt) return cached.compiled;
    let compiled: Compiled;
    try {
      compiled = { ok: true, definition: buildCustomConnectorDefinition(row) };
    } catch (error) {
      // Writes are validated, so this means a row edited by hand: report it, do not serve it.
      const reason = error instanceof Error ? error.message.replaceAll('\n', ' ') : String(error);
      this.#options.logger.warn('custom connector cannot be built', { key: row.key, reason });
      compiled = { ok: false, reason };
    }
    this.#custom.set(row.id, { updatedAt, compiled });
    return compiled;
  }
}

function isConfigured(definition: ConnectorDefinition | undefined, client: ClientStatus): boolean {
  if (definition === undefined) return false;
  return !definition.auth.some((auth) => auth.type === 'oauth2') || client.client !== null;
}
