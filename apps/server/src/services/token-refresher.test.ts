import { randomUUID } from 'node:crypto';
import { createOriginRewriter } from '@cfm/connector-sdk';
import { testDialects } from '@cfm/db/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CredentialStore } from './credential-store.js';
import type { EngineContext } from './engine-context.js';
import {
  CONNECTOR_ORIGIN,
  connectAccount,
  type EngineFixture,
  engineFixturePerTest,
} from './test/engine-fixture.js';
import { type GateState, type RequestGate, startRequestGate } from './test/request-gate.js';
import { TokenManager } from './token-manager.js';
import { MAX_REFRESH_MARGIN_MS } from './token-refresh-policy.js';
import { TokenRefresher, type TokenRefresherOptions } from './token-refresher.js';

const DIALECTS = await testDialects();
const openFixture = engineFixturePerTest();
// Tokens live 10 minutes; 7 minutes later they are inside the 5-minute margin.
const INTO_MARGIN_MS = 7 * 60 * 1000;

let gate: RequestGate | undefined;
afterEach(async () => {
  await gate?.close();
  gate = undefined;
});

const MINUTE_MS = 60 * 1000;

/**
 * `count` users, each connected to `acme` (one connection per user and connector) with tokens the fake
 * provider issued, stored as the OAuth flow stores them but with the given age: by default issued 9 minutes
 * ago for 10, so 1 minute is left, inside the 5-minute margin (due). The provider's new tokens live 10
 * minutes from now, beyond the refresher's horizon.
 */
async function connectMany(
  fixture: EngineFixture,
  count: number,
  { issuedAgoMs = 9 * MINUTE_MS, lifetimeMs = 10 * MINUTE_MS } = {},
): Promise<void> {
  const store = new CredentialStore(fixture.vault);
  const { db } = fixture.handle;
  const issuedAt = new Date(Date.now() - issuedAgoMs);
  const expiresAt = new Date(issuedAt.getTime() + lifetimeMs).toISOString();
  for (let index = 0; index < count; index++) {
    const userId = randomUUID();
    const connectionId = randomUUID();
    await db
      .insertInto('users')
      .values({ id: userId, subject: `many-${index}`, email: `many-${index}@example.com` })
      .execute();
    await db
      .insertInto('connections')
      .values({ id: connectionId, user_id: userId, connector_id: fixture.connector.id, config: {} })
      .execute();
    const issued = fixture.provider.issueTokensDirectly({ scopes: ['read'] });
    await store.save(db, connectionId, { ...issued.credentials, expiresAt }, issuedAt);
  }
}

/** Refresh-token grants the provider received (answered or not: an injected 503 is not counted by `counts`). */
function refreshRequests(fixture: EngineFixture): number {
  const path = new URL(fixture.provider.tokenUrl).pathname;
  return fixture.provider.requests.filter(
    (record) =>
      record.path === path && (record.body as Record<string, unknown>)?.['grant_type'] === 'refresh_token',
  ).length;
}

/** Credentials rows whose token now expires beyond the refresh horizon (renewed). */
async function renewedCount(fixture: EngineFixture): Promise<number> {
  const horizon = new Date(fixture.context.now!().getTime() + MAX_REFRESH_MARGIN_MS);
  const rows = await fixture.handle.db.selectFrom('credentials').select('expires_at').execute();
  return rows.filter((row) => row.expires_at !== null && row.expires_at > horizon).length;
}

/** The fixture's context with the provider behind a request gate. */
async function gatedContext(
  fixture: EngineFixture,
  releaseWhen?: (state: GateState) => boolean,
): Promise<EngineContext> {
  gate = await startRequestGate(fixture.provider.url, releaseWhen);
  return { ...fixture.context, rewriteUrl: createOriginRewriter(new Map([[CONNECTOR_ORIGIN, gate.url]])) };
}

function refresherOf(context: EngineContext, options: TokenRefresherOptions = {}) {
  return new TokenRefresher(context, new TokenManager(context), options);
}

