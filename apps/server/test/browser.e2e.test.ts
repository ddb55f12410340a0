import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { createTestDatabase, type TestDatabase } from '@cfm/db/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customConnectorBody } from '../src/test/custom-connector-body.js';
import { startTestFrontEnd, type TestFrontEnd } from './front-end/front-end-server.js';
import { type ApiClient, createSignedClient } from './support/api-client.js';
import { createCustomConnector } from './support/custom-connectors.js';
import { authorize } from './support/oauth-driver.js';
import {
  freePort,
  generateServerSecrets,
  type ServerProcess,
  startServerProcess,
} from './support/server-process.js';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = process.env['CI'] === 'true';
const CONNECTOR = 'acme-browser';
const WAIT_MS = 15_000;

if (!HAS_CHROMIUM && !IN_CI) {
  console.warn(
    `browser.e2e: skipped because ${CHROMIUM} is missing (install Debian's chromium package to run it)`,
  );
}

if (!HAS_CHROMIUM && IN_CI) {
  describe('browser end to end (CI)', () => {
    it('needs Chromium', () => {
      expect.fail(`${CHROMIUM} is missing: CI must install Debian's chromium package for the browser suite`);
    });
  });
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Waits until the callback page has finished (its `#status` left "working"), then reads it. */
async function finalStatus(page: Page): Promise<{ status: string; error: string }> {
  await page.waitForFunction("document.getElementById('status')?.textContent !== 'working'", null, {
    timeout: WAIT_MS,
  });
  return {
    status: (await page.textContent('#status')) ?? '',
    error: (await page.textContent('#error')) ?? '',
  };
}

describe.skipIf(!HAS_CHROMIUM)('headless Chromium through consent and the front end callback page', () => {
  let database: TestDatabase | undefined;
  let provider: FakeOAuth2Provider | undefined;
  let frontEnd: TestFrontEnd | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let user: ApiClient;
  let screenshots: string;

  beforeAll(async () => {
    screenshots = mkdtempSync(join(tmpdir(), 'cfm-browser-'));
    database = await createTestDatabase('sqlite');
    provider = await startFakeOAuth2Provider({
      clientId: 'browser-client',
      clientSecret: `browser-${crypto.randomUUID()}`,
    });
    frontEnd = await startTestFrontEnd();
    const secrets = generateServerSecrets();
    server = await startServerProcess({
      env: {
        DATABASE_URL: database.url,
        ...secrets,
        FRONTEND_BASE_URL: frontEnd.url,
        ALLOW_INSECURE_CONNECTOR_URLS: 'true',
      },
    });
    const admin = await createSignedClient(server.url, secrets.JWT_SECRET, {
      subject: 'e2e|browser-admin',
      email: 'admin@example.com',
      role: 'admin',
    });
    await createCustomConnector(admin, customConnectorBody(CONNECTOR, provider.url, provider));
    user = await createSignedClient(server.url, secrets.JWT_SECRET, {
      subject: 'e2e|browser-user',
      email: 'browser@example.com',
    });
    frontEnd.session = { apiBaseUrl: server.url, token: user.token, connectorKey: CONNECTOR };
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await frontEnd?.close();
    await provider?.close();
    await database?.drop();
    if (screenshots !== undefined) rmSync(screenshots, { recursive: true, force: true });
  });

  it('Allow on the consent page ends with an active connection shown by the front end', async () => {
    const { authorization_url: authorizationUrl } = await authorize(user, CONNECTOR);
    const page = await browser!.newPage();
    try {
      await page.goto(authorizationUrl);
      await page.click('#allow');
      await page.waitForURL((url) => url.href.startsWith(`${frontEnd!.url}/oauth/callback?`), {
        timeout: WAIT_MS,
      });
      const shown = await finalStatus(page);
      const file = join(screenshots, 'allowed.png');
      await page.screenshot({ path: file });
      expect(statSync(file).size).toBeGreaterThan(0);
      expect(shown).toEqual({ status: 'active', error: '' });
      expect(provider!.counts.token).toBe(1);
      // The code reached the page in its URL (that is OAuth); it must not travel further than the API.
      expect(new URL(page.url()).searchParams.get('code')).not.toBeNull();
    } finally {
      await page.close();
    }
  });

  it('Deny on the consent page shows the provider refusal (400 CFM_OAUTH_PROVIDER_DENIED)', async () => {
    const { authorization_url: authorizationUrl } = await authorize(user, CONNECTOR);
    const page = await browser!.newPage();
    try {
      await page.goto(authorizationUrl);
      await page.click('#deny');
      await page.waitForURL((url) => url.href.startsWith(`${frontEnd!.url}/oauth/callback?`), {
        timeout: WAIT_MS,
      });
      expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
      const shown = await finalStatus(page);
      await page.screenshot({ path: join(screenshots, 'denied.png') });
      expect(shown).toEqual({ status: 'error', error: '400 CFM_OAUTH_PROVIDER_DENIED' });
      expect(provider!.counts.token).toBe(1);
    } finally {
      await page.close();
    }
  });
});

describe.skipIf(!HAS_CHROMIUM)('headless Chromium with OAUTH_REDIRECT_URI at the API (GET callback)', () => {
  let database: TestDatabase | undefined;
  let provider: FakeOAuth2Provider | undefined;
  let frontEnd: TestFrontEnd | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let user: ApiClient;
  let attacker: ApiClient;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    provider = await startFakeOAuth2Provider({
      clientId: 'browser-client',
      clientSecret: `browser-${crypto.randomUUID()}`,
    });
    frontEnd = await startTestFrontEnd();
    const secrets = generateServerSecrets();
    // The server must know its own URL (the redirect URI registered at the provider) before it listens.
    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;
    server = await startServerProcess({
      port,
      env: {
        DATABASE_URL: database.url,
        ...secrets,
        FRONTEND_BASE_URL: frontEnd.url,
        BACKEND_BASE_URL: apiUrl,
        OAUTH_REDIRECT_URI: `${apiUrl}/api/oauth/{connector}/callback`,
        ALLOW_INSECURE_CONNECTOR_URLS: 'true',
      },
    });
    const admin = await createSignedClient(server.url, secrets.JWT_SECRET, {
      subject: 'e2e|browser-admin',
      email: 'admin@example.com',
      role: 'admin',
    });
    await createCustomConnector(admin, customConnectorBody(CONNECTOR, provider.url, provider));
    user = await createSignedClient(server.url, secrets.JWT_SECRET, {
      subject: 'e2e|browser-user',
      email: 'browser@example.com',
    });
    attacker = await createSignedClient(server.url, secrets.JWT_SECRET, {
      subject: 'e2e|browser-attacker',
      email: 'attacker@example.com',
    });
    frontEnd.session = { apiBaseUrl: server.url, token: user.token, connectorKey: CONNECTOR };
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await frontEnd?.close();
    await provider?.close();
    await database?.drop();
  });

  it('the browser that started the flow finishes it at the API; the binding cookie is cleared', async () => {
    const context = await browser!.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${frontEnd!.url}/connect`);
      // The connect page fetched the authorization URL (with credentials) and went to the consent page.
      await page.waitForSelector('#allow', { timeout: WAIT_MS });
      const bound = (await context.cookies(`${server!.url}/api/oauth/`)).filter((cookie) =>
        cookie.name.startsWith('cfm_oauth_'),
      );
      expect(bound).toHaveLength(1);
      expect(bound[0]).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/api/oauth' });
      await page.click('#allow');
      await page.waitForURL((url) => url.href.startsWith(`${frontEnd!.url}/oauth/callback?`), {
        timeout: WAIT_MS,
      });
      const landed = new URL(page.url());
      expect(landed.searchParams.get('status')).toBe('success');
      // The code went to the API, never to the front end.
      expect(landed.searchParams.get('code')).toBeNull();
      expect(await finalStatus(page)).toEqual({ status: 'active', error: '' });
      const left = (await context.cookies(`${server!.url}/api/oauth/`)).filter((cookie) =>
        cookie.name.startsWith('cfm_oauth_'),
      );
      expect(left).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("login CSRF: a victim's browser completing the attacker's authorization URL is refused", async () => {
    const tokenExchanges = provider!.counts.token;
    const { authorization_url: lure } = await authorize(attacker, CONNECTOR);
    const victim = await browser!.newContext();
    const page = await victim.newPage();
    try {
      await page.goto(lure);
      await page.click('#allow');
      await page.waitForURL((url) => url.href.startsWith(`${frontEnd!.url}/oauth/callback?`), {
        timeout: WAIT_MS,
      });
      expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({
        status: 'error',
        connector: CONNECTOR,
        code: 'CFM_OAUTH_BROWSER_MISMATCH',
      });
      expect(await finalStatus(page)).toEqual({ status: 'error', error: 'CFM_OAUTH_BROWSER_MISMATCH' });
      expect(provider!.counts.token).toBe(tokenExchanges);
      const attackers = await attacker.get<{ items: unknown[] }>('/api/connections/');
      expect(attackers.status).toBe(200);
      expect(attackers.body.items).toEqual([]);
    } finally {
      await victim.close();
    }
  });
});
