import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, runBounded } from '../../src/test/temp-folders.js';

const SERVER_DIST = join(REPO_ROOT, 'apps', 'server', 'dist');
const READY_TIMEOUT_MS = 20_000;

/** Refuses early, with what to run, when the server has not been built. */
export function assertServerBuilt(): void {
  if (!existsSync(join(SERVER_DIST, 'server.js'))) {
    throw new Error(
      `${SERVER_DIST}/server.js is missing: run \`pnpm --filter @cfm/server... run build\` first`,
    );
  }
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

export interface BuiltServer {
  url: string;
  /** Everything it logged so far. */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts `apps/server/dist/server.js` as an operator would, with only `env` (no inherited settings) and `cwd`
 * as its working folder (outside the repository, so no developer `.env` is read), and waits for `/readyz`.
 */
export async function startBuiltServer(env: Record<string, string>, cwd: string): Promise<BuiltServer> {
  assertServerBuilt();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [join(SERVER_DIST, 'server.js')], {
    cwd,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      FRONTEND_BASE_URL: 'http://127.0.0.1:9',
      TOKEN_REFRESH_INTERVAL_SECONDS: '3600',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) return { url, logs: () => output.join(''), stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`the server did not become ready:\n${output.join('').slice(-3000)}`);
}

/** A JWT for the API, from the server's own `pnpm dev-token` command (`dist/cli/token.js`). */
export async function devToken(env: Record<string, string>, cwd: string, email: string): Promise<string> {
  const { stdout } = await runBounded(
    process.execPath,
    [join(SERVER_DIST, 'cli', 'token.js'), '--email', email],
    {
      cwd,
      timeoutMs: 20_000,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NODE_ENV: 'test', ...env },
    },
  );
  return stdout.trim();
}