for (const dialect of DIALECTS) {
  describe(`TokenRefresher (${dialect})`, () => {
    it('renews an expiring connection without any traffic and leaves fresh ones alone', async () => {
      const fixture = await openFixture(dialect, { provider: { expiresIn: 600 } });
      await connectAccount(fixture);
      const refresher = new TokenRefresher(fixture.context, new TokenManager(fixture.context));
      expect(await refresher.runOnce()).toMatchObject({ candidates: 0, failed: 0 });
      expect(fixture.provider.counts.refresh).toBe(0);
      fixture.clockOffsetMs = 7 * 60 * 1000;
      expect(await refresher.runOnce()).toMatchObject({ candidates: 1, failed: 0 });
      expect(fixture.provider.counts.refresh).toBe(1);
      // Renewed: the next pass refreshes nothing (the token manager re-checks each candidate's margin).
      expect(await refresher.runOnce()).toMatchObject({ failed: 0 });
      expect(fixture.provider.counts.refresh).toBe(1);
    });

    it('runs on its timer and stops cleanly', async () => {
      const fixture = await openFixture(dialect, { provider: { expiresIn: 600 } });
      await connectAccount(fixture);
      fixture.clockOffsetMs = 7 * 60 * 1000;
      const refresher = new TokenRefresher(fixture.context, new TokenManager(fixture.context), {
        intervalSeconds: 0.05,
      });
      refresher.start();
      const provider = fixture.provider;
      await vi.waitFor(() => expect(provider.counts.refresh).toBe(1), { timeout: 10_000 });
      await refresher.stop();
      expect(provider.counts.refresh).toBe(1);
    });

    it('deletes oauth states expired or consumed more than a day ago', async () => {
      const fixture = await openFixture(dialect);
      const old = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
      const base = {
        user_id: fixture.userId,
        connector_id: fixture.connector.id,
        redirect_uri: 'http://x/cb',
      };
      await fixture.handle.db
        .insertInto('oauth_states')
        .values([
          { ...base, id: randomUUID(), expires_at: old },
          { ...base, id: randomUUID(), expires_at: new Date(Date.now() + 600_000), consumed_at: old },
          { ...base, id: 'keep', expires_at: new Date(Date.now() + 600_000) },
        ])
        .execute();
      const refresher = new TokenRefresher(fixture.context, new TokenManager(fixture.context));
      expect((await refresher.runOnce()).statesDeleted).toBe(2);
      const left = await fixture.handle.db.selectFrom('oauth_states').select('id').execute();
      expect(left).toEqual([{ id: 'keep' }]);
    });

    it('renews every due credential in one run, a page at a time, each exactly once', async () => {
      const fixture = await openFixture(dialect, { provider: { expiresIn: 600 } });
      await connectMany(fixture, 12);
      const refresher = refresherOf(fixture.context, { batchSize: 5, concurrency: 3 });
      // Pages of 5, 5 and 2: the short page is the last.
      expect(await refresher.runOnce()).toMatchObject({ candidates: 12, failed: 0, batches: 3 });
      expect(fixture.provider.counts.refresh).toBe(12);
      expect(await renewedCount(fixture)).toBe(12);
      expect(await refresher.runOnce()).toMatchObject({ candidates: 0 });
      expect(fixture.provider.counts.refresh).toBe(12);
    });

    it('ends a run after maxBatchesPerRun pages; the next run goes on', async () => {
      const fixture = await openFixture(dialect, { provider: { expiresIn: 600 } });
      await connectMany(fixture, 12);
      const refresher = refresherOf(fixture.context, { batchSize: 5, maxBatchesPerRun: 2 });
      expect(await refresher.runOnce()).toMatchObject({ candidates: 10, batches: 2 });
      expect(await refresher.runOnce()).toMatchObject({ candidates: 2, failed: 0 });
      expect(fixture.provider.counts.refresh).toBe(12);
      expect(await renewedCount(fixture)).toBe(12);
    });

    it('has at most `concurrency` refreshes in flight, and uses them', async () => {
      const fixture = await openFixture(dialect, { provider: { expiresIn: 600 } });
      await connectMany(fixture, 10);
      // The gate holds token requests until 3 wait (or the last one came): a pool smaller than 3 never
      // gets them through, a larger one has a fourth in flight.
      const context = await gatedContext(fixture, ({ held, seen }) => held === 3 || seen === 10);
      const refresher = refresherOf(context, { batchSize: 4, concurrency: 3 });
      expect(await refresher.runOnce()).toMatchObject({ candidates: 10, failed: 0 });
      expect(gate?.maxInFlight).toBe(3);
      expect(fixture.provider.counts.refresh).toBe(10);
      expect(await renewedCount(fixture)).toBe(10);
    });

    it('tries a failing credential once per run and leaves it to its backoff', async () => {
      const fixture = await openFixture(dialect, { provider: { expiresIn: 600 } });
      await connectMany(fixture, 6);
      fixture.provider.failNext(1000, 503);
      const refresher = refresherOf(fixture.context, { batchSize: 2, concurrency: 2 });
      expect(await refresher.runOnce()).toMatchObject({ candidates: 6, failed: 6 });
      expect(refreshRequests(fixture)).toBe(6);
      const rows = await fixture.handle.db
        .selectFrom('credentials')
        .select(['refresh_failures', 'next_refresh_at'])
        .execute();
      expect(rows.map((row) => row.refresh_failures)).toEqual([1, 1, 1, 1, 1, 1]);
      expect(await refresher.runOnce()).toMatchObject({ candidates: 0 });
      expect(refreshRequests(fixture)).toBe(6);
    });

    it('visits a candidate the token manager leaves due only once per run (no endless run)', async () => {
      // Tokens of 2 minutes, just issued: inside the refresher's 5-minute horizon, but their own margin is
      // half their lifetime, so the token manager declines them and they stay candidates.
      const fixture = await openFixture(dialect);
      await connectMany(fixture, 7, { issuedAgoMs: 0, lifetimeMs: 2 * MINUTE_MS });
      const refresher = refresherOf(fixture.context, { batchSize: 3, concurrency: 2 });
      expect(await refresher.runOnce()).toMatchObject({ candidates: 7, failed: 0, batches: 3 });
      expect(fixture.provider.counts.refresh).toBe(0);
    });

    it('does not visit again in the same run a credential it renewed, even when the new token is short', async () => {
      // Seen from a clock 7 minutes ahead, the provider's new 10-minute tokens have 3 minutes left: inside
      // the 5-minute horizon again, but renewed by this run.
      const fixture = await openFixture(dialect, { provider: { expiresIn: 600 } });
      await connectMany(fixture, 8, { issuedAgoMs: 0 });
      fixture.clockOffsetMs = INTO_MARGIN_MS;
      const refresher = refresherOf(fixture.context, { batchSize: 3, concurrency: 2 });
      expect(await refresher.runOnce()).toMatchObject({ candidates: 8, failed: 0 });
      expect(fixture.provider.counts.refresh).toBe(8);
    });

    it('stop() ends a run early, once the refreshes in flight are done', async () => {
      const fixture = await openFixture(dialect, { provider: { expiresIn: 600 } });
      await connectMany(fixture, 12);
      const context = await gatedContext(fixture);
      const refresher = refresherOf(context, { batchSize: 5, concurrency: 3 });
      const run = refresher.runOnce();
      const held = gate as RequestGate;
      await vi.waitFor(() => expect(held.held).toBe(3), { timeout: 10_000 });
      const stopped = refresher.stop();
      held.openFully();
      await stopped;
      // Nothing of the run is left running: the three refreshes in flight were written, no fourth began.
      expect(held.inFlight).toBe(0);
      expect(await run).toMatchObject({ candidates: 3, failed: 0 });
      expect(fixture.provider.counts.refresh).toBe(3);
      expect(await renewedCount(fixture)).toBe(3);
    });
  });
}
