import autocannon from 'autocannon';
import { sampleRss } from './processes.mjs';

/** Concurrent keep-alive connections, as in the measurements (`wrk -c50`). */
export const CONNECTIONS = 50;

/**
 * Drives `url` with autocannon from this process for `durationMs` (50 connections, no pipelining) and
 * samples the server's RSS (process and workers) meanwhile. Every response must be a 2xx: anything else
 * is returned in `problems`, which the benchmark reports as a failure (a fast error is not a result).
 */
export async function drive({ url, headers = {}, durationMs, pid }) {
  const memory = pid === undefined ? undefined : sampleRss(pid);
  const result = await autocannon({
    url,
    headers,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: durationMs / 1000,
    // The default 10 s timeout would hide a stalled server behind a low rate: fail loudly instead.
    timeout: 5,
  });
  const peakRssBytes = memory?.stop();
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
    peakRssBytes,
    problems,
  };
}
