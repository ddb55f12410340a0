import type SqliteDatabase from 'better-sqlite3';

/** The channel the `connectors` trigger notifies (migration `2026_12_03_0004_connector-change-notify`). */
export const CONNECTORS_CHANGED_CHANNEL = 'cfm_connectors_changed';

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;
/** A server that accepts and never answers must not keep the listener (or a shutdown) waiting. */
const CONNECT_TIMEOUT_MS = 5000;
const END_TIMEOUT_MS = 1000;

/**
 * Tells a process when another process (or machine) may have changed the `connectors` table, so it can
 * keep what it derives from the table in memory. Changes made through this process's own handle are not
 * reported on SQLite: the caller drops its copy itself after its own writes.
 */
export interface ChangeFeed {
  /**
   * A number that differs from the last one whenever another connection may have committed a change;
   * `undefined` while that cannot be known (PostgreSQL listener not connected, SQLite file not opened
   * yet): nothing derived from the table may be reused then.
   */
  version(): number | undefined;
  close(): Promise<void>;
}

/**
 * SQLite: `PRAGMA data_version` of the handle's own connection changes whenever another connection (another
 * process on the same file) commits anything, a few microseconds per read and no I/O. Coarser than the
 * table (any write elsewhere counts), never wrong.
 */
export function sqliteChangeFeed(opened: () => SqliteDatabase.Database | undefined): ChangeFeed {
  let statement: SqliteDatabase.Statement | undefined;
  let database: SqliteDatabase.Database | undefined;
  let closed = false;
  return {
    version() {
      if (closed) return undefined;
      const current = opened();
      if (current === undefined || !current.open) return undefined;
      if (current !== database) {
        database = current;
        statement = current.prepare('PRAGMA data_version').pluck();
      }
      return statement!.get() as number;
    },
    async close() {
      closed = true;
      statement = undefined;
      database = undefined;
    },
  };
}

export interface PostgresChangeFeedOptions {
  connectionString: string;
  /** A lost or refused listener connection (it reconnects by itself). */
  onError?: (error: Error) => void;
}

/**
 * PostgreSQL: one connection per process `LISTEN`s to {@link CONNECTORS_CHANGED_CHANNEL}; each notification
 * moves the version. While the connection is down the version is `undefined` (notifications sent meanwhile
 * are lost), and a reconnection moves it too, so nothing kept from before the gap is reused.
 */
export function postgresChangeFeed(options: PostgresChangeFeedOptions): ChangeFeed {
  let version = 0;
  let listening = false;
  let closed = false;
  let delay = RECONNECT_MIN_MS;
  let timer: NodeJS.Timeout | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: pg's Client, imported on demand (SQLite never loads pg)
  let client: any;

  const fail = (error: Error) => {
    if (closed) return;
    listening = false;
    options.onError?.(error);
    const broken = client;
    client = undefined;
    broken?.removeAllListeners?.('notification');
    if (broken !== undefined) void endWithin(broken);
    if (timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        void connect();
      }, delay);
      timer.unref();
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  };

  async function connect(): Promise<void> {
    if (closed) return;
    const { default: pg } = await import('pg');
    const next = new pg.Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client = next;
    next.on('error', (error: Error) => fail(error));
    next.on('end', () => {
      if (client === next) fail(new Error('the change listener connection ended'));
    });
    next.on('notification', () => {
      version += 1;
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${CONNECTORS_CHANGED_CHANNEL}`);
      if (closed || client !== next) return;
      // Whatever changed while nobody listened is unknown: move the version once more.
      version += 1;
      listening = true;
      delay = RECONNECT_MIN_MS;
    } catch (error) {
      if (client === next) fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  void connect();
  return {
    version: () => (listening ? version : undefined),
    async close() {
      closed = true;
      listening = false;
      if (timer !== undefined) clearTimeout(timer);
      const current = client;
      client = undefined;
      if (current !== undefined) await endWithin(current);
    },
  };
}

/** Ends a pg client politely, or destroys its socket when the server does not answer in time. */
// biome-ignore lint/suspicious/noExplicitAny: pg's Client, imported on demand
async function endWithin(client: any): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = client.end().then(
    () => true,
    () => true,
  );
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), END_TIMEOUT_MS);
    timer.unref();
  });
  if (!(await Promise.race([ended, late]))) client.connection?.stream?.destroy();
  clearTimeout(timer);
}
