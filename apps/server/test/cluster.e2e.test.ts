import { spawn } from 'node:child_process';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { migrations } from '@cfm/db';
import { createTestDatabase, testDialects } from '@cfm/db/testing';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, generateServerSecrets, SERVER_ROOT } from './support/server-process.js';

const DIALECTS = await testDialects();
const SERVER = join(SERVER_ROOT, 'dist', 'server.js');
const WAIT_MS = 30_000;
/** How long the fake provider holds each check call: the requests are in flight when SIGTERM arrives. */
const PROVIDER_DELAY_MS = 1500;
const IN_FLIGHT = 12;

type LogLine = Record<string, unknown> & { msg?: string; pid?: number };

/** `node dist/server.js` with `WEB_CONCURRENCY=2`: a primary and two workers, their JSON logs kept. */
function startCluster(env: Record<string, string>) {
  const child = spawn(process.execPath, [SERVER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) if (part.startsWith('{')) lines.push(JSON.parse(part) as LogLine);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exit, stderr: () => stderr };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * GET on a connection of its own (no keep-alive): a pooled connection to the worker killed below would
 * die with it, which is the client's problem (a proxy retries), not what is tested.
 */
function freshGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, timeout: 5000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    })
      .on('timeout', function (this: ReturnType<typeof get>) {
        this.destroy(new Error(`no answer from ${url} within 5 s`));
      })
      .on('error', reject);
  });
}

/** A provider whose identity endpoint answers after {@link PROVIDER_DELAY_MS}; counts the calls. */
async function slowProvider(): Promise<{ server: Server; url: string; calls: () => number }> {
  let calls = 0;
  const server = createServer((_request, response) => {
    calls += 1;
    setTimeout(() => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ id: 'acct-1', name: 'Slow Account' }));
    }, PROVIDER_DELAY_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, calls: () => calls };
}

