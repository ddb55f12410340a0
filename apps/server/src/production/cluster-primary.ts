import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { createDatabase, DatabaseUrlError, migrateToLatest } from '@cfm/db';
import pino, { type Logger } from 'pino';
import { fail } from '../cli/exit-with.js';
import { type AppConfig, ConfigError, MAX_WEB_CONCURRENCY } from '../config.js';
import { createLoggerOptions } from '../logger.js';

/** What a worker runs: the ordinary server entry, which sees `CFM_WORKER_SLOT` and skips migrations. */
const WORKER_ENTRY = fileURLToPath(new URL('../server.js', import.meta.url));

/** First restart delay; doubled for each crash in a row, up to {@link MAX_RESTART_DELAY_MS}. */
const FIRST_RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that ran this long before dying is not crash-looping: its next restart is immediate again. */
const STABLE_AFTER_MS = 60_000;
/** Workers exit within `SHUTDOWN_TIMEOUT_SECONDS` on their own; this much later the primary kills them. */
const STOP_GRACE_MS = 5000;

interface Slot {
  /** 1..N, stable across restarts: `CFM_WORKER_SLOT`, the `worker` metrics label, refresher in slot 1. */
  index: number;
  worker?: Worker;
  startedAt: number;
  /** Deaths in a row without {@link STABLE_AFTER_MS} of life between them. */
  crashes: number;
  restart?: NodeJS.Timeout;
}

/**
 * `--workers N` / `--workers=N` from the command line (`pnpm start --workers 4`); undefined when absent.
 * A bad value is a `ConfigError`: the same one-line refusal as a bad variable.
 */
export function workersArgument(argv: readonly string[]): number | undefined {
  const index = argv.findIndex((argument) => argument === '--workers' || argument.startsWith('--workers='));
  if (index === -1) return undefined;
  const argument = argv[index]!;
  const value = argument.includes('=') ? argument.slice(argument.indexOf('=') + 1) : argv[index + 1];
  const workers = Number(value);
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WEB_CONCURRENCY) {
    throw new ConfigError(`--workers must be a whole number from 1 to ${MAX_WEB_CONCURRENCY}`);
  }
  return workers;
}

async function migrateOnce(config: AppConfig, log: Logger): Promise<void> {
  let handle: ReturnType<typeof createDatabase>;
  try {
    handle = createDatabase(config.databaseUrl);
  } catch (error) {
    if (error instanceof DatabaseUrlError)
      fail(`Configuration error: DATABASE_URL is not valid: ${error.message}`);
    throw error;
  }
  const outcome = await migrateToLatest(handle.db);
  await handle.close().catch(() => undefined); // the migration outcome is what matters here
  if (outcome.error !== undefined) {
    fail(
      `Database migration failed: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`,
    );
  }
  const applied = outcome.results.map((result) => result.migrationName);
  log.info({ applied }, applied.length === 0 ? 'database is up to date' : 'applied database migrations');
}

/**
 * The cluster primary: migrates once, forks `workers` copies of the server on one port (the primary
 * accepts connections and hands them out round-robin), restarts a worker that dies with a growing,
 * bounded delay, and on SIGTERM or SIGINT asks every worker to stop (each finishes its in-flight
 * requests, as a single server does) and exits once they all have. Only slot 1 runs the background
 * token refresher, so a machine refreshes once; across machines `FOR UPDATE SKIP LOCKED` keeps them apart.
 */
