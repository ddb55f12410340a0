import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const SERVER_ROOT = join(import.meta.dirname, '..', '..');
export const SERVER_ENTRY = join(SERVER_ROOT, 'dist', 'server.js');

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

export interface ServerProcess {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly env: Readonly<Record<string, string>>;
  /** The process id (to read its memory from `/proc/<pid>/status`). */
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far (pino JSON lines at debug level). */
  logs(): string;
  /** The last warning, error and fatal log lines: printed when a test fails, to say why. */
  problems(limit?: number): string;
  /** SIGTERM, then SIGKILL when it has not exited in time. Resolves with the exit code (or signal). */
  stop(): Promise<number | string | null>;
}

export interface ServerSecrets {
  JWT_SECRET: string;
  ENCRYPTION_KEY: string;
}

/** Fresh secrets for one test file (share them between processes that use one database). */
export function generateServerSecrets(): ServerSecrets {
  return {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
}

/** A port that was free a moment ago (the server must know its own URL before it listens). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

export interface StartServerOptions {
  /** DATABASE_URL, JWT_SECRET, ENCRYPTION_KEY, client credentials, overrides…; wins over the defaults. */
  env: Record<string, string>;
  port?: number;
}

function exited(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.exitCode ?? child.signalCode);
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'not started';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output().slice(-3000)}`,
      );
    }
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      lastProblem = `/readyz answered ${response.status}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `the server was not ready within ${READY_TIMEOUT_MS} ms (${lastProblem}):\n${output().slice(-3000)}`,
  );
}

/**
 * Starts the built server (`node dist/server.js`) as a child process with only the environment given
 * (no inherited shell settings), waits for `/readyz`, and keeps its logs in memory.
 *
 * @example
 * const server = await startServerProcess({ env: { DATABASE_URL: database.url, ...generateServerSecrets() } });
 * await server.stop();
 */
export async function startServerProcess(options: StartServerOptions): Promise<ServerProcess> {
  if (!existsSync(SERVER_ENTRY)) {
    throw new Error(`${SERVER_ENTRY} is missing: run \`pnpm --filter @cfm/server build\` first`);
  }
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    HOST: '127.0.0.1',
    PORT: String(port),
    BACKEND_BASE_URL: url,
    FRONTEND_BASE_URL: 'http://127.0.0.1:9',
    // The background refresher would race the tests' own refresh assertions.
    TOKEN_REFRESH_INTERVAL_SECONDS: '3600',
    ...options.env,
  };
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: SERVER_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const output = () => chunks.join('');
  const exit = exited(child);
  try {
    await waitUntilReady(url, child, output);
  } catch (error) {
    child.kill('SIGKILL');
    await exit;
    throw error;
  }
  return {
    url,
    env,
    pid: child.pid ?? 0,
    logs: output,
    problems: (limit = 10) =>
      output()
        .split('\n')
        .filter((line) => /"level":(?:40|50|60)\b/.test(line) || (line !== '' && !line.startsWith('{')))
        .slice(-limit)
        .join('\n'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
