import { randomBytes, randomUUID } from 'node:crypto';
import { testDialects } from '@cfm/db/testing';
import { describe, expect, it } from 'vitest';
import { CredentialStore } from './credential-store.js';
import { associatedData, CredentialsVault } from './credentials-vault.js';
import { rotateKeys } from './key-rotation.js';
import { OAuthFlow } from './oauth-flow.js';
import {
  connectAccount,
  credentialsRow,
  engineFixturePerTest,
  loadCredentials,
  REDIRECT_URI,
  STATE_SECRET,
} from './test/engine-fixture.js';

const DIALECTS = await testDialects();
const openFixture = engineFixturePerTest();

for (const dialect of DIALECTS) {
  describe(`rotateKeys (${dialect})`, () => {
    it('re-encrypts every sealed value in resumable batches; the old key can then be removed', async () => {
      const fixture = await openFixture(dialect);
      const flow = new OAuthFlow(fixture.context, { stateSecret: STATE_SECRET });
      const connectionId = await connectAccount(fixture, flow);
      await flow.startAuthorization({
        userId: fixture.userId,
        connectorKey: 'acme',
        redirectUri: REDIRECT_URI,
      });
      const secret = fixture.vault.seal(
        'custom-client-secret',
        associatedData.connectorSecret(fixture.otherConnector.id),
      );
      await fixture.handle.db
        .updateTable('connectors')
        .set({ client_secret_ciphertext: secret.ciphertext, client_secret_key_id: secret.keyId })
        .where('id', '=', fixture.otherConnector.id)
        .execute();
      // More credentials rows than one batch.
      const oldStore = new CredentialStore(fixture.vault);
      for (let index = 0; index < 4; index += 1) {
        const userId = randomUUID();
        const id = randomUUID();
        await fixture.handle.db
          .insertInto('users')
          .values({ id: userId, subject: `s${index}`, email: `u${index}@example.com` })
          .execute();
        await fixture.handle.db
          .insertInto('connections')
          .values({ id, user_id: userId, connector_id: fixture.connector.id, config: {} })
          .execute();
        await oldStore.save(
          fixture.handle.db,
          id,
          { type: 'api_key', values: { apiKey: `key-${index}` } },
          new Date(),
        );
      }
      const before = await loadCredentials(fixture, connectionId);

      const next = { id: 'k2', key: randomBytes(32) };
      const both = new CredentialsVault([next, fixture.vaultKey]);
      // A first run interrupted after one batch, then a full run: the second picks up where it stopped.
      let batches = 0;
      await rotateKeys(fixture.handle.db, both, {
        batchSize: 2,
        onBatch: () => {
          batches += 1;
          if (batches === 1) throw new Error('interrupted');
        },
      }).catch((error: unknown) => expect((error as Error).message).toBe('interrupted'));
      const partly = await fixture.handle.db.selectFrom('credentials').select('key_id').execute();
      expect(partly.filter((row) => row.key_id === 'k2')).toHaveLength(2);
      const result = await rotateKeys(fixture.handle.db, both, { batchSize: 2 });
      expect(result.credentials).toEqual({ rotated: 3, failed: 0 });
      expect(result.connectorSecrets).toEqual({ rotated: 1, failed: 0 });
      expect(result.oauthStates.rotated).toBeGreaterThanOrEqual(1);
      expect((await rotateKeys(fixture.handle.db, both)).credentials).toEqual({ rotated: 0, failed: 0 });

      // Only the new key is needed now.
      const onlyNew = new CredentialsVault([next]);
      const after = await new CredentialStore(onlyNew).load(fixture.handle.db, connectionId);
      expect(after?.credentials).toEqual(before);
      const connector = await fixture.handle.db
        .selectFrom('connectors')
        .selectAll()
        .where('id', '=', fixture.otherConnector.id)
        .executeTakeFirstOrThrow();
      expect(
        onlyNew.open(
          {
            ciphertext: connector.client_secret_ciphertext ?? '',
            keyId: connector.client_secret_key_id ?? '',
          },
          associatedData.connectorSecret(connector.id),
        ),
      ).toBe('custom-client-secret');
      for (const table of ['credentials', 'oauth_states'] as const) {
        const keys = await fixture.handle.db.selectFrom(table).select('key_id').execute();
        expect(keys.every((row) => row.key_id === null || row.key_id === 'k2')).toBe(true);
      }
    });

    it('reports values it cannot open and leaves them alone', async () => {
      const fixture = await openFixture(dialect);
      const connectionId = await connectAccount(fixture);
      const stranger = new CredentialsVault([{ id: 'k3', key: randomBytes(32) }]);
      const result = await rotateKeys(fixture.handle.db, stranger);
      expect(result.credentials).toEqual({ rotated: 0, failed: 1 });
      expect((await credentialsRow(fixture, connectionId)).key_id).toBe('k1');
    });
  });
}
