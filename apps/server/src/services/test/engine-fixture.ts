import { randomBytes, randomUUID } from 'node:crypto';
import type { OAuth2AuthDescriptor } from '@cfm/connector-sdk';
import { type Credentials, createOriginRewriter, defineConnector, Type } from '@cfm/connector-sdk';
import {
  type FakeOAuth2Provider,
  type FakeOAuth2ProviderOptions,
  startFakeOAuth2Provider,
} from '@cfm/connector-sdk/testing';
import { createDatabase, type DatabaseHandle, type Dialect, migrateToLatest } from '@cfm/db';
import { createTestDatabase, type TestDatabase } from '@cfm/db/testing';
import { afterEach } from 'vitest';
import type { ResolvedConnector } from '../connector-resolver.js';
import { CredentialStore } from '../credential-store.js';
import { CredentialsVault } from '../credentials-vault.js';
import type { EngineContext } from '../engine-context.js';
import { OAuthFlow } from '../oauth-flow.js';

export const CONNECTOR_ORIGIN = 'https://acme.example';
export const REDIRECT_URI = 'http://127.0.0.1:9/api/v1/oauth/acme/callback';
export const STATE_SECRET = 'a-jwt-secret-of-at-least-thirty-two-characters';

export interface EngineFixture {
  dialect: Dialect;
  handle: DatabaseHandle;
  /** The database URL (for child processes in the e2e race test). */
  databaseUrl: string;
  provider: FakeOAuth2Provider;
  vault: CredentialsVault;
  /** The vault's only key (id `k1`), for rotation tests. */
  vaultKey: { id: string; key: Buffer };
  context: EngineContext;
  /** The `acme` connector as the resolver hands it out; tests may flip `enabled` or `client`. */
  connector: ResolvedConnector;
  /** A second loaded connector (`globex`) for mismatch tests. */
  otherConnector: ResolvedConnector;
  userId: string;
  otherUserId: string;
  /** Added to the real clock by `context.now`. */
  clockOffsetMs: number;
  close(): Promise<void>;
}

export interface FixtureOptions {
  provider?: FakeOAuth2ProviderOptions;
  descriptor?: Partial<OAuth2AuthDescriptor>;
}

function acmeDefinition(key: string, descriptor: Partial<OAuth2AuthDescriptor>) {
  return defineConnector({
    key,
    name: key === 'acme' ? 'Acme' : 'Globex',
    description: 'A generic OAuth 2 connector for tests.',
    configSchema: Type.Object({}),
    auth: [
      {
        type: 'oauth2',
        authorizeUrl: `${CONNECTOR_ORIGIN}/oauth/authorize`,
        tokenUrl: `${CONNECTOR_ORIGIN}/oauth/token`,
        revokeUrl: `${CONNECTOR_ORIGIN}/oauth/revoke`,
        scopes: { required: ['read'] },
        ...descriptor,
      },
      {
        type: 'api_key',
        fields: [
          { name: 'apiKey', label: 'API key', in: 'header', param: 'authorization', prefix: 'Bearer ' },
        ],
      },
    ],
    async check(context) {
      const me = await context.http.get<{ id: string; name: string; email: string }>(
        `${CONNECTOR_ORIGIN}/api/me`,
      );
      return {
        identity: { accountId: me.body.id, displayName: me.body.name, email: me.body.email },
        metadata: { checked: true },
      };
    },
    async fetchSample(context, options) {
      const me = await context.http.get<Record<string, unknown>>(`${CONNECTOR_ORIGIN}/api/me`);
      return { kind: 'profiles', items: Array.from({ length: 8 }, () => me.body).slice(0, options.limit) };
    },
  });
}

