// Runs once before every project: says plainly whether the PostgreSQL suite will run, and drops test
// databases an interrupted earlier run left behind.
import { cleanupStaleTestDatabases, testDialects } from '../packages/db/dist/testing/index.js';

export default async function setup(): Promise<void> {
  const dialects = await testDialects();
  if (dialects.includes('postgres')) {
    await cleanupStaleTestDatabases();
    process.stderr.write('\nDatabase suites: SQLite and PostgreSQL\n\n');
  } else {
    process.stderr.write(
      '\nDatabase suites: SQLite only (PostgreSQL suite SKIPPED: PostgreSQL not reachable; CI=true makes it required)\n\n',
    );
  }
}
