import { createDatabase, type DatabaseHandle, DatabaseUrlError, migrateToLatest } from '@cfm/db';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { fail, failOn } from './cli/exit-with.js';
import { type AppConfig, loadConfig } from './config.js';

/** How long a graceful shutdown may take before the process gives up on in-flight requests. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function migrate(config: AppConfig): Promise<{ handle: DatabaseHandle; applied: string[] }> {
  let handle: DatabaseHandle;
  try {
    handle = createDatabase(config.databaseUrl);
  } catch (error) {
    if (error instanceof DatabaseUrlError)
      fail(`Configuration error: DATABASE_URL is not valid: ${error.message}`);
    throw error;
  }
  const outcome = await migrateToLatest(handle.db);
  if (outcome.error !== undefined) {
    await handle.close().catch(() => undefined); // the migration error is the one worth reporting
    fail(`Database migration failed: ${describe(outcome.error)}`);
  }
  return { handle, applied: outcome.results.map((result) => result.migrationName) };
}

function handleSignals(app: FastifyInstance, handle: DatabaseHandle): void {
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
    }, SHUTDOWN_TIMEOUT_MS);
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
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  const config = loadConfig();
  const { handle, applied } = await migrate(config);
  const app = await buildApp(config, { database: handle, startRefresher: true });
  app.log.info({ applied }, applied.length === 0 ? 'database is up to date' : 'applied database migrations');
  if (config.generatedEnvFile !== undefined) {
    app.log.warn(
      { path: config.generatedEnvFile },
      'first run: wrote a .env with freshly generated JWT_SECRET and ENCRYPTION_KEY (keep it private; back it up)',
    );
  }
  handleSignals(app, handle);
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
