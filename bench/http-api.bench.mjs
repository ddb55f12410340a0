import { benchDialects } from './lib/databases.mjs';
import {
  CONNECTIONS,
  EXPECTED_CONNECTORS,
  seedOverHttp,
  serverEnv,
  serverSecrets,
} from './lib/http-seed.mjs';
import { drive, LOAD_GENERATOR } from './lib/load.mjs';
import { summarize } from './lib/measure.mjs';
import { importBuilt } from './lib/paths.mjs';
import { BARE_ENTRY, SERVER_ENTRY, SERVER_NODE_ARGS, startProcess } from './lib/processes.mjs';

const ROUTES = [
  { path: '/healthz', label: '/healthz', authenticated: false },
  { path: '/api/connectors/', label: `GET /api/connectors/ (${EXPECTED_CONNECTORS})`, authenticated: true },
  { path: '/api/connections/', label: `GET /api/connections/ (${CONNECTIONS})`, authenticated: true },
];
/**
 * One process (what `pnpm start` runs) and the 2-worker cluster of production mode, on every dialect;
 * a quick run starts one of each (one process on the first dialect, the cluster on the last).
 */
function scenarios(dialects, quick) {
  if (quick)
    return [
      { dialect: dialects[0], workers: 1 },
      { dialect: dialects.at(-1), workers: 2 },
    ];
  return dialects.flatMap((dialect) => [1, 2].map((workers) => ({ dialect, workers })));
}

const median = (values) => summarize(values).median;
const megabytes = (bytes) => bytes / 2 ** 20;

/**
 * The real server as a process (`node apps/server/dist/server.js`, `NODE_ENV=production`,
 * `LOG_LEVEL=warn`) on a fresh database, seeded through its API, driven over HTTP by wrk (autocannon from
 * this process when wrk is not installed: see `lib/load.mjs`); the baseline is a bare Fastify process
 * answering `/healthz`, measured in the same rounds.
 * Rounds go bare, route 1, 2, 3, bare, route 3, 2, 1, bare…: each route's round is compared with the
 * mean of the two bare runs around it, so drift hits both sides.
 */
async function benchServer({ dialect, workers, bare, settings }) {
  const { createTestDatabase } = await importBuilt('packages/db/dist/testing/index.js');
  const database = await createTestDatabase(dialect);
  const secrets = serverSecrets();
  let server;
  try {
    server = await startProcess({
      entry: SERVER_ENTRY,
      nodeArgs: SERVER_NODE_ARGS,
      label: `server (${dialect}, ${workers} worker(s))`,
      env: serverEnv(database.url, secrets, { WEB_CONCURRENCY: String(workers) }),
    });
    const authorization = await seedOverHttp(server.url, secrets.JWT_SECRET);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const idleRssBytes = server.rssBytes();

    const run = (target, durationMs) =>
      target === 'bare'
        ? drive({ url: `${bare.url}/healthz`, durationMs, cpuPid: bare.pid })
        : drive({
            url: `${server.url}${target.path}`,
            headers: target.authenticated ? authorization : {},
            durationMs,
            pid: server.pid,
          });
    for (const target of ['bare', ...ROUTES]) await run(target, settings.httpWarmupMs);

    const bareRuns = [await run('bare', settings.httpRunMs)];
    const oursRuns = new Map(ROUTES.map((route) => [route, []]));
    for (let round = 0; round < settings.httpRounds; round++) {
      const order = round % 2 === 0 ? ROUTES : [...ROUTES].reverse();
      for (const route of order) oursRuns.get(route).push(await run(route, settings.httpRunMs));
      bareRuns.push(await run('bare', settings.httpRunMs));
    }

    return ROUTES.map((route) => {
      const runs = oursRuns.get(route);
      const bareRps = runs.map(
        (_, round) => (bareRuns[round].requestsPerSecond + bareRuns[round + 1].requestsPerSecond) / 2,
      );
      const oursRps = runs.map((result) => result.requestsPerSecond);
      const http = {
        route: route.label,
        dialect,
        workers,
        oursRps: median(oursRps),
        bareRps: median(bareRps),
        share: median(oursRps.map((rps, round) => rps / bareRps[round])),
        p50Ms: median(runs.map((result) => result.p50Ms)),
        p99Ms: Math.max(...runs.map((result) => result.p99Ms)),
        bareP99Ms: Math.max(...bareRuns.map((result) => result.p99Ms)),
        idleRssMb: megabytes(idleRssBytes),
        peakRssMb: megabytes(Math.max(...runs.map((result) => result.peakRssBytes))),
        bytesPerResponse: runs[0].bytesPerResponse,
        // The server's own CPU per answered request (all its processes): unlike the throughput share, it
        // does not depend on how the scheduler splits two cores between the server and the load generator.
        cpuUsPerRequest: median(runs.map((result) => result.cpuUsPerRequest)),
        bareCpuUsPerRequest: median(bareRuns.map((result) => result.cpuUsPerRequest)),
      };
      return {
        benchmark: 'http',
        variant: `${route.label} ${dialect}${workers > 1 ? ` ${workers} workers` : ''}`,
        labels: { ours: `${LOAD_GENERATOR} -c 50 ${route.path}`, baseline: 'bare Fastify /healthz' },
        unit: 'req/s',
        ours: summarize(oursRps),
        baseline: summarize(bareRps),
        // Time per request, ours ÷ bare: the same direction as every other ratio in the run.
        ratio: summarize(oursRps.map((rps, round) => bareRps[round] / rps)),
        http,
        notes: [
          `ours ${(http.share * 100).toFixed(1)}% of bare Fastify; p50 ${http.p50Ms} ms, p99 ${http.p99Ms} ms (bare p99 ${http.bareP99Ms} ms); ${http.bytesPerResponse} B per response with headers`,
          `server CPU per request: ours ${http.cpuUsPerRequest.toFixed(0)} µs, bare ${http.bareCpuUsPerRequest.toFixed(0)} µs (${((http.bareCpuUsPerRequest / http.cpuUsPerRequest) * 100).toFixed(0)}% as cheap)`,
          `RSS ${workers > 1 ? `(primary + ${workers} workers) ` : ''}idle ${http.idleRssMb.toFixed(0)} MB, peak under load ${http.peakRssMb.toFixed(0)} MB`,
        ],
        failures: [...runs, ...bareRuns].flatMap((result) => result.problems),
      };
    });
  } finally {
    await server?.stop();
    await database.drop();
  }
}

/** Requests per second of the real server over HTTP, against a bare Fastify process. */
export async function run(settings) {
  const bare = await startProcess({
    entry: BARE_ENTRY,
    env: {},
    args: (port) => [String(port)],
    label: 'bare Fastify',
  });
  const results = [];
  try {
    for (const { dialect, workers } of scenarios(await benchDialects(), settings.quick)) {
      results.push(...(await benchServer({ dialect, workers, bare, settings })));
    }
  } finally {
    await bare.stop();
  }
  return results;
}
