import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createDatabase } from '@cfm/db';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { signTestToken } from './support/api-client.js';
import {
  freePort,
  generateServerSecrets,
  SERVER_ENTRY,
  SERVER_ROOT,
  type ServerProcess,
  startServerProcess,
} from './support/server-process.js';

const DIALECTS = await testDialects();
const SHUTDOWN_SECONDS = 3;
/** Signal delivery, process exit and a loaded CI machine: what the grace period may overrun by. */
const EXIT_SLACK_MS = 2000;

function exitOf(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.exitCode ?? child.signalCode);
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
}

/** Milliseconds from now until `child` exits, or 'still running' after `limitMs` (then it is killed). */
async function timeToExit(
  child: ChildProcess,
  limitMs: number,
): Promise<{ ms: number | 'still running'; code: unknown }> {
  const started = Date.now();
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await exitOf(child);
  clearTimeout(timer);
  const ms = Date.now() - started;
  return { ms: ms >= limitMs ? 'still running' : ms, code };
}

/** The built server as a child whose stdout the test controls (startServerProcess reads it to the end). */
async function spawnServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: SERVER_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      NODE_ENV: 'test',
      LOG_LEVEL: 'debug',
      HOST: '127.0.0.1',
      PORT: String(port),
      BACKEND_BASE_URL: url,
      TOKEN_REFRESH_INTERVAL_SECONDS: '3600',
      SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_SECONDS),
      ...env,
    },
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${stderr.join('')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server was not ready: ${stderr.join('')}`);
    }
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { child, url };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Sends `head`, then `body` one byte every `everyMs`, and resolves with what the server answered and when. */
function trickle(url: string, head: string, body: string, everyMs: number) {
  const { hostname, port } = new URL(url);
  return new Promise<{ answer: string; closedAfterMs: number }>((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname);
    const started = Date.now();
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent < body.length && socket.writable) socket.write(body[sent++]!);
      }, everyMs);
    });
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('error', () => undefined); // a reset after the answer is the server closing: see 'close'
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`the server kept the trickling connection open for 20 s (answered: ${answer})`));
    }, 20_000);
  });
}

describe('slow clients and shutdown (sqlite)', () => {
  let database: TestDatabase | undefined;
  let child: ChildProcess | undefined;

  afterEach(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exitOf(child);
    }
    await database?.drop();
    child = database = undefined;
  });

  it('closes a connection that trickles its body (408 in our shape) or its headers, within the bound', async () => {
    database = await createTestDatabase('sqlite');
    const secrets = generateServerSecrets();
    const started = await spawnServer({
      DATABASE_URL: database.url,
      ...secrets,
      REQUEST_TIMEOUT_SECONDS: '2',
      HEADERS_TIMEOUT_SECONDS: '1',
    });
    child = started.child;
    child.stdout?.resume(); // read and drop: this test is about the socket
    const token = await signTestToken(secrets.JWT_SECRET, { subject: 'slow', email: 'slow@example.com' });
    const body = JSON.stringify({ connector_key: 'notion', config_data: { padding: 'x'.repeat(200) } });
    const head =
      `POST /api/connections/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    // 250 bytes at 10 a second would take 25 s.
    const slowBody = await trickle(started.url, head, body, 100);
    expect(slowBody.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(slowBody.answer.slice(slowBody.answer.indexOf('\r\n\r\n') + 4))).toEqual({
      statusCode: 408,
      code: 'CFM_REQUEST_TIMEOUT',
      error: 'Request Timeout',
      message: 'The request did not arrive in time: the connection is closed',
    });
    // The bound (2 s), plus Node's once-a-second check, plus slack for a loaded machine.
    expect(slowBody.closedAfterMs).toBeLessThan(2000 + 1000 + EXIT_SLACK_MS);

    const slowHeaders = await trickle(started.url, '', head, 100);
    expect(slowHeaders.answer).toMatch(/^(HTTP\/1\.1 408 |$)/);
    expect(slowHeaders.closedAfterMs).toBeLessThan(1000 + 1000 + EXIT_SLACK_MS);

    // Nothing was created by either, and the server still serves.
    expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
  });

  for (const reader of ['stopped reading', 'went away'] as const) {
    it(`ends on SIGTERM within the grace period when the stdout reader ${reader}`, async () => {
      database = await createTestDatabase('sqlite');
      const started = await spawnServer({ DATABASE_URL: database.url, ...generateServerSecrets() });
      child = started.child;
      if (reader === 'stopped reading') child.stdout?.pause();
      else child.stdout?.destroy();
      // Enough request logs (each names its 8 KB URL) to fill any pipe buffer several times over.
      const padding = 'p'.repeat(8000);
      let answered = 0;
      for (let index = 0; index < 150; index += 1) {
        const response = await fetch(`${started.url}/api/no-such-route?pad=${padding}`, {
          signal: AbortSignal.timeout(5000),
        });
        await response.arrayBuffer();
        answered += 1;
      }
      expect(answered).toBe(150); // a blocked event loop would have stopped answering
      child.kill('SIGTERM');
      const exit = await timeToExit(child, SHUTDOWN_SECONDS * 1000 + EXIT_SLACK_MS);
      expect(exit.ms).not.toBe('still running');
      expect(exit.code).toBe(0);
    });
  }
});

