// Where a route's time goes: `node bench/profile.mjs [sqlite|postgres] [route …]` (needs a build).
// Starts the real server with `--cpu-prof` (production mode, one process), seeds it as `http-api` does,
// drives each route with wrk (autocannon without it; 50 connections, 4 s), stops it, and prints the self time of the
// server's CPU during each route's load by owner and by function. Profiles stay in bench/results/profiles.
import { mkdirSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { summarizeProfile } from './lib/cpu-profile.mjs';
import { seedOverHttp, serverEnv, serverSecrets } from './lib/http-seed.mjs';
import { drive } from './lib/load.mjs';
import { importBuilt, repoUrl } from './lib/paths.mjs';
import { SERVER_ENTRY, SERVER_NODE_ARGS, startProcess } from './lib/processes.mjs';

const [dialect = 'sqlite', ...requested] = process.argv.slice(2);
const routes = requested.length > 0 ? requested : ['/healthz', '/api/connectors/', '/api/connections/'];
/** `PROFILE_SECONDS` (default 4): how long each route is driven while profiled. */
function profileSeconds(env = process.env) {
  return Number(env.PROFILE_SECONDS ?? 4);
}
const durationMs = profileSeconds() * 1000;
const directory = fileURLToPath(
  repoUrl(`bench/results/profiles/${new Date().toISOString().replaceAll(':', '-')}`),
);
mkdirSync(directory, { recursive: true });

const { createTestDatabase } = await importBuilt('packages/db/dist/testing/index.js');
const database = await createTestDatabase(dialect);
const secrets = serverSecrets();
const microseconds = () => process.hrtime.bigint() / 1000n;
const windows = [];
try {
  const server = await startProcess({
    entry: SERVER_ENTRY,
    label: `server (${dialect})`,
    nodeArgs: [...SERVER_NODE_ARGS, '--cpu-prof', `--cpu-prof-dir=${directory}`],
    env: serverEnv(database.url, secrets),
  });
  try {
    const { authorization } = await seedOverHttp(server.url, secrets.JWT_SECRET);
    for (const route of routes) {
      const headers = route.startsWith('/api/') ? { authorization } : {};
      await drive({ url: `${server.url}${route}`, headers, durationMs: 500 }); // warm-up, not profiled
      const fromUs = Number(microseconds());
      const result = await drive({ url: `${server.url}${route}`, headers, durationMs, pid: server.pid });
      windows.push({ route, fromUs, toUs: Number(microseconds()), result });
    }
  } finally {
    await server.stop(); // the profile is written as the process exits
  }
} finally {
  await database.drop();
}

const [file] = readdirSync(directory).filter((name) => name.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`no .cpuprofile written in ${directory}`);
const repoPath = fileURLToPath(repoUrl(''));
const percent = (share) => `${(share * 100).toFixed(1)}%`.padStart(6);
for (const { route, fromUs, toUs, result } of windows) {
  const summary = summarizeProfile(`${directory}/${file}`, { fromUs, toUs, repoPath });
  process.stdout.write(
    `\n${route} (${dialect}): ${Math.round(result.requestsPerSecond)} req/s under the profiler, p99 ${result.p99Ms} ms; ` +
      `${summary.totalMs.toFixed(0)} ms of samples\n  by owner:\n`,
  );
  for (const { name, share } of summary.owners) process.stdout.write(`  ${percent(share)}  ${name}\n`);
  process.stdout.write('  by function (self time):\n');
  for (const { name, share } of summary.functions) process.stdout.write(`  ${percent(share)}  ${name}\n`);
}
process.stdout.write(`\nProfile: ${directory}/${file} (open it in Chrome DevTools → Performance)\n`);
