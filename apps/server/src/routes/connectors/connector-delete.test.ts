import { testDialects } from '@cfm/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOAuthTestApp, type OAuthTestApp } from '../oauth/test/oauth-test-app.js';

const DIALECTS = await testDialects();

for (const dialect of DIALECTS) {
  describe(`DELETE /api/connectors/{key} revokes every grant first (${dialect})`, () => {
    let test: OAuthTestApp;

    beforeEach(async () => {
      test = await createOAuthTestApp(dialect);
    });
    afterEach(() => test?.close());

    /** A user connects `acme` through the real flow against the fake; returns the tokens the fake issued. */
    async function connect(token: string): Promise<string[]> {
      const known = new Set(test.provider.tokens.map((issued) => issued.value));
      const approval = await test.provider.approve((await test.authorize('acme', token)).authorization_url);
      const callback = await test.call('POST', '/api/oauth/acme/callback', {
        token,
        body: { code: approval.code, state: approval.state },
      });
      expect(callback.json(), callback.body).toMatchObject({ success: true, status: 'active' });
      return test.provider.tokens.filter((issued) => !known.has(issued.value)).map((issued) => issued.value);
    }

    const stateOf = (value: string) => test.provider.tokens.find((issued) => issued.value === value)?.state;

    async function deleteEvent() {
      return test.handle.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'connector.delete')
        .executeTakeFirstOrThrow();
    }

    it("revokes both users' grants at the provider, then deletes the connector and the connections", async () => {
      const aliceTokens = await connect(test.alice);
      const bobTokens = await connect(test.bob);
      expect(aliceTokens.length).toBeGreaterThan(0);
      expect(test.provider.counts.revoke).toBe(0);

      const response = await test.call('DELETE', '/api/connectors/acme', { token: test.admin });
      expect(response.statusCode, response.body).toBe(204);

      expect(test.provider.counts.revoke).toBe(2);
      for (const value of [...aliceTokens, ...bobTokens]) expect(stateOf(value)).toBe('revoked');
      expect(await test.counts()).toEqual({ connections: 0, credentials: 0 });
      expect((await test.call('GET', '/api/connectors/acme')).statusCode).toBe(404);
      expect((await deleteEvent()).detail).toMatchObject({
        connections: 2,
        grants_revoked: 2,
        grants_not_revoked: 0,
        grants_without_revocation: 0,
      });
    });

    it('a provider failing a revocation: the deletion still happens, the failure is logged and counted', async () => {
      const aliceTokens = await connect(test.alice);
      const bobTokens = await connect(test.bob);
      test.provider.failNext(1, 500, { error: 'server_error' });

      const response = await test.call('DELETE', '/api/connectors/acme', { token: test.admin });
      expect(response.statusCode, response.body).toBe(204);

      const states = [...aliceTokens, ...bobTokens].map(stateOf);
      expect(states.filter((state) => state === 'revoked').length).toBe(states.length / 2);
      expect(await test.counts()).toEqual({ connections: 0, credentials: 0 });
      expect((await deleteEvent()).detail).toMatchObject({
        connections: 2,
        grants_revoked: 1,
        grants_not_revoked: 1,
      });
      expect(test.logs()).toMatch(/some grants could not be revoked at the provider/);
      for (const value of [...aliceTokens, ...bobTokens]) expect(test.logs()).not.toContain(value);
    });

    it('nothing to revoke: a connector without connections is deleted without calling the provider', async () => {
      const response = await test.call('DELETE', '/api/connectors/slacky', { token: test.admin });
      expect(response.statusCode).toBe(204);
      expect(test.slack.counts.revoke).toBe(0);
      expect((await deleteEvent()).detail).toMatchObject({ connections: 0, grants_revoked: 0 });
    });
  });
}
