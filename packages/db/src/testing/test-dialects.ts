import pg from 'pg';
import type { Dialect } from '../parse-database-url.js';

export const DEFAULT_TEST_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const PROBE_TIMEOUT_MS = 3000;

/** The PostgreSQL admin URL tests create their databases through (`TEST_POSTGRES_URL`). */
export function testPostgresUrl(): string {
  const url = process.env['TEST_POSTGRES_URL'];
  return url === undefined || url === '' ? DEFAULT_TEST_POSTGRES_URL : url;
}

let dialects: Promise<Dialect[]> | undefined;

/**
 * The dialects to run database tests on: SQLite always; PostgreSQL when it answers at `TEST_POSTGRES_URL`
 * within 3 s, and always when `CI=true` (so a broken PostgreSQL fails the run instead of being skipped).
 *
 * @example
 * const DIALECTS = await testDialects();
 * for (const dialect of DIALECTS) describe(dialect, () => { … });
 */
export function testDialects(): Promise<Dialect[]> {
  dialects ??= detectDialects();
  return dialects;
}

async function detectDialects(): Promise<Dialect[]> {
  if (process.env['CI'] === 'true') {
    return ['sqlite', 'postgres'];
  }
  const failure = await probePostgres(testPostgresUrl());
  if (failure === undefined) {
    return ['sqlite', 'postgres'];
  }
  // Said once per run: the root global setup sets CFM_TEST_DIALECTS_ANNOUNCED after saying it, and test
  // workers inherit that; a package's own `vitest run` has no global setup and says it here.
  if (process.env['CFM_TEST_DIALECTS_ANNOUNCED'] !== '1') {
    process.stderr.write(
      `PostgreSQL suite SKIPPED: ${failure} (set TEST_POSTGRES_URL, or CI=true to require it)\n`,
    );
    process.env['CFM_TEST_DIALECTS_ANNOUNCED'] = '1';
  }
  return ['sqlite'];
}

/** Resolves to undefined when PostgreSQL answers, otherwise to the reason it does not. */
async function probePostgres(url: string): Promise<string | undefined> {
  let client: pg.Client;
  try {
    client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  } catch (error) {
    return `invalid TEST_POSTGRES_URL (${errorName(error)})`;
  }
  // A failed connection can still emit 'error' later; it is reported through the rejected connect().
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || errorName(error) : String(error);
  } finally {
    // Closing a client whose connection already failed can reject too; the probe's answer is known by now.
    await client.end().catch(() => undefined);
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