export async function runPrimary(config: AppConfig, workers: number): Promise<void> {
  const log = pino(createLoggerOptions(config.logLevel)).child({ component: 'cluster' });
  if (config.generatedEnvFile !== undefined) {
    log.warn(
      { path: config.generatedEnvFile },
      'first run: wrote a .env with freshly generated JWT_SECRET and ENCRYPTION_KEY (keep it private; back it up)',
    );
  }
  await migrateOnce(config, log);

  cluster.setupPrimary({ exec: WORKER_ENTRY, args: [] });
  const slots: Slot[] = Array.from({ length: workers }, (_, index) => ({
    index: index + 1,
    startedAt: 0,
    crashes: 0,
  }));
  let everListened = false;
  let stopping = false;
  const exitCodes: number[] = [];

  const fork = (slot: Slot) => {
    slot.restart = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ CFM_WORKER_SLOT: String(slot.index) });
    slot.worker = worker;
    log.info({ slot: slot.index, workerPid: worker.process.pid }, 'worker started');
    worker.once('listening', (address) => {
      if (!everListened) {
        everListened = true;
        log.info(
          { workers, port: address.port, address: address.address },
          `${workers} workers share ${config.host}:${address.port}; worker 1 runs the background refresher`,
        );
      }
    });
    worker.once('exit', (code, signal) => onExit(slot, worker, code, signal));
  };

  const onExit = (slot: Slot, worker: Worker, code: number | null, signal: string | null) => {
    if (slot.worker === worker) slot.worker = undefined;
    if (stopping) {
      exitCodes.push(code ?? 1);
      if (slots.every((candidate) => candidate.worker === undefined)) {
        const failed = exitCodes.some((exitCode) => exitCode !== 0);
        log.info(
          { workers: exitCodes.length },
          failed ? 'stopped (a worker did not exit cleanly)' : 'stopped',
        );
        process.exit(failed ? 1 : 0);
      }
      return;
    }
    if (!everListened) {
      // Dying before any worker could listen is a start-up problem (port taken, bad configuration):
      // restarting would only repeat it. The worker printed the reason.
      log.error({ slot: slot.index, code, signal }, 'a worker failed to start: stopping');
      stop('start-up failure', 1);
      return;
    }
    slot.crashes = Date.now() - slot.startedAt >= STABLE_AFTER_MS ? 1 : slot.crashes + 1;
    const delayMs = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (slot.crashes - 1));
    log.error(
      { slot: slot.index, workerPid: worker.process.pid, code, signal, restartInMs: delayMs },
      'worker died: restarting it',
    );
    slot.restart = setTimeout(() => fork(slot), delayMs);
  };

  const stop = (reason: string, forcedExitCode?: number) => {
    if (stopping) return;
    stopping = true;
    if (forcedExitCode !== undefined) exitCodes.push(forcedExitCode);
    log.info({ reason }, 'stopping workers: no new connections, finishing in-flight requests');
    for (const slot of slots) {
      clearTimeout(slot.restart);
      slot.worker?.process.kill('SIGTERM');
    }
    if (slots.every((slot) => slot.worker === undefined)) process.exit(forcedExitCode ?? 0);
    setTimeout(() => {
      log.error('workers took too long to stop: killing them');
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
      process.exit(1);
    }, config.timeouts.shutdownMs + STOP_GRACE_MS).unref();
  };

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: killing the workers and exiting now');
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    stop(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // Ctrl-C reaches the whole process group; workers ignore SIGINT and wait for our SIGTERM instead.
  process.on('SIGINT', () => onSignal('SIGINT'));

  if (config.metricsEnabled) {
    // Loaded only when needed: prom-client costs tens of milliseconds to import.
    const { answerMetricsRequests } = await import('./cluster-metrics.js');
    answerMetricsRequests(() => slots.flatMap((slot) => (slot.worker ? [slot.worker] : [])));
  }
  for (const slot of slots) fork(slot);
}

/**
 * For `server.ts`: in a primary asked for more than one worker (`WEB_CONCURRENCY`, `--workers N`), run
 * the cluster and answer true; otherwise false, and the caller serves in this process as always.
 */
export async function startClusterIfAsked(
  config: AppConfig,
  argv: readonly string[] = process.argv.slice(2),
): Promise<boolean> {
  if (!cluster.isPrimary || config.workerSlot !== undefined) return false;
  const workers = workersArgument(argv) ?? config.webConcurrency;
  if (workers <= 1) return false;
  await runPrimary(config, workers);
  return true;
}
