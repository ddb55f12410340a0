export { cleanupStaleTestDatabases, createTestDatabase, type TestDatabase } from './create-test-database.js';
export { DEFAULT_TEST_POSTGRES_URL, testDialects, testPostgresUrl } from './test-dialects.js';
