import cluster from 'node:cluster';
import { createDatabase, type DatabaseHandle, DatabaseUrlError, migrateToLatest } from '@cfm/db';
import type { FastifyInstance } from 'fastify';
import { fail, failOn } from './cli/exit-with.js';
import { type AppConfig, loadConfig } from './config.js';
import { createStdoutDestination } from './log-destination.js';
import { startClusterIfAsked } from './production/cluster-primary.js';

/**
 * Where a lost PostgreSQL connection is reported: a process warning until the app's logger exists.
 * The pool replaces the connection by itself; requests that were using it answered 503.
 */
let reportPoolError = (error: Error): void => {
  process.emitWarning(`PostgreSQL connection lost: ${error.message}`, { code: 'CFM_DB_POOL_ERROR' });
};

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function migrate(
  config: AppConfig,
  skip = false,
): Promise<{ handle: DatabaseHandle; applied: string[] }> {
  let handle: DatabaseHandle;
  try {
    handle = createDatabase(config.databaseUrl, {
      namedStatements: config.databaseNamedStatements,
      onPoolError: (error) => reportPoolError(error),
    });
  } catch (error) {
    if (error instanceof DatabaseUrlError)
      fail(`Configuration error: DATABASE_URL is not valid: ${error.message}`);
    throw error;
  }
  if (skip) return { handle, applied: [] };
  const outcome = await migrateToLatest(handle.db);
  if (outcome.error !== undefined) {
    await handle.close().catch(() => undefined); // the migration error is the one worth reporting
    fail(`Database migration failed: ${describe(outcome.error)}`);
  }
  return { handle, applied: outcome.results.map((result) => result.migrationName) };
}

/** SIGTERM/SIGINT: drain, then exit; `shutdownMs` later the process exits whatever is still running. */
function handleSignals(app: FastifyInstance, handle: DatabaseHandle, shutdownMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const timer = setTimeout(() => {
      app.log.error('shutdown took too long: exiting');
      process.exit(1);
    }, shutdownMs);
    timer.unref();
    app
      .close()
      .then(() => handle.close())
      .then(() => {
        app.log.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  // A cluster worker gets Ctrl-C with its whole process group: the primary turns it into one SIGTERM.
  process.on('SIGINT', () => (cluster.isWorker ? undefined : stop('SIGINT')));
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (await startClusterIfAsked(config)) return;
  // Set in a cluster worker: the primary migrated before forking it, and only slot 1 refreshes tokens.
  const worker = config.workerSlot;
  // Imported here, not at the top: a cluster primary never builds an app and stays small (~40 MB). The
  // import (mostly reading and compiling modules) starts now and goes on while the migrations wait on
  // the database; a failed import is reported once awaited, after the migrations.
  const appModule = import('./app.js');
  appModule.catch(() => undefined);
  const { handle, applied } = await migrate(config, worker !== undefined);
  const { buildApp } = await appModule;
  const app = await buildApp(config, {
    database: handle,
    startRefresher: (worker ?? 1) === 1,
    logStream: createStdoutDestination(),
  });
  reportPoolError = (error) =>
    app.log.warn({ err: error }, 'PostgreSQL connection lost: the pool opens a new one');
  if (worker === undefined)
    app.log.info(
      { applied },
      applied.length === 0 ? 'database is up to date' : 'applied database migrations',
    );
  if (config.generatedEnvFile !== undefined) {
    app.log.warn(
      { path: config.generatedEnvFile },
      'first run: wrote a .env with freshly generated JWT_SECRET and ENCRYPTION_KEY (keep it private; back it up)',
    );
  }
  handleSignals(app, handle, config.timeouts.shutdownMs);
  let address: string;
  try {
    address = await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    await handle.close();
    fail(`Cannot listen on ${config.host}:${config.port}: ${describe(error)}`);
  }
  app.log.info(
    { url: address, docs: `${address}/docs`, redoc: `${address}/redoc`, publicUrl: config.backendBaseUrl },
    `${config.appName} is ready on ${address}: API docs at ${address}/docs and ${address}/redoc`,
  );
}

main().catch(failOn);
