import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { benchDialects, freshDatabase, insertInChunks } from './lib/databases.mjs';
import { startProviderProcess } from './lib/fake-provider-process.mjs';
import { summarize } from './lib/measure.mjs';
import { collectGarbage, sampleMemory } from './lib/memory.mjs';
import { oauthEngineFixture } from './lib/oauth-engine.mjs';
import { importBuilt, repoUrl } from './lib/paths.mjs';

const MINUTE_MS = 60_000;
/** The refresher's defaults (`TokenRefresherOptions`), passed explicitly so the baseline uses the same. */
const CONCURRENCY = 4;
const BATCH_SIZE = 25;
/** Rows per INSERT when seeding (credentials have 14 columns: 7,000 parameters, within both dialects' caps). */
const SEED_CHUNK = 500;
/** A run that has not emptied the due set after this many passes is a failure, not a wait. */
const MAX_RUNS = 5;

const mb = (value) => `${value.toFixed(0)} MB`;
const signed = (value) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
const count = new Intl.NumberFormat('en-US');

/**
 * `size` users, each with one connection to `acme` whose OAuth 2 tokens (real refresh tokens from the
 * fake provider) were obtained 9 minutes ago and live 10: 1 minute left, inside the 5-minute margin, so
 * every one is due. Sealed with the server's vault (associated data = connection id), as
 * `CredentialStore.save` writes them, but inserted `SEED_CHUNK` rows at a time.
 */
async function seed({ db, vault, associatedData, connectorId, provider, size }) {
  const issuedAt = new Date(Date.now() - 9 * MINUTE_MS);
  const expiresAt = new Date(issuedAt.getTime() + 10 * MINUTE_MS);
  const issued = await provider.issue(size);
  const users = [];
  const connections = [];
  const credentials = [];
  issued.forEach((tokens, index) => {
    const userId = randomUUID();
    const connectionId = randomUUID();
    users.push({
      id: userId,
      subject: `bench|refresher-${index}`,
      email: `refresher-${index}@bench.example`,
    });
    connections.push({
      id: connectionId,
      user_id: userId,
      connector_id: connectorId,
      config: {},
      status: 'active',
    });
    const sealed = vault.sealJson(
      { ...tokens, expiresAt: expiresAt.toISOString() },
      associatedData.credentials(connectionId),
    );
    credentials.push({
      id: randomUUID(),
      connection_id: connectionId,
      ciphertext: sealed.ciphertext,
      key_id: sealed.keyId,
      auth_type: 'oauth2',
      expires_at: expiresAt,
      has_refresh_token: true,
      scopes: tokens.scopes,
      last_refreshed_at: issuedAt,
      refresh_failures: 0,
      next_refresh_at: null,
      refresh_error: null,
      created_at: issuedAt,
      updated_at: issuedAt,
    });
  });
  await insertInChunks(db, 'users', users, SEED_CHUNK);
  await insertInChunks(db, 'connections', connections, SEED_CHUNK);
  await insertInChunks(db, 'credentials', credentials, SEED_CHUNK);
  // Statistics, as a live table has them (autovacuum would gather them within a minute, in the middle of
  // the run): without them PostgreSQL guesses the fresh table holds a few rows and plans accordingly.
  const { sql } = createRequire(repoUrl('packages/db/package.json'))('kysely');
  await sql`analyze`.execute(db);
  return { seededExpiresAt: expiresAt };
}

/** The engine context of `services/test/engine-fixture.ts`, rebuilt from `dist`, on a fresh database. */
async function createScenario(dialect, size) {
  const sdk = await importBuilt('packages/connector-sdk/dist/index.js');
  const { CredentialsVault, associatedData } = await importBuilt(
    'apps/server/dist/services/credentials-vault.js',
  );
  const { TokenManager } = await importBuilt('apps/server/dist/services/token-manager.js');
  const { TokenRefresher } = await importBuilt('apps/server/dist/services/token-refresher.js');

  const database = await freshDatabase(dialect);
  const provider = await startProviderProcess({ expiresIn: 600 });
  try {
    const db = database.handle.db;
    const vault = new CredentialsVault([{ id: 'k1', key: randomBytes(32) }]);
    const { connectorId, context } = await oauthEngineFixture({
      sdk,
      handle: database.handle,
      vault,
      provider,
    });
    const seedStarted = performance.now();
    const { seededExpiresAt } = await seed({ db, vault, associatedData, connectorId, provider, size });
    const seedMs = performance.now() - seedStarted;
    return {
      size,
      db,
      provider,
      seedMs,
      seededExpiresAt,
      refresher: new TokenRefresher(context, new TokenManager(context), {
        concurrency: CONCURRENCY,
        batchSize: BATCH_SIZE,
      }),
      async close() {
        await provider.close();
        await database.close();
      },
    };
  } catch (error) {
    await provider.close();
    await database.close();
    throw error;
  }
}

/** Ours: `runOnce()` until a run finds nothing due. Checks the provider's count and every row. */
async function runRefresher(scenario) {
  const before = await scenario.provider.counts();
  collectGarbage();
  const memory = sampleMemory();
  const started = performance.now();
  const runs = [];
  do {
    runs.push(await scenario.refresher.runOnce());
  } while (runs.at(-1).candidates > 0 && runs.length < MAX_RUNS);
  const ms = performance.now() - started;
  const memoryUsed = memory.stop();
  const providerRefreshes = (await scenario.provider.counts()).refresh - before.refresh;
  const countRows = async (renewedOnly) => {
    let query = scenario.db.selectFrom('credentials').select((eb) => eb.fn.countAll().as('rows'));
    if (renewedOnly) query = query.where('expires_at', '>', scenario.seededExpiresAt);
    return Number((await query.executeTakeFirstOrThrow()).rows);
  };
  const rows = { total: await countRows(false), renewed: await countRows(true) };
  const { renewed } = rows;
  const failures = [];
  if (providerRefreshes !== scenario.size) {
    failures.push(`the provider saw ${providerRefreshes} refreshes, expected exactly ${scenario.size}`);
  }
  if (renewed !== scenario.size || rows.total !== scenario.size) {
    failures.push(
      `${renewed} of ${rows.total} credentials have a later expiry, expected all ${scenario.size}`,
    );
  }
  const failed = runs.reduce((total, run) => total + run.failed, 0);
  if (failed > 0) failures.push(`${failed} refreshes failed`);
  if (runs.at(-1).candidates > 0) failures.push(`still due after ${runs.length} runs`);
  return { ms, runs, providerRefreshes, renewed, memory: memoryUsed, failures };
}