for (const dialect of DIALECTS) {
  describe(`production mode: WEB_CONCURRENCY=2 (${dialect})`, () => {
    const secrets = generateServerSecrets();
    const key = new TextEncoder().encode(secrets.JWT_SECRET);
    const token = (email: string, role: 'user' | 'admin') =>
      new SignJWT({ email, role })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(`e2e|${email}`)
        .setExpirationTime('1h')
        .sign(key);
    let cluster: ReturnType<typeof startCluster>;
    let url: string;
    let drop: () => Promise<void>;
    let provider: Awaited<ReturnType<typeof slowProvider>>;
    let admin: string;

    const workerPids = () =>
      new Map(
        cluster.lines
          .filter((line) => line.msg === 'worker started')
          .map((line) => [line['slot'] as number, line['workerPid'] as number]),
      );
    const readyPids = () =>
      new Set(
        cluster.lines.filter((line) => String(line.msg).includes('is ready on')).map((line) => line.pid),
      );
    const api = (path: string, init: RequestInit & { bearer?: string } = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: {
          ...(init.bearer && { authorization: `Bearer ${init.bearer}` }),
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
        },
      });

    beforeAll(async () => {
      const database = await createTestDatabase(dialect);
      drop = database.drop;
      provider = await slowProvider();
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      cluster = startCluster({
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: database.url,
        ...secrets,
        WEB_CONCURRENCY: '2',
        METRICS_ENABLED: 'true',
        ALLOW_INSECURE_CONNECTOR_URLS: 'true',
        TOKEN_REFRESH_INTERVAL_SECONDS: '3600',
      });
      await until('both workers ready', () => readyPids().size === 2 || cluster.child.exitCode !== null);
      expect(cluster.child.exitCode, cluster.stderr()).toBeNull();
      admin = await token('admin@example.com', 'admin');
    });

    afterAll(async () => {
      if (cluster?.child.exitCode === null) {
        cluster.child.kill('SIGKILL');
        for (const pid of workerPids().values()) if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
      await new Promise((resolve) => provider?.server.close(resolve));
      await drop?.();
    });

    it('migrates once, in the primary, before the workers start; only worker 1 runs the refresher', () => {
      const migrated = cluster.lines.filter((line) => line.msg === 'applied database migrations');
      expect(migrated).toHaveLength(1);
      expect(migrated[0]?.pid).toBe(cluster.child.pid);
      expect(migrated[0]?.['applied']).toEqual(Object.keys(migrations));
      expect(cluster.lines.some((line) => line.msg === 'database is up to date')).toBe(false);
      const firstStart = cluster.lines.findIndex((line) => line.msg === 'worker started');
      expect(cluster.lines.indexOf(migrated[0]!)).toBeLessThan(firstStart);

      const refreshers = cluster.lines.filter((line) => line.msg === 'background token refresher started');
      expect(refreshers.map((line) => line.pid)).toEqual([workerPids().get(1)]);
    });

    it('answers from two worker processes on one port', async () => {
      const pids = workerPids();
      expect(pids.size).toBe(2);
      expect(new Set(pids.values()).size).toBe(2);
      expect([...pids.values()].every(alive)).toBe(true);
      // Parallel requests open several connections; the primary hands them to the workers in turn.
      const answers = await Promise.all(Array.from({ length: 40 }, () => api('/healthz')));
      expect(answers.map((answer) => answer.status)).toEqual(Array(40).fill(200));

      const metrics = await api('/metrics', { bearer: admin });
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      const served = (worker: number) =>
        Number(
          new RegExp(
            `^cfm_http_request_duration_seconds_count\\{route="/healthz",method="GET",status_class="2xx",worker="${worker}"\\} (\\d+)$`,
            'm',
          ).exec(text)?.[1] ?? 0,
        );
      expect(served(1)).toBeGreaterThan(0);
      expect(served(2)).toBeGreaterThan(0);
      expect(served(1) + served(2)).toBeGreaterThanOrEqual(40);
    });

    it('replaces a worker that dies, and keeps answering meanwhile', async () => {
      const before = workerPids().get(2)!;
      process.kill(before, 'SIGKILL');
      // Connections the primary handed to the worker in the instant before it learnt of the death
      // die with it (node:cluster); from then on, while slot 2 restarts, worker 1 takes everything.
      await until('the primary to notice', () =>
        cluster.lines.some((line) => line.msg === 'worker died: restarting it'),
      );
      const during = await Promise.all(Array.from({ length: 10 }, () => freshGet(`${url}/healthz`)));
      expect(during).toEqual(Array(10).fill(200));

      const after = await until('a new worker in slot 2', () => {
        const pid = workerPids().get(2);
        return pid !== before ? pid : undefined;
      });
      await until('the new worker listening', () => readyPids().has(after));
      expect(alive(before)).toBe(false);
      expect(alive(after)).toBe(true);
      const died = cluster.lines.find((line) => line.msg === 'worker died: restarting it');
      expect(died).toMatchObject({ slot: 2, workerPid: before, signal: 'SIGKILL' });
      // The replacement does not migrate either.
      expect(cluster.lines.filter((line) => line.msg === 'applied database migrations')).toHaveLength(1);
    });

    it('on SIGTERM finishes every request in flight (all 2xx), then every process exits', async () => {
      const user = await token('load@example.com', 'user');
      const declared = await api('/api/connectors/', {
        method: 'POST',
        bearer: admin,
        body: JSON.stringify({
          key: 'slow-provider',
          name: 'Slow provider',
          description: 'Answers its identity check slowly (test).',
          auth: {
            type: 'api_key',
            fields: [{ name: 'apiKey', label: 'API key', in: 'header', param: 'x-api-key' }],
          },
          check: { url: `${provider.url}/api/me`, identity: { account_id: 'id', display_name: 'name' } },
        }),
      });
      expect(declared.status, await declared.clone().text()).toBe(201);
      const created = await api('/api/connections/', {
        method: 'POST',
        bearer: user,
        body: JSON.stringify({
          connector_key: 'slow-provider',
          credentials: { type: 'api_key', values: { apiKey: 'k-123' } },
        }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const pids = [...workerPids().values()].filter(alive);

      const inFlight = Array.from({ length: IN_FLIGHT }, () =>
        api(`/api/connections/${id}/test`, { method: 'POST', bearer: user }).then(async (response) => ({
          status: response.status,
          body: (await response.json()) as { success?: boolean },
        })),
      );
      await until('every test call at the provider', () => provider.calls() >= IN_FLIGHT);
      cluster.child.kill('SIGTERM');

      const answers = await Promise.all(inFlight);
      expect(answers.map((answer) => answer.status)).toEqual(Array(IN_FLIGHT).fill(200));
      expect(answers.every((answer) => answer.body.success === true)).toBe(true);
      expect(await cluster.exit).toBe(0);
      await until('the workers gone', () => pids.every((pid) => !alive(pid)));
      expect(cluster.lines.filter((line) => line.msg === 'stopped').length).toBeGreaterThanOrEqual(3);
    });
  });
}
