import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDatabase } from '@cfm/db';
import { createTestDatabase, testDialects } from '@cfm/db/testing';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DIALECTS = await testDialects();
const SERVER_ROOT = join(import.meta.dirname, '..');
const SERVER = join(SERVER_ROOT, 'dist', 'server.js');
const TOKEN_CLI = join(SERVER_ROOT, 'dist', 'cli', 'token.js');
const WAIT_MS = 20_000;

/** Only what the server needs: no inherited `.env`-style surprises from the developer's shell. */
function childEnv(folder: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: `sqlite:///${join(folder, 'e2e.db')}`,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...extra,
  };
}

/** Resolves with the first JSON log line matching `predicate`, or rejects after WAIT_MS or on exit. */
function waitForLog(child: ChildProcess, predicate: (line: Record<string, unknown>) => boolean) {
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no matching log line within ${WAIT_MS} ms`)), WAIT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (predicate(parsed)) {
          clearTimeout(timer);
          resolve(parsed);
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before logging the expected line`));
    });
  });
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`server did not exit within ${WAIT_MS} ms`)), WAIT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('built server', () => {
  let folder: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    if (!existsSync(SERVER)) {
      throw new Error(`${SERVER} is missing: run \`pnpm --filter @cfm/server build\` first`);
    }
    folder = mkdtempSync(join(tmpdir(), 'cfm-e2e-'));
  });
  afterAll(() => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  });

  it.each(DIALECTS)('migrates %s, serves /healthz and stops cleanly on SIGTERM', async (dialect) => {
    const database = await createTestDatabase(dialect);
    const env = childEnv(folder, { DATABASE_URL: database.url });
    child = spawn(process.execPath, [SERVER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const ready = await waitForLog(child, (line) => typeof line['url'] === 'string' && 'docs' in line);
    const url = ready['url'] as string;

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    // The database was migrated before listening.
    const handle = createDatabase(env['DATABASE_URL']!);
    try {
      const users = await handle.db.selectFrom('users').select('id').execute();
      expect(users).toEqual([]);
    } finally {
      await handle.close();
    }

    child.kill('SIGTERM');
    expect(await waitForExit(child)).toBe(0);
    await database.drop();
  });

  it('refuses to start with one clear line on a bad configuration', async () => {
    const bad = spawn(process.execPath, [SERVER], {
      env: childEnv(folder, { JWT_SECRET: 'short' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    bad.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await waitForExit(bad)).toBe(1);
    expect(stderr).toBe('Configuration error: JWT_SECRET must be at least 32 characters\n');
  });

  it('pnpm dev-token prints only a JWT the configuration verifies', async () => {
    const env = childEnv(folder);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [TOKEN_CLI, '--email', 'cli@example.com', '--admin', '--ttl', '15m'],
      { env, timeout: WAIT_MS },
    );
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { payload, protectedHeader } = await jwtVerify(
      stdout.trim(),
      new TextEncoder().encode(env['JWT_SECRET']),
    );
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ email: 'cli@example.com', role: 'admin', sub: 'local|cli@example.com' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
  });
});