/** The floor: `size` refresh_token grants POSTed with undici, `CONCURRENCY` at a time, JSON parsed. */
async function runBaseline(scenario) {
  const { request } = createRequire(repoUrl('packages/connector-sdk/package.json'))('undici');
  const { provider, size } = scenario;
  const refreshTokens = (await provider.issue(size)).map((tokens) => tokens.refreshToken);
  const before = await provider.counts();
  collectGarbage();
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < refreshTokens.length) {
      const refreshToken = refreshTokens[next++];
      const response = await request(provider.refreshUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: provider.clientId,
          client_secret: provider.clientSecret,
        }).toString(),
      });
      const body = await response.body.json();
      if (response.statusCode !== 200 || typeof body.access_token !== 'string') {
        throw new Error(`the token endpoint answered ${response.statusCode}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const ms = performance.now() - started;
  const providerRefreshes = (await provider.counts()).refresh - before.refresh;
  const failures =
    providerRefreshes === size
      ? []
      : [`baseline: the provider saw ${providerRefreshes} refreshes, expected exactly ${size}`];
  return { ms, providerRefreshes, failures };
}

async function benchSize(dialect, size, oursFirst) {
  const scenario = await createScenario(dialect, size);
  try {
    let ours;
    let baseline;
    if (oursFirst) {
      ours = await runRefresher(scenario);
      baseline = await runBaseline(scenario);
    } else {
      baseline = await runBaseline(scenario);
      ours = await runRefresher(scenario);
    }
    const perSecond = (ms) => Math.round((size * 1000) / ms);
    const passes = ours.runs.map((run) => `${run.candidates} candidates in ${run.batches} batches`);
    return {
      benchmark: 'refresher',
      variant: `${dialect} N=${count.format(size)}`,
      labels: {
        ours: `TokenRefresher.runOnce() until nothing is due (concurrency ${CONCURRENCY}, batches of ${BATCH_SIZE})`,
        baseline: `${count.format(size)} refresh_token POSTs with undici.request, ${CONCURRENCY} at a time`,
      },
      unit: 'ms',
      ours: summarize([ours.ms]),
      baseline: summarize([baseline.ms]),
      ratio: summarize([ours.ms / baseline.ms]),
      refresher: {
        size,
        seedMs: scenario.seedMs,
        refreshesPerSecond: perSecond(ours.ms),
        baselinePerSecond: perSecond(baseline.ms),
        providerRefreshes: ours.providerRefreshes,
        renewed: ours.renewed,
        runs: ours.runs,
        memory: ours.memory,
      },
      notes: [
        `${perSecond(ours.ms)} refreshes/s (baseline ${perSecond(baseline.ms)} requests/s); seeding took ${(scenario.seedMs / 1000).toFixed(1)} s, untimed`,
        `provider saw ${count.format(ours.providerRefreshes)} refreshes; ${count.format(ours.renewed)} expiries moved forward; runs: ${passes.join(', ')}`,
        `memory during the run: RSS ${mb(ours.memory.startRssMb)} → peak ${mb(ours.memory.peakRssMb)}; heap ${mb(ours.memory.startHeapMb)} → peak ${mb(ours.memory.peakHeapMb)} (uncollected garbage included); live heap after ${ours.memory.majorCollections} major GCs at most ${signed(ours.memory.liveHeapGrowthMb)} MB; ${signed(ours.memory.retainedHeapMb)} MB retained after a full GC`,
      ],
      failures: [...ours.failures, ...baseline.failures],
    };
  } finally {
    await scenario.close();
  }
}

/**
 * The background refresher renewing N due credentials against the fake provider (in its own process),
 * against N bare refresh requests at the same concurrency; and the same at N/5, to show that memory does
 * not grow with N. N = 10,000 (BENCH_QUICK: 1,000).
 */
export async function run(settings) {
  const large = settings.quick ? 1_000 : 10_000;
  const small = large / 5;
  if (settings.quick) process.stdout.write(`  BENCH_QUICK: N=${count.format(large)} instead of 10,000\n`);
  const results = [];
  for (const dialect of await benchDialects()) {
    // The smaller size first (it warms the code up), ours before the baseline; then the other order.
    const smaller = await benchSize(dialect, small, true);
    const larger = await benchSize(dialect, large, false);
    const both = (pick) => `${pick(smaller)} vs ${pick(larger)}`;
    const memoryOf = (result) => result.refresher.memory;
    larger.notes.push(
      `N=${count.format(small)} vs N=${count.format(large)}: peak heap ${both((result) => signed(memoryOf(result).heapGrowthMb))} MB, live after major GCs ${both((result) => signed(memoryOf(result).liveHeapGrowthMb))} MB, retained ${both((result) => signed(memoryOf(result).retainedHeapMb))} MB, peak RSS ${both((result) => mb(memoryOf(result).peakRssMb))}`,
    );
    results.push(smaller, larger);
  }
  return results;
}
