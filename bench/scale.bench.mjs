import { performance } from 'node:perf_hooks';
import { benchDialects } from './lib/databases.mjs';
import { CONNECTIONS, seedOverHttp, serverEnv, serverSecrets, signJwt } from './lib/http-seed.mjs';
import { drive } from './lib/load.mjs';
import { compareThroughput, compareTrials, summarize } from './lib/measure.mjs';
import { importBuilt } from './lib/paths.mjs';
import { SERVER_ENTRY, SERVER_NODE_ARGS, startProcess } from './lib/processes.mjs';
import { bulkEmail, bulkLoad, bulkSubject, listQueryClient } from './lib/scale-seed.mjs';

const ROUTE = '/api/connections/';
/** The target: the list on the large table within 2× its latency on an almost empty one. */
const TARGET = 2;
/** The API-seeded user of `seedOverHttp`. */
const SEEDED_SUBJECT = 'bench|user';

const count = new Intl.NumberFormat('en-US');
const median = (values) => summarize(values).median;
const say = (line) => process.stdout.write(`  ${line}\n`);

/** The list must answer the user's own 10 connections: a fast wrong answer is not a result. */
async function checkList(url, headers, label) {
  const response = await fetch(`${url}${ROUTE}`, { headers });
  const body = await response.json().catch(() => undefined);
  if (response.status !== 200) return [`${label}: answered ${response.status}`];
  if (body?.items?.length !== CONNECTIONS || body.total !== CONNECTIONS) {
    return [`${label}: listed ${body?.items?.length} of total ${body?.total}, expected ${CONNECTIONS}`];
  }
  return [];
}

function startServer(label, databaseUrl, secrets) {
  return startProcess({
    entry: SERVER_ENTRY,
    nodeArgs: SERVER_NODE_ARGS,
    label,
    env: serverEnv(databaseUrl, secrets),
  });
}

function describeLoad(loaded, ms) {
  const steps = Object.entries(loaded.timings).map(
    ([step, stepMs]) => `${step} ${(stepMs / 1000).toFixed(1)} s`,
  );
  return (
    `bulk load ${(ms / 1000).toFixed(1)} s (${steps.join(', ')}): ${count.format(loaded.connections)} connections, ` +
    `${count.format(loaded.credentials)} credentials, ${count.format(loaded.users)} users; ` +
    `connections + credentials ${(loaded.bytes / 2 ** 20).toFixed(0)} MB with indexes`
  );
}

const explainNotes = (name, plan) => [
  `EXPLAIN (ANALYZE, BUFFERS), ${name}: ${plan.scans.join('; ')}`,
  `  ${plan.buffers}; ${plan.execution}`,
];

/**
 * A service key holding `connections:read`, created by the admin of `seedOverHttp` through the API; gives
 * one request of every user's list (`GET /api/connections/`, first page of 20 and the total). A trial
 * that does not answer 200 throws: a fast error is not a result.
 */
