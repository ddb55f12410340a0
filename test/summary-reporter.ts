// Prints one plain closing line ("Tests: N passed, N failed, N skipped") that any CI can read, and says
// there too when the PostgreSQL suite did not run.
import type { Reporter, TestModule } from 'vitest/node';
import { testDialects } from '../packages/db/dist/testing/index.js';

export default class SummaryReporter implements Reporter {
  async onTestRunEnd(testModules: ReadonlyArray<TestModule>): Promise<void> {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else counts.skipped += 1;
      }
      if (testModule.state() === 'failed' && testModule.children.size === 0) counts.failed += 1;
    }
    process.stdout.write(
      `\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
    // The same probe the suites used (cached per process): said at the end too, where a reader looks.
    if (!(await testDialects()).includes('postgres')) {
      process.stdout.write('PostgreSQL suite SKIPPED: the database tests ran on SQLite only\n');
    }
  }
}