for (const dialect of DIALECTS) {
  describe(`SIGTERM under load (${dialect})`, () => {
    let database: TestDatabase | undefined;
    let server: ServerProcess | undefined;

    afterEach(async () => {
      await server?.stop();
      await database?.drop();
      server = database = undefined;
    });

    it('finishes in-flight requests, writes nothing by half, and exits 0', async () => {
      database = await createTestDatabase(dialect);
      const secrets = generateServerSecrets();
      server = await startServerProcess({ env: { DATABASE_URL: database.url, ...secrets } });
      const url = server.url;

      // One request in flight for sure: headers and half its body sent before SIGTERM, the rest after.
      const slowToken = await signTestToken(secrets.JWT_SECRET, {
        subject: 'inflight',
        email: 'inflight@example.com',
      });
      const body = JSON.stringify({ connector_key: 'notion' });
      const { hostname, port } = new URL(url);
      const socket = connect(Number(port), hostname);
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString();
      });
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
      socket.write(
        `POST /api/connections/ HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${slowToken}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n` +
          body.slice(0, 10),
      );

      // And a burst of other users creating connections as the signal arrives.
      const tokens = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          signTestToken(secrets.JWT_SECRET, {
            subject: `burst-${index}`,
            email: `burst-${index}@example.com`,
          }),
        ),
      );
      const burst = tokens.map((token) =>
        fetch(`${url}/api/connections/`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ connector_key: 'notion' }),
          signal: AbortSignal.timeout(10_000),
        }).then(
          async (response) => ({
            status: response.status,
            id: ((await response.json()) as { id?: string }).id,
          }),
          () => ({ status: 'not accepted' as const, id: undefined }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stopped = server.stop();
      await new Promise((resolve) => setTimeout(resolve, 500));
      socket.write(body.slice(10));
      await closed;
      const results = await Promise.all(burst);
      const exitCode = await stopped;

      expect(answer, server.problems()).toMatch(/^HTTP\/1\.1 201 /);
      const created = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { id: string };
      expect(exitCode, server.problems()).toBe(0);
      for (const result of results) {
        // Accepted before the signal: answered in full; after: refused at the door, never cut off midway.
        expect([201, 503, 'not accepted']).toContain(result.status);
      }

      // Every 201 is a row, and there is no row nobody was told about.
      const handle = createDatabase(database.url);
      try {
        const rows = await handle.db.selectFrom('connections').select('id').execute();
        const answeredIds = [
          created.id,
          ...results.flatMap((result) => (result.status === 201 ? [result.id] : [])),
        ];
        expect(rows.map((row) => row.id).sort()).toEqual(answeredIds.sort());
      } finally {
        await handle.close();
      }
    });
  });
}