async function serviceKeyList(server, jwtSecret) {
  const admin = signJwt(jwtSecret, { subject: 'bench|admin', email: 'admin@bench.example', role: 'admin' });
  const created = await fetch(`${server.url}/api/service-keys/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench scale', scopes: ['connections:read'] }),
  });
  if (created.status !== 201 && created.status !== 200) {
    throw new Error(
      `creating a service key answered ${created.status}: ${(await created.text()).slice(0, 300)}`,
    );
  }
  const { key } = await created.json();
  return async () => {
    const response = await fetch(`${server.url}${ROUTE}`, { headers: { authorization: `Bearer ${key}` } });
    const body = await response.text();
    if (response.status !== 200)
      throw new Error(`service key list answered ${response.status}: ${body.slice(0, 300)}`);
  };
}

/** Rounds: small, large lists, small, large lists reversed, small…; each large run sits between two small ones. */
async function measureHttp(base, lists, settings) {
  const runList = (list, durationMs) =>
    drive({ url: `${list.server.url}${ROUTE}`, headers: list.headers, durationMs, pid: list.server.pid });
  for (const list of [base, ...lists]) await runList(list, settings.httpWarmupMs);
  const smallRuns = [await runList(base, settings.httpRunMs)];
  const largeRuns = new Map(lists.map((list) => [list, []]));
  for (let round = 0; round < settings.scaleRounds; round++) {
    for (const list of round % 2 === 0 ? lists : [...lists].reverse()) {
      largeRuns.get(list).push(await runList(list, settings.httpRunMs));
    }
    smallRuns.push(await runList(base, settings.httpRunMs));
  }
  return { smallRuns, largeRuns };
}

function httpResult({ list, runs, smallRuns, rows, users, notes, failures }) {
  const smallRps = smallRuns.map((result) => result.requestsPerSecond);
  const aroundRps = runs.map((_, round) => (smallRps[round] + smallRps[round + 1]) / 2);
  const oursRps = runs.map((result) => result.requestsPerSecond);
  const ratio = summarize(oursRps.map((rps, round) => aroundRps[round] / rps));
  const scale = {
    list: list.label,
    rows,
    users,
    rps: median(oursRps),
    smallRps: median(aroundRps),
    p50Ms: median(runs.map((result) => result.p50Ms)),
    p99Ms: Math.max(...runs.map((result) => result.p99Ms)),
    smallP50Ms: median(smallRuns.map((result) => result.p50Ms)),
    smallP99Ms: Math.max(...smallRuns.map((result) => result.p99Ms)),
  };
  scale.p50Ratio = scale.p50Ms / scale.smallP50Ms;
  scale.p99Ratio = scale.p99Ms / scale.smallP99Ms;
  const met = ratio.median <= TARGET && scale.p50Ratio <= TARGET;
  return {
    benchmark: 'scale',
    variant: `${ROUTE} (${CONNECTIONS}) postgres, ${count.format(rows)} rows, ${list.label}`,
    labels: {
      ours: `${count.format(rows)} connections, ${count.format(users)} users`,
      baseline: `${CONNECTIONS} connections, 1 user`,
    },
    unit: 'req/s',
    ours: summarize(oursRps),
    baseline: summarize(aroundRps),
    ratio,
    scale,
    notes: [
      `p50 ${scale.p50Ms} ms vs ${scale.smallP50Ms} ms (${scale.p50Ratio.toFixed(2)}x), p99 ${scale.p99Ms} ms vs ${scale.smallP99Ms} ms (${scale.p99Ratio.toFixed(2)}x); target ≤ ${TARGET}x (time per request, p50): ${met ? 'met' : 'MISSED'}`,
      ...notes,
    ],
    failures: [...failures, ...[...smallRuns, ...runs].flatMap((result) => result.problems)],
  };
}

/**
 * `GET /api/connections/` of one user on a table of `scaleUsers` × 10 connections against the same list
 * on an almost empty table (PostgreSQL only). Two server processes run side by side, each on its own
 * fresh database seeded through the API alike; the large one is then bulk-loaded in SQL. Rounds
 * interleave the small table with the large one, each large run compared with the mean of the two small
 * runs around it, so drift hits both. Then the list query alone, from this process, on both databases,
 * and every user's list through a service key, one request at a time.
 */
export async function run(settings) {
  const dialects = await benchDialects();
  if (!dialects.includes('postgres')) {
    say('SKIPPED: the scale scenario runs on PostgreSQL only, and PostgreSQL is not reachable');
    return [];
  }
  const { createTestDatabase } = await importBuilt('packages/db/dist/testing/index.js');
  const users = settings.scaleUsers;
  const rows = users * CONNECTIONS;
  const middle = Math.floor(users / 2);
  const secrets = serverSecrets();
  const databases = [];
  const servers = [];
  const clients = [];
  try {
    databases.push(await createTestDatabase('postgres'));
    databases.push(await createTestDatabase('postgres'));
    const [smallDatabase, largeDatabase] = databases;
    servers.push(await startServer('server (small table)', smallDatabase.url, secrets));
    servers.push(await startServer('server (large table)', largeDatabase.url, secrets));
    const [small, large] = servers;
    const smallHeaders = await seedOverHttp(small.url, secrets.JWT_SECRET);
    const sameHeaders = await seedOverHttp(large.url, secrets.JWT_SECRET);

    say(
      `bulk-loading ${count.format(rows)} connections for ${count.format(users)} users` +
        (settings.quick ? ' (BENCH_QUICK: a tenth of the issue’s table)' : ''),
    );
    const started = performance.now();
    const loaded = await bulkLoad(largeDatabase.url, { users, perUser: CONNECTIONS });
    const seeding = describeLoad(loaded, performance.now() - started);
    say(seeding);
    const failures =
      loaded.connections === rows ? [] : [`loaded ${loaded.connections} connections, expected ${rows}`];

    clients.push(await listQueryClient(smallDatabase.url, SEEDED_SUBJECT));
    clients.push(await listQueryClient(largeDatabase.url, bulkSubject(middle)));
    const [smallQuery, middleQuery] = clients;
    // Before any request reads them: the middle user's pages as the bulk load left them, not a warm list.
    const plans = { small: await smallQuery.explain(), middle: await middleQuery.explain() };

    const middleToken = signJwt(secrets.JWT_SECRET, {
      subject: bulkSubject(middle),
      email: bulkEmail(middle),
    });
    const base = { label: 'small table', server: small, headers: smallHeaders };
    const lists = [
      { label: 'same user', server: large, headers: sameHeaders },
      {
        label: `user ${count.format(middle)} (bulk-loaded)`,
        server: large,
        headers: { authorization: `Bearer ${middleToken}` },
      },
    ];
    for (const list of [base, ...lists]) {
      failures.push(...(await checkList(list.server.url, list.headers, list.label)));
    }
    const { smallRuns, largeRuns } = await measureHttp(base, lists, settings);

    const quickNote = settings.quick
      ? [`BENCH_QUICK: ${count.format(rows)} connections, not the issue’s 1,000,000`]
      : [];
    const results = lists.map((list, index) =>
      httpResult({
        list,
        runs: largeRuns.get(list),
        smallRuns,
        rows,
        users,
        failures,
        notes: [
          ...(index === lists.length - 1
            ? [
                seeding,
                ...explainNotes('small table', plans.small),
                ...explainNotes(`large table, ${list.label}, before any request`, plans.middle),
              ]
            : []),
          ...quickNote,
        ],
      }),
    );

    const query = await compareThroughput({ ours: middleQuery.run, baseline: smallQuery.run, settings });
    results.push({
      benchmark: 'scale',
      variant: `list query alone (pg), ${count.format(rows)} rows, user ${count.format(middle)}`,
      labels: { ours: 'large table, bulk-loaded user', baseline: `small table, ${SEEDED_SUBJECT}` },
      ...query,
      notes: [
        "listConnections' SQL from this process (one pg client per database, no HTTP, no server): the database's share of the ratio above",
        ...quickNote,
      ],
    });

    // Not the target (a user's own list) but the same route, where the scale shows most: see README.
    const trials = settings.quick ? 1 : 3;
    const everyone = await compareTrials({
      ours: await serviceKeyList(large, secrets.JWT_SECRET),
      baseline: await serviceKeyList(small, secrets.JWT_SECRET),
      trials,
      warmupTrials: 1,
    });
    results.push({
      benchmark: 'scale',
      variant: `service key, every user's list, ${count.format(rows)} rows`,
      labels: { ours: `GET ${ROUTE} (page of 20 + total), large table`, baseline: 'the same, small table' },
      ...everyone,
      notes: [
        `one request at a time, ${trials} trial(s): the page sorts every connection and the total counts them all`,
        ...quickNote,
      ],
    });
    return results;
  } finally {
    for (const client of clients) await client.close();
    for (const server of servers) await server.stop();
    for (const database of databases) await database.drop();
  }
}