/** A migrated database of `dialect`, a fake provider over real HTTP, two users and two connectors. */
export async function createEngineFixture(
  dialect: Dialect,
  options: FixtureOptions = {},
): Promise<EngineFixture> {
  const testDatabase: TestDatabase = await createTestDatabase(dialect);
  const handle = createDatabase(testDatabase.url, { poolMax: 20 });
  const migrated = await migrateToLatest(handle.db);
  if (migrated.error) throw migrated.error;
  const provider = await startFakeOAuth2Provider(options.provider ?? {});
  const vaultKey = { id: 'k1', key: randomBytes(32) };
  const vault = new CredentialsVault([vaultKey]);
  const userId = randomUUID();
  const otherUserId = randomUUID();
  await handle.db
    .insertInto('users')
    .values([
      { id: userId, subject: 'user-1', email: 'one@example.com' },
      { id: otherUserId, subject: 'user-2', email: 'two@example.com' },
    ])
    .execute();
  const makeConnector = async (key: string): Promise<ResolvedConnector> => {
    const id = randomUUID();
    await handle.db
      .insertInto('connectors')
      .values({
        id,
        key,
        name: key,
        description: '',
        source: 'package',
        auth_type: 'oauth2',
        config_schema: {},
      })
      .execute();
    return {
      id,
      key,
      source: 'package',
      enabled: true,
      definition: acmeDefinition(key, options.descriptor ?? {}),
      client: { clientId: provider.clientId, clientSecret: provider.clientSecret },
      missingVariables: [],
    };
  };
  const connector = await makeConnector('acme');
  const otherConnector = await makeConnector('globex');
  const all = [connector, otherConnector];
  const fixture: EngineFixture = {
    dialect,
    handle,
    databaseUrl: testDatabase.url,
    provider,
    vault,
    vaultKey,
    connector,
    otherConnector,
    userId,
    otherUserId,
    clockOffsetMs: 0,
    context: {
      database: handle,
      vault,
      connectors: {
        resolve: async (key) => all.find((item) => item.key === key) ?? null,
        resolveById: async (id) => all.find((item) => item.id === id) ?? null,
      },
      rewriteUrl: createOriginRewriter(new Map([[CONNECTOR_ORIGIN, provider.url]])),
      now: () => new Date(Date.now() + fixture.clockOffsetMs),
    },
    async close() {
      await provider.close();
      await handle.close();
      await testDatabase.drop();
    },
  };
  return fixture;
}

/**
 * For suites that want a fresh fixture per test: registers an `afterEach` that closes the one the test
 * opened, and returns the opener.
 */
export function engineFixturePerTest(): (
  dialect: Dialect,
  options?: FixtureOptions,
) => Promise<EngineFixture> {
  let current: EngineFixture | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (dialect, options) => {
    current = await createEngineFixture(dialect, options);
    return current;
  };
}

/** Row counts of the tables a failed authorization must leave alone. */
export async function countRows(
  handle: DatabaseHandle,
): Promise<{ connections: number; credentials: number }> {
  const count = async (table: 'connections' | 'credentials') =>
    Number(
      (
        await handle.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { connections: await count('connections'), credentials: await count('credentials') };
}

/**
 * start → approve at the fake → complete, as the fixture's user on `acme`; returns the connection id
 * (a new one, or `connectionId` when re-authorizing it). The flow defaults to one on the fixture's context.
 */
export async function connectAccount(
  fixture: EngineFixture,
  flow: {
    startAuthorization: OAuthFlow['startAuthorization'];
    completeAuthorization: OAuthFlow['completeAuthorization'];
  } = new OAuthFlow(fixture.context, { stateSecret: STATE_SECRET }),
  options: { connectionId?: string } = {},
): Promise<string> {
  const started = await flow.startAuthorization({
    userId: fixture.userId,
    connectorKey: 'acme',
    connectionId: options.connectionId,
    redirectUri: REDIRECT_URI,
  });
  const approval = await fixture.provider.approve(started.authorizationUrl);
  const result = await flow.completeAuthorization({
    userId: fixture.userId,
    connectorKey: 'acme',
    code: approval.code,
    state: approval.state,
    callbackParams: approval.params,
  });
  return result.connectionId;
}

/** The connection's credentials as the vault opens them; undefined when there are none. */
export async function loadCredentials(
  fixture: EngineFixture,
  connectionId: string,
): Promise<Credentials | undefined> {
  return (await new CredentialStore(fixture.vault).load(fixture.handle.db, connectionId))?.credentials;
}

/** The connection's row as stored. */
export function connectionRow(fixture: EngineFixture, connectionId: string) {
  return fixture.handle.db
    .selectFrom('connections')
    .selectAll()
    .where('id', '=', connectionId)
    .executeTakeFirstOrThrow();
}

/** The connection's credentials row as stored (sealed). */
export function credentialsRow(fixture: EngineFixture, connectionId: string) {
  return fixture.handle.db
    .selectFrom('credentials')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .executeTakeFirstOrThrow();
}
