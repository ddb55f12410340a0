import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { scaffoldConnector } from '../src/scaffold.js';
import {
  HOME,
  linkDependencies,
  makeTempFolder,
  runBounded,
  SDK_DIRECTORY,
  TOOL_BINARIES,
} from '../src/test/temp-folders.js';
import { assertServerBuilt, type BuiltServer, devToken, startBuiltServer } from './support/built-server.js';

// The whole path an author and an operator take, in about 30 s: scaffold, build, pack, `npm install` the
// tarballs into a CONNECTORS_DIR, start the built server there, connect through the package's own fake.
const STEP_TIMEOUT_MS = 120_000;
/** An SDK line this repository has not reached: a package asking for it must be refused, not loaded. */
const FUTURE_SDK_RANGE = '^99.0.0';
const INCOMPATIBLE_KEY = 'cfm-connector-acme-next';

interface FakeProvider {
  url: string;
  originOverrides: Record<string, string>;
  counts: { token: number };
  approve(authorizeUrl: string): Promise<{ code: string; state: string }>;
  close(): Promise<void>;
}

interface ListedConnector {
  key: string;
  source: string;
  status: string;
  status_reason: string | null;
  configured: boolean;
}

describe('pnpm create-connector → build → pack → CONNECTORS_DIR → running server → connect', () => {
  const folder = makeTempFolder('cfm-scaffold-e2e-');
  const connectorsDir = join(folder.path, 'connectors');
  const secrets = {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
  let fake: FakeProvider | undefined;
  let server: BuiltServer | undefined;
  let token = '';

  async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    if (server === undefined) throw new Error('the server did not start');
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      signal: AbortSignal.timeout(20_000),
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
  }

  beforeAll(async () => {
    assertServerBuilt();
    linkDependencies(folder.path);
    const sources = join(folder.path, 'sources');
    const tarballs = join(folder.path, 'tarballs');
    mkdirSync(tarballs);
    const step = { timeoutMs: STEP_TIMEOUT_MS };

    // 1. The author: scaffold and build, as the generated README says.
    const acme = await scaffoldConnector({
      home: HOME,
      key: 'acme',
      displayName: 'Acme',
      directory: sources,
    });
    await runBounded(process.execPath, [TOOL_BINARIES.tsc, '-p', 'tsconfig.build.json'], {
      ...step,
      cwd: acme.directory,
    });
    // A second package, built for an SDK the server does not have. The server refuses it from its
    // package.json alone, before importing anything, so it needs no build.
    const future = await scaffoldConnector({ home: HOME, key: 'acme-next', directory: sources });
    const futureManifest = join(future.directory, 'package.json');
    const manifest = JSON.parse(readFileSync(futureManifest, 'utf8'));
    manifest.peerDependencies['@cfm/connector-sdk'] = FUTURE_SDK_RANGE;
    writeFileSync(futureManifest, JSON.stringify(manifest, null, 2));

    // 2. Publishing, without a registry: the tarballs `pnpm publish` would upload (the SDK's too, which is
    // not on the registry yet).
    for (const directory of [SDK_DIRECTORY, acme.directory, future.directory]) {
      await runBounded('pnpm', ['pack', '--pack-destination', tarballs], { ...step, cwd: directory });
    }
    const tarball = (prefix: string) => {
      const found = readdirSync(tarballs).find(
        (file) => file.startsWith(prefix) && /-\d+\.\d+\.\d+\.tgz$/.test(file),
      );
      if (found === undefined) throw new Error(`no ${prefix} tarball in ${readdirSync(tarballs).join(', ')}`);
      return join(tarballs, found);
    };

    // 3. The operator: an npm prefix for connectors. The compatible package installs as usual; npm itself
    // refuses the other one's peer range, so an operator forcing it past npm gets the server's refusal.
    mkdirSync(connectorsDir);
    writeFileSync(join(connectorsDir, 'package.json'), JSON.stringify({ name: 'connectors', private: true }));
    const npm = ['install', '--prefer-offline', '--no-audit', '--no-fund'];
    await runBounded('npm', [...npm, tarball('cfm-connector-sdk-'), tarball('cfm-connector-acme-0')], {
      ...step,
      cwd: connectorsDir,
    });
    await runBounded('npm', [...npm, '--legacy-peer-deps', tarball('cfm-connector-acme-next-')], {
      ...step,
      cwd: connectorsDir,
    });

    // 4. The fake provider, from the installed package's `./testing` entry.
    const installed = join(connectorsDir, 'node_modules', '@cfm', 'connector-acme');
    const testing = (await import(pathToFileURL(join(installed, 'dist', 'testing', 'index.js')).href)) as {
      startFakeAcme(): Promise<FakeProvider>;
      FAKE_ACME_CLIENT: { clientId: string; clientSecret: string };
    };
    fake = await testing.startFakeAcme();
    const env = {
      ...secrets,
      DATABASE_URL: `sqlite:///${join(folder.path, 'cfm.db')}`,
      CONNECTORS_DIR: connectorsDir,
      ACME_CLIENT_ID: testing.FAKE_ACME_CLIENT.clientId,
      ACME_CLIENT_SECRET: testing.FAKE_ACME_CLIENT.clientSecret,
      ACME_NEXT_CLIENT_ID: 'unused',
      ACME_NEXT_CLIENT_SECRET: 'unused',
      CONNECTOR_ORIGIN_OVERRIDES: Object.entries(fake.originOverrides)
        .map(([from, to]) => `${from}=${to}`)
        .join(','),
    };
    server = await startBuiltServer(env, folder.path);
    token = await devToken(secrets, folder.path, 'author@example.com');
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    folder.remove();
  });

  it('lists the scaffolded connector loaded and configured, and the other incompatible with the reason', async () => {
    onTestFailed(() => console.error(server?.logs().slice(-4000)));
    const listed = await api<{ items?: ListedConnector[] } | ListedConnector[]>('GET', '/api/connectors/');
    expect(listed.status).toBe(200);
    const items = Array.isArray(listed.body) ? listed.body : (listed.body.items ?? []);
    const byKey = new Map(items.map((item) => [item.key, item]));
    expect(byKey.get('acme')).toMatchObject({ source: 'package', status: 'loaded', configured: true });
    // Refused before its definition was read, it is listed under its package name's slug.
    expect(byKey.get(INCOMPATIBLE_KEY)).toMatchObject({ status: 'incompatible' });
    expect(byKey.get(INCOMPATIBLE_KEY)?.status_reason).toContain(
      `requires @cfm/connector-sdk@${FUTURE_SDK_RANGE}`,
    );
    // Everything else keeps working: the first-party connectors load beside them.
    for (const key of HOME.firstPartyKeys) {
      // A package that failed is listed under its package name's slug, with the reason.
      const listed = byKey.get(key) ?? byKey.get(`cfm-connector-${key}`);
      expect(`${key}: ${listed?.status} ${listed?.status_reason ?? ''}`.trim()).toBe(`${key}: loaded`);
    }
  });

  it('connects through the fake: authorize → approve → callback → test → the list_items action', async () => {
    onTestFailed(() => console.error(server?.logs().slice(-4000)));
    const authorization = await api<{ authorization_url: string; state: string }>(
      'GET',
      '/api/oauth/acme/authorize',
    );
    expect(authorization.status).toBe(200);
    // CONNECTOR_ORIGIN_OVERRIDES sends the real origin (https://acme.example) to the fake.
    expect(new URL(authorization.body.authorization_url).origin).toBe(fake!.url);
    const approval = await fake!.approve(authorization.body.authorization_url);
    expect(approval.state).toBe(authorization.body.state);

    const callback = await api<{ success: boolean; connection_id: string }>(
      'POST',
      '/api/oauth/acme/callback',
      {
        code: approval.code,
        state: approval.state,
      },
    );
    expect(callback.status).toBe(200);
    expect(callback.body.success).toBe(true);
    expect(fake!.counts.token).toBe(1);

    const tested = await api<{
      success: boolean;
      identity: Record<string, unknown> | null;
      sample_data: { kind: string; items: unknown[] } | null;
    }>('POST', `/api/connections/${callback.body.connection_id}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body.success).toBe(true);
    expect(tested.body.identity?.['account_id'] ?? tested.body.identity?.['accountId']).toBe('acme-user-1');
    expect(tested.body.sample_data?.kind).toBe('items');

    const action = await api<{ data: { items: { id: string }[] } }>(
      'POST',
      `/api/connections/${callback.body.connection_id}/actions/list_items`,
      { limit: 2 },
    );
    expect(action.status).toBe(200);
    expect(action.body.data.items.map((item) => item.id)).toEqual(['item-1', 'item-2']);
  });

  it('refuses to authorize the incompatible connector', async () => {
    const authorization = await api<{ code: string }>('GET', `/api/oauth/${INCOMPATIBLE_KEY}/authorize`);
    expect(['CFM_CONNECTOR_NOT_FOUND', 'CFM_CONNECTOR_NOT_LOADED']).toContain(authorization.body.code);
  });
});
