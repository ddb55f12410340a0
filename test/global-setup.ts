// Runs once before every project: says plainly whether the PostgreSQL suite will run, and drops test
// databases an interrupted earlier run left behind.
import { cleanupStaleTestDatabases, testDialects } from '../packages/db/dist/testing/index.js';

export default async function setup(): Promise<void> {
  // The line below is the one announcement of the run: test workers inherit this and stay quiet.
  process.env['CFM_TEST_DIALECTS_ANNOUNCED'] = '1';
  const dialects = await testDialects();
  if (dialects.includes('postgres')) {
    await cleanupStaleTestDatabases();
    process.stderr.write('\nDatabase suites: SQLite and PostgreSQL\n\n');
  } else {
    process.stderr.write(
      '\nDatabase suites: SQLite only (PostgreSQL suite SKIPPED: PostgreSQL not reachable at TEST_POSTGRES_URL or 127.0.0.1:5432; set TEST_POSTGRES_URL, or CI=true to require it)\n\n',
    );
  }
}
