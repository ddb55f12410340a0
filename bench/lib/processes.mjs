import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { repoUrl } from './paths.mjs';

export const SERVER_ENTRY = fileURLToPath(repoUrl('apps/server/dist/server.js'));
/**
 * The Node flags of the server's start command (`apps/server/package.json` `start`, which the README's
 * systemd and container examples repeat): the benchmarks start the server as a deployment does.
 */
export const SERVER_NODE_ARGS = startCommandFlags();
export const BARE_ENTRY = fileURLToPath(new URL('./bare-fastify.mjs', import.meta.url));

function startCommandFlags() {
  const { scripts } = JSON.parse(readFileSync(repoUrl('apps/server/package.json'), 'utf8'));
  const match = /^node((?: --[\w-]+(?:=\S+)?)*) dist\/server\.js$/.exec(scripts.start);
  if (match === null)
    throw new Error(`apps/server start script is not "node [flags] dist/server.js": ${scripts.start}`);
  return match[1].trim().split(' ').filter(Boolean);
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** A loopback port that was free a moment ago. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One GET without keep-alive; resolves with the status code, rejects when nothing answers. */
function probe(url) {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent: false, timeout: 1000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    outgoing.on('error', reject);
    outgoing.on('timeout', () => outgoing.destroy(new Error('probe timed out')));
    outgoing.end();
  });
}

/**
 * Spawns `node <entry>` on 127.0.0.1 with only the environment given and waits until `GET /healthz`
 * answers 200. `startupMs` is spawn → first 200 (polled every 5 ms), what an orchestrator waits for.
 * `args(port)` gives the command-line arguments (the bare baseline takes its port there).
 */
export async function startProcess({ entry, env, args = () => [], nodeArgs = [], label }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, entry, ...args(port)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: '127.0.0.1', PORT: String(port), ...env },
    // Only warnings and errors are logged (LOG_LEVEL=warn): keep the tail to explain a failure.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const deadline = started + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before answering:\n${output}`);
    }
    try {
      if ((await probe(`${url}/healthz`)) === 200) break;
    } catch {
      // Not listening yet: the very thing being waited for.
    }
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${label} did not answer /healthz within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const startupMs = performance.now() - started;
  return {
    url,
    pid: child.pid,
    startupMs,
    output: () => output,
    /** Resident memory of the process and its children (cluster workers), in bytes. */
    rssBytes: () => treeRss(child.pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function rssOf(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0; // the process is gone (or this is not Linux): count nothing
  }
}

function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** VmRSS of `pid` plus its direct children (`/proc`, Linux only; 0 elsewhere). */
export function treeRss(pid) {
  return [String(pid), ...childrenOf(pid)].reduce((total, id) => total + rssOf(id), 0);
}

function cpuSecondsOf(pid) {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name): user and system time in ticks.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}
/** `getconf CLK_TCK`: 100 on every Linux Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, seconds) used so far by `pid` plus its direct children (`/proc`, Linux only;
 * 0 elsewhere). Ticks of 10 ms: over a run of a second or more, within a few percent.
 */
export function treeCpuSeconds(pid) {
  return [String(pid), ...childrenOf(pid)].reduce((total, id) => total + cpuSecondsOf(id), 0);
}

/** Samples {@link treeRss} every 100 ms until stopped; resolves with the peak. */
export function sampleRss(pid) {
  let peak = treeRss(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss(pid));
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, treeRss(pid));
    },
  };
}
