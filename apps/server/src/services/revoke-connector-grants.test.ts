import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testDialects } from '@cfm/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialStore } from './credential-store.js';
import type { EngineContext } from './engine-context.js';
import { revokeConnectorGrants } from './revoke.js';
import { CONNECTOR_ORIGIN, type EngineFixture, engineFixturePerTest } from './test/engine-fixture.js';

const DIALECTS = await testDialects();
const openFixture = engineFixturePerTest();

/** A revocation endpoint that answers after `delayMs` and records how many calls were in flight at once. */
async function startSlowRevoke(delayMs: number) {
  let inFlight = 0;
  const seen = { calls: 0, maxInFlight: 0 };
  const server: Server = createServer((request, response) => {
    request.resume();
    seen.calls += 1;
    inFlight += 1;
    seen.maxInFlight = Math.max(seen.maxInFlight, inFlight);
    setTimeout(() => {
      inFlight -= 1;
      response.writeHead(200).end();
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    seen,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let slow: Awaited<ReturnType<typeof startSlowRevoke>> | undefined;
afterEach(async () => {
  await slow?.close();
  slow = undefined;
});

/** `count` users, each with an `acme` connection holding sealed OAuth credentials (and one API-key connection). */
async function seedConnections(fixture: EngineFixture, count: number): Promise<void> {
  const store = new CredentialStore(fixture.vault);
  for (let index = 0; index <= count; index += 1) {
    const userId = randomUUID();
    const connectionId = randomUUID();
    await fixture.handle.db
      .insertInto('users')
      .values({ id: userId, subject: `bulk-${index}`, email: `bulk-${index}@example.com` })
      .execute();
    await fixture.handle.db
      .insertInto('connections')
      .values({
        id: connectionId,
        user_id: userId,
        connector_id: fixture.connector.id,
        config: {},
        status: 'active',
      })
      .execute();
    const credentials =
      index === count
        ? ({ type: 'api_key', values: { apiKey: `key-${index}` } } as const)
        : ({ type: 'oauth2', accessToken: `access-${index}`, refreshToken: `refresh-${index}` } as const);
    await store.save(fixture.handle.db, connectionId, credentials, new Date());
  }
}

function throughSlowRevoke(fixture: EngineFixture, url: string): EngineContext {
  const rewrite = fixture.context.rewriteUrl!;
  return {
    ...fixture.context,
    rewriteUrl: (target) => (target.startsWith(`${CONNECTOR_ORIGIN}/oauth/revoke`) ? url : rewrite(target)),
  };
}

for (const dialect of DIALECTS) {
  describe(`revokeConnectorGrants (${dialect})`, () => {
    it('revokes every OAuth grant, at most 4 at a time, and counts API keys as nothing to revoke', async () => {
      const fixture = await openFixture(dialect);
      slow = await startSlowRevoke(40);
      await seedConnections(fixture, 10);
      const summary = await revokeConnectorGrants(throughSlowRevoke(fixture, slow.url), fixture.connector.id);
      expect(summary).toEqual({ connections: 11, revoked: 10, failed: 0, notAsked: 1 });
      expect(slow.seen.calls).toBe(10);
      expect(slow.seen.maxInFlight).toBeGreaterThan(1);
      expect(slow.seen.maxInFlight).toBeLessThanOrEqual(4);
      // Only counted and asked: the rows are the caller's to delete.
      expect(await fixture.handle.db.selectFrom('credentials').select('id').execute()).toHaveLength(11);
    });

    it('stops asking once the deadline passed and counts the rest as not revoked', async () => {
      const fixture = await openFixture(dialect);
      slow = await startSlowRevoke(2000);
      await seedConnections(fixture, 6);
      const started = Date.now();
      const summary = await revokeConnectorGrants(
        throughSlowRevoke(fixture, slow.url),
        fixture.connector.id,
        {
          concurrency: 2,
          deadlineMs: 200,
        },
      );
      expect(Date.now() - started).toBeLessThan(1500);
      expect(summary).toMatchObject({ connections: 7, revoked: 0, notAsked: 0, failed: 7 });
      expect(slow.seen.calls).toBe(2);
    });
  });
}
