import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sampleRss, treeCpuSeconds } from './processes.mjs';

/** Concurrent keep-alive connections, as in the measurements (`wrk -c50`). */
export const CONNECTIONS = 50;

/**
 * The load generator: `wrk` (C, one thread, as in the table) when it is installed (`apt install
 * wrk`), else autocannon from this process (Node: it needs a core of its own to keep up, and on two cores
 * it is often the limit, of the bare baseline first). `BENCH_LOAD=autocannon` forces autocannon.
 */
export const LOAD_GENERATOR = pickLoadGenerator();

function pickLoadGenerator(env = process.env) {
  if (env.BENCH_LOAD === 'autocannon') return 'autocannon';
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // `wrk --version` prints its banner and exits 1: only a missing binary is "not installed".
    if (error.code === 'ENOENT') return 'autocannon';
  }
  return 'wrk';
}

/**
 * Drives `url` for `durationMs` (50 connections, no pipelining; wrk rounds it to whole seconds, at least
 * one) and samples the server's RSS (process and workers) meanwhile, and the CPU time `cpuPid` (default
 * `pid`) and its children used per answered request. Every response must be a 2xx:
 * anything else is returned in `problems`, which the benchmark reports as a failure (a fast error is not
 * a result).
 */
export async function drive({ url, headers = {}, durationMs, pid, cpuPid = pid }) {
  const memory = pid === undefined ? undefined : sampleRss(pid);
  const cpuBefore = cpuPid === undefined ? undefined : treeCpuSeconds(cpuPid);
  const result =
    LOAD_GENERATOR === 'wrk'
      ? await driveWithWrk({ url, headers, durationMs })
      : await driveWithAutocannon({ url, headers, durationMs });
  const cpuUsPerRequest =
    cpuBefore === undefined || result.requests === 0
      ? undefined
      : ((treeCpuSeconds(cpuPid) - cpuBefore) * 1e6) / result.requests;
  return { ...result, peakRssBytes: memory?.stop(), cpuUsPerRequest };
}

async function driveWithAutocannon({ url, headers, durationMs }) {
  const result = await autocannon({
    url,
    headers,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: durationMs / 1000,
    // The default 10 s timeout would hide a stalled server behind a low rate: fail loudly instead.
    timeout: 5,
  });
  const seconds = result.duration > 0 ? result.duration : durationMs / 1000;
  const answered = result['2xx'];
  const problems = [];
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx answers`);
  if (result.errors > 0) problems.push(`${result.errors} connection errors`);
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`);
  return {
    requestsPerSecond: answered / seconds,
    requests: answered,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    bytesPerResponse: answered > 0 ? Math.round(result.throughput.total / answered) : 0,
    problems,
  };
}

// wrk's own summary rounds and scales its figures: a `done` hook prints the exact ones on one line.
const WRK_REPORT = `
done = function(summary, latency, requests)
  io.write(string.format("CFM-WRK %d %d %d %d %d %d %d %d %d %d %d\\n",
    summary.duration, summary.requests, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
`;
let wrkScript;

async function driveWithWrk({ url, headers, durationMs }) {
  if (wrkScript === undefined) {
    wrkScript = join(mkdtempSync(join(tmpdir(), 'cfm-wrk-')), 'report.lua');
    writeFileSync(wrkScript, WRK_REPORT);
  }
  const seconds = Math.max(1, Math.round(durationMs / 1000));
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '5s', '-s', wrkScript];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  const output = await new Promise((resolve, reject) =>
    execFile('wrk', args, { timeout: (seconds + 30) * 1000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`wrk failed: ${error.message} ${stderr}`)) : resolve(stdout),
    ),
  );
  const line = output.split('\n').find((text) => text.startsWith('CFM-WRK '));
  if (line === undefined) throw new Error(`wrk printed no report:\n${output}`);
  const [durationUs, requests, bytes, connect, read, write, status, timeout, p50Us, p99Us, maxUs] = line
    .split(' ')
    .slice(1)
    .map(Number);
  const problems = [];
  if (status > 0) problems.push(`${status} non-2xx answers`);
  if (connect + read + write > 0) problems.push(`${connect + read + write} connection errors`);
  if (timeout > 0) problems.push(`${timeout} timeouts`);
  const answered = requests - status;
  return {
    requestsPerSecond: answered / (durationUs / 1e6),
    requests: answered,
    p50Ms: Math.round(p50Us / 100) / 10,
    p99Ms: Math.round(p99Us / 100) / 10,
    maxMs: Math.round(maxUs / 100) / 10,
    bytesPerResponse: requests > 0 ? Math.round(bytes / requests) : 0,
    problems,
  };
}
