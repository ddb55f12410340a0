import { createDatabase, migrateDown, migrateToLatest } from '@cfm/db';
import { loadConfig } from '../config.js';
import { fail, failOn } from './exit-with.js';

const USAGE = 'Usage: node dist/cli/migrate.js up|down';

async function main(): Promise<void> {
  const direction = process.argv[2];
  if (direction !== 'up' && direction !== 'down') {
    fail(USAGE);
  }
  const config = loadConfig();
  const handle = createDatabase(config.databaseUrl);
  try {
    const outcome = direction === 'up' ? await migrateToLatest(handle.db) : await migrateDown(handle.db);
    for (const result of outcome.results) {
      const verb = result.direction === 'Up' ? 'applied' : 'reverted';
      const status = result.status === 'Success' ? verb : result.status === 'Error' ? 'FAILED' : 'skipped';
      process.stdout.write(`${status}: ${result.migrationName}\n`);
    }
    if (outcome.error !== undefined) {
      const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      fail(`Migration ${direction} failed: ${message}`);
    }
    if (outcome.results.length === 0) {
      process.stdout.write(direction === 'up' ? 'Nothing to apply: up to date.\n' : 'Nothing to revert.\n');
    }
  } finally {
    await handle.close();
  }
}

main().catch(failOn);
