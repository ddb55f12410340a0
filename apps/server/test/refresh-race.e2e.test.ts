import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OAuth2Credentials } from '@cfm/connector-sdk';
import { testDialects } from '@cfm/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  connectAccount,
  createEngineFixture,
  type EngineFixture,
  loadCredentials,
} from '../src/services/test/engine-fixture.js';

const DIALECTS = await testDialects();
const WORKER = fileURLToPath(new URL('./fixtures/refresh-race-worker.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/services/token-manager.js', import.meta.url));
const PROCESSES = 3;

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  output: Promise<{ hashes: string[] }>;
}

function startWorker(settings: Record<string, unknown>): Worker {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, CFM_RACE_SETTINGS: JSON.stringify(settings) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('ready\n')) markReady();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const output = new Promise<{ hashes: string[] }>((resolve, reject) => {
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as { hashes: string[] });
      else reject(new Error(`worker exited ${code}: ${stderr.slice(0, 2000)}`));
    });
  });
  // A worker that dies before "ready" must not leave the test waiting forever.
  void output.catch(() => markReady());
  return { child, ready, output };
}

describe.runIf(DIALECTS.includes('postgres'))('token refresh across processes (postgres)', () => {
  let fixture: EngineFixture | undefined;
  afterAll(async () => {
    await fixture?.close();
  });

  it(`${PROCESSES} processes × 20 concurrent callers on one expiring connection cause exactly one refresh`, async () => {
    expect(existsSync(BUILT), 'build first: pnpm --filter @cfm/server build').toBe(true);
    fixture = await createEngineFixture('postgres', { provider: { expiresIn: 600 } });
    const connectionId = await connectAccount(fixture);
    const settings = {
      databaseUrl: fixture.databaseUrl,
      providerUrl: fixture.provider.url,
      clientId: fixture.provider.clientId,
      clientSecret: fixture.provider.clientSecret,
      connectorId: fixture.connector.id,
      connectionId,
      keyId: fixture.vaultKey.id,
      key: fixture.vaultKey.key.toString('base64'),
      clockOffsetMs: 7 * 60 * 1000,
    };
    const workers = Array.from({ length: PROCESSES }, () => startWorker(settings));
    await Promise.all(workers.map((worker) => worker.ready));
    for (const worker of workers) worker.child.stdin?.end('go\n');
    const outputs = await Promise.all(workers.map((worker) => worker.output));

    expect(fixture.provider.counts.refresh).toBe(1);
    const hashes = new Set(outputs.flatMap((output) => output.hashes));
    expect(hashes.size).toBe(1);
    const stored = await loadCredentials(fixture, connectionId);
    if (!stored) throw new Error('the credentials are gone');
    const storedHash = createHash('sha256')
      .update((stored as OAuth2Credentials).accessToken)
      .digest('hex');
    expect([...hashes]).toEqual([storedHash]);
  });
});
