import { failOn } from './cli/exit-with.js';
import { loadConfig } from './config.js';
import { runPrimary, workersArgument } from './production/cluster-primary.js';

/**
 * `node dist/cluster.js [--workers N]`: the supervised cluster whatever the count, N from `--workers`,
 * else `WEB_CONCURRENCY` (default 1: one worker, restarted when it dies). `node dist/server.js` (what
 * `pnpm start` runs) starts the same cluster when asked for more than one worker, and otherwise serves
 * in its own process.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  await runPrimary(config, workersArgument(process.argv.slice(2)) ?? config.webConcurrency);
}

main().catch(failOn);
