import { randomBytes, randomUUID } from 'node:crypto';
import { benchDialects, freshDatabase } from './lib/databases.mjs';
import { compareTrials, timeTrials } from './lib/measure.mjs';
import { oauthEngineFixture } from './lib/oauth-engine.mjs';
import { importBuilt } from './lib/paths.mjs';

const CALLERS = 50;
const MINUTE_MS = 60_000;

/** The engine context of `services/test/engine-fixture.ts`, rebuilt from `dist`: one user, one connection. */
async function createEngine(dialect) {
  const sdk = await importBuilt('packages/connector-sdk/dist/index.js');
  const { startFakeOAuth2Provider } = await importBuilt('packages/connector-sdk/dist/testing/fakes.js');
  const { CredentialsVault } = await importBuilt('apps/server/dist/services/credentials-vault.js');
  const { CredentialStore } = await importBuilt('apps/server/dist/services/credential-store.js');
  const { TokenManager } = await importBuilt('apps/server/dist/services/token-manager.js');

  const database = await freshDatabase(dialect);
  const provider = await startFakeOAuth2Provider({ expiresIn: 600 });
  try {
    const db = database.handle.db;
    const vault = new CredentialsVault([{ id: 'k1', key: randomBytes(32) }]);
    const userId = randomUUID();
    const connectionId = randomUUID();
    await db
      .insertInto('users')
      .values({ id: userId, subject: 'bench|refresh', email: 'refresh@bench.example' })
      .execute();
    const { connectorId, context } = await oauthEngineFixture({
      sdk,
      handle: database.handle,
      vault,
      provider,
    });
    await db
      .insertInto('connections')
      .values({ id: connectionId, user_id: userId, connector_id: connectorId, config: {}, status: 'active' })
      .execute();
    const issued = provider.issueTokensDirectly({ scopes: ['read'] });
    await new CredentialStore(vault).save(db, connectionId, issued.credentials, new Date());
    return {
      provider,
      connectionId,
      initialAccessToken: issued.accessToken,
      manager: new TokenManager(context),
      /**
       * Makes the stored token due: it lives 10 minutes and has 1 left, inside the 5-minute margin. The
       * refresh then writes a fresh 10-minute token, so callers arriving after it do not refresh again.
       */
      async makeDue() {
        const now = Date.now();
        await db
          .updateTable('credentials')
          .set({
            expires_at: new Date(now + MINUTE_MS),
            last_refreshed_at: new Date(now - 9 * MINUTE_MS),
            updated_at: new Date(now),
          })
          .where('connection_id', '=', connectionId)
          .execute();
      },
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

/**
 * One trial (the token was made due just before): call `getFreshCredentials` from `callers` concurrent
 * callers, and record how many refreshes the provider saw (must be exactly 1) and that every caller got
 * the same new access token.
 */
function trialOf(engine, callers, refreshCounts, previous) {
  return async () => {
    const before = engine.provider.counts.refresh;
    const results = await Promise.all(
      Array.from({ length: callers }, () => engine.manager.getFreshCredentials(engine.connectionId)),
    );
    refreshCounts.push(engine.provider.counts.refresh - before);
    const tokens = new Set(results.map((credentials) => credentials.accessToken));
    if (tokens.size !== 1 || tokens.has(previous.accessToken)) {
      throw new Error(`${callers} callers received ${tokens.size} access token(s), expected 1 new one`);
    }
    previous.accessToken = [...tokens][0];
  };
}

function readsOnly(engine, callers) {
  return async () => {
    await Promise.all(
      Array.from({ length: callers }, () => engine.manager.getFreshCredentials(engine.connectionId)),
    );
  };
}

async function benchDialect(dialect, settings) {
  const engine = await createEngine(dialect);
  try {
    const previous = { accessToken: engine.initialAccessToken };
    const oursRefreshes = [];
    const baselineRefreshes = [];
    const result = await compareTrials({
      ours: trialOf(engine, CALLERS, oursRefreshes, previous),
      baseline: trialOf(engine, 1, baselineRefreshes, previous),
      trials: settings.trials,
      prepare: () => engine.makeDue(),
    });
    // What the 50 callers cost without any refresh (token fresh): concurrent callers share one load and
    // decryption of the row, so this is about one read, not fifty.
    const before = engine.provider.counts.refresh;
    const readsOnlyMs = await timeTrials(readsOnly(engine, CALLERS), settings.trials);
    if (engine.provider.counts.refresh !== before) throw new Error('a fresh token was refreshed');
    // The warm-up trials are recorded too: every trial must cost exactly one refresh.
    const refreshes = {
      ours: {
        min: Math.min(...oursRefreshes),
        max: Math.max(...oursRefreshes),
        trials: oursRefreshes.length,
      },
      baseline: {
        min: Math.min(...baselineRefreshes),
        max: Math.max(...baselineRefreshes),
        trials: baselineRefreshes.length,
      },
    };
    const failures = [];
    for (const [side, counts] of Object.entries(refreshes)) {
      if (counts.min !== 1 || counts.max !== 1) {
        failures.push(`${side}: provider saw ${counts.min}..${counts.max} refreshes per trial (expected 1)`);
      }
    }
    return {
      benchmark: 'token-refresh-coalescing',
      variant: dialect,
      labels: { ours: `${CALLERS} concurrent getFreshCredentials`, baseline: '1 caller' },
      ...result,
      refreshes,
      readsOnlyMs,
      notes: [
        `${CALLERS} callers on a fresh token (no refresh; one shared read + decrypt): ${readsOnlyMs.toFixed(2)} ms`,
        `refreshes seen by the provider per trial: ${CALLERS} callers ${describe(refreshes.ours)}, 1 caller ${describe(refreshes.baseline)}`,
      ],
      failures,
    };
  } finally {
    await engine.close();
  }
}

function describe(counts) {
  const value = counts.min === counts.max ? String(counts.min) : `${counts.min}..${counts.max}`;
  return `${value} (${counts.trials} trials)`;
}

/** Wall time of 50 concurrent callers on one due connection against 1 caller: ~1 when they coalesce. */
export async function run(settings) {
  const results = [];
  for (const dialect of await benchDialects()) {
    results.push(await benchDialect(dialect, settings));
  }
  return results;
}
