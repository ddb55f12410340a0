// `pnpm bench` (builds first) or `node bench/run.mjs [name …]`; `BENCH_QUICK=1` for a smoke run.
// Every benchmark measures our code and a baseline in this same process and reports the ratio.
import { performance } from 'node:perf_hooks';
import * as apiListConnections from './api-list-connections.bench.mjs';
import * as httpApi from './http-api.bench.mjs';
import * as httpClient from './http-client.bench.mjs';
import { environment, printHttpTables, printResult, printTable, writeResults } from './lib/report.mjs';
import { benchSettings } from './lib/settings.mjs';
import * as refresher from './refresher.bench.mjs';
import * as scale from './scale.bench.mjs';
import * as startup from './startup.bench.mjs';
import * as tokenRefreshCoalescing from './token-refresh-coalescing.bench.mjs';
import * as vault from './vault.bench.mjs';

const BENCHMARKS = {
  vault: vault.run,
  'api-list-connections': apiListConnections.run,
  'token-refresh-coalescing': tokenRefreshCoalescing.run,
  'http-client': httpClient.run,
  // Long single trials (seconds each), a child process for the fake provider: see README.md.
  refresher: refresher.run,
  // Real processes over HTTP (autocannon against a bare Fastify process): see README.md.
  'http-api': httpApi.run,
  startup: startup.run,
  // PostgreSQL only: the user's list on a 1,000,000-connection table against an almost empty one.
  scale: scale.run,
};

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  process.stderr.write(
    `Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(BENCHMARKS).join(', ')}\n`,
  );
  process.exit(2);
}

const settings = benchSettings();
const startedAt = new Date();
const env = environment(settings);
process.stdout.write(
  `Benchmarks (${settings.quick ? 'BENCH_QUICK' : 'full'}): Node ${env.node}, ${env.cpus} x ${env.cpuModel}, commit ${env.commit}, load ${env.loadAverage1m}\n` +
    'ratio = our time per operation / the baseline time per operation, measured in this run (1.00x = no overhead)\n\n',
);

const results = [];
const errors = [];
for (const name of requested.length > 0 ? requested : Object.keys(BENCHMARKS)) {
  const started = performance.now();
  process.stdout.write(`${name}\n`);
  try {
    for (const result of await BENCHMARKS[name](settings)) {
      printResult(result);
      results.push(result);
    }
  } catch (error) {
    // One broken benchmark (a package mid-refactor) must not hide the others' numbers: report and go on.
    errors.push({
      benchmark: name,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    process.stdout.write(`  ERROR ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.stdout.write(`  (${((performance.now() - started) / 1000).toFixed(1)} s)\n\n`);
}

printTable(results);
printHttpTables(results);
const file = writeResults(startedAt, {
  startedAt: startedAt.toISOString(),
  environment: env,
  results,
  errors,
});
process.stdout.write(`\nResults written to ${file}\n`);

const failed = results.filter((result) => result.failures?.length > 0);
if (errors.length > 0 || failed.length > 0) {
  process.stdout.write(
    `${errors.length} benchmark(s) errored, ${failed.length} failed a correctness check\n`,
  );
  process.exitCode = 1;
}
