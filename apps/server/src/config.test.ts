import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const KEY = randomBytes(32).toString('base64');
const SECRET = 'a'.repeat(32);
const BASE = { JWT_SECRET: SECRET, ENCRYPTION_KEY: KEY };

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env, { dotenv: false, rootDir: '/srv/cfm' });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(BASE, { dotenv: false, rootDir: '/srv/cfm' });
    expect(config).toMatchObject({
      appName: 'Connector Framework Manager',
      host: '127.0.0.1',
      port: 3001,
      backendBaseUrl: 'http://localhost:3001',
      frontendBaseUrl: 'http://localhost:3000',
      databaseUrl: 'sqlite:////srv/cfm/connector_framework.db',
      tokenRefreshIntervalSeconds: 60,
      allowInsecureConnectorUrls: false,
      connectorPackages: [],
      nodeEnv: 'development',
      jwt: { secret: SECRET },
    });
    expect(config.encryptionKeys).toEqual([{ id: 'default', key: Buffer.from(KEY, 'base64') }]);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
  });

  it('sends named statements to PostgreSQL unless DATABASE_NAMED_STATEMENTS says no, and refuses other words', () => {
    const load = (env: Record<string, string>) =>
      loadConfig({ ...BASE, ...env }, { dotenv: false, rootDir: '/srv/cfm' });
    expect(load({}).databaseNamedStatements).toBe(true);
    expect(load({ DATABASE_NAMED_STATEMENTS: 'true' }).databaseNamedStatements).toBe(true);
    expect(load({ DATABASE_NAMED_STATEMENTS: 'off' }).databaseNamedStatements).toBe(false);
    expect(load({ DATABASE_NAMED_STATEMENTS: 'false' }).databaseNamedStatements).toBe(false);
    expect(() => load({ DATABASE_NAMED_STATEMENTS: 'sometimes' })).toThrow(
      'DATABASE_NAMED_STATEMENTS must be true or false',
    );
  });

  it('listens on loopback outside production and on every interface in production, unless HOST says', () => {
    const load = (env: Record<string, string>) =>
      loadConfig({ ...BASE, ...env }, { dotenv: false, rootDir: '/srv/cfm' });
    expect(load({}).host).toBe('127.0.0.1');
    expect(load({ NODE_ENV: 'test' }).host).toBe('127.0.0.1');
    expect(load({ NODE_ENV: 'production' }).host).toBe('0.0.0.0');
    expect(load({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(load({ NODE_ENV: 'production', HOST: '10.0.0.7' }).host).toBe('10.0.0.7');
  });

  it('derives BACKEND_BASE_URL from PORT when it is unset, and keeps it when set', () => {
    const load = (env: Record<string, string>) =>
      loadConfig({ ...BASE, ...env }, { dotenv: false, rootDir: '/srv/cfm' });
    expect(load({ PORT: '4000' }).backendBaseUrl).toBe('http://localhost:4000');
    // An empty value (copied from .env.example) is "unset" too.
    expect(load({ PORT: '4000', BACKEND_BASE_URL: '' }).backendBaseUrl).toBe('http://localhost:4000');
    expect(load({ PORT: '4000', BACKEND_BASE_URL: 'https://api.example.com/' }).backendBaseUrl).toBe(
      'https://api.example.com',
    );
  });

  it('resolves relative SQLite paths against the root, whatever the cwd', () => {
    const fromRoot = loadConfig(
      { ...BASE, DATABASE_URL: 'sqlite:///./data/app.db' },
      { dotenv: false, rootDir: '/srv/cfm', cwd: '/srv/cfm' },
    );
    const fromApp = loadConfig(
      { ...BASE, DATABASE_URL: 'sqlite:///./data/app.db' },
      { dotenv: false, rootDir: '/srv/cfm', cwd: '/srv/cfm/apps/server' },
    );
    expect(fromRoot.databaseUrl).toBe('sqlite:////srv/cfm/data/app.db');
    expect(fromApp.databaseUrl).toBe(fromRoot.databaseUrl);
    const absolute = loadConfig({ ...BASE, DATABASE_URL: 'sqlite:////var/db/x.db' }, { dotenv: false });
    expect(absolute.databaseUrl).toBe('sqlite:////var/db/x.db');
  });

  it('collects every *_CLIENT_ID / *_CLIENT_SECRET pair by connector key', () => {
    const config = loadConfig(
      {
        ...BASE,
        JIRA_CLIENT_ID: 'jira-id',
        JIRA_CLIENT_SECRET: 'jira-secret',
        GOOGLE_DRIVE_CLIENT_ID: 'gd-id',
        GOOGLE_DRIVE_CLIENT_SECRET: 'gd-secret',
        SLACK_CLIENT_ID: '',
      },
      { dotenv: false },
    );
    expect(config.oauthClients).toEqual({
      jira: { clientId: 'jira-id', clientSecret: 'jira-secret' },
      'google-drive': { clientId: 'gd-id', clientSecret: 'gd-secret' },
    });
  });

  it('reads ENCRYPTION_KEYS with the first key active', () => {
    const other = randomBytes(32).toString('base64');
    const config = loadConfig(
      { JWT_SECRET: SECRET, ENCRYPTION_KEYS: `k2:${KEY},k1:${other}` },
      { dotenv: false },
    );
    expect(config.encryptionKeys.map((entry) => entry.id)).toEqual(['k2', 'k1']);
  });

  it.each([
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET must be at least 32 characters'],
    [{ PORT: 'abc' }, 'PORT must be a whole number from 0 to 65535'],
    [{ PORT: '70000' }, 'PORT must be a whole number from 0 to 65535'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV must be development, production or test'],
    [{ BACKEND_BASE_URL: 'localhost:3001' }, 'BACKEND_BASE_URL must be an absolute http:// or https:// URL'],
    [{ FRONTEND_BASE_URL: 'ftp://x' }, 'FRONTEND_BASE_URL must be an absolute http:// or https:// URL'],
    [{ OAUTH_REDIRECT_URI: '/callback' }, 'OAUTH_REDIRECT_URI must be an absolute http:// or https:// URL'],
    [
      { OAUTH_REDIRECT_URI: 'javascript:alert(1)' },
      'OAUTH_REDIRECT_URI must be an absolute http:// or https:// URL',
    ],
    [{ ENCRYPTION_KEY: 'not base64!' }, 'ENCRYPTION_KEY must be 32 random bytes in base64'],
    [
      { ENCRYPTION_KEY: randomBytes(16).toString('base64') },
      'ENCRYPTION_KEY must be 32 bytes encoded in base64',
    ],
    [{ ENCRYPTION_KEYS: 'nocolon' }, 'ENCRYPTION_KEYS must look like id1:base64key,id2:base64key'],
    [{ ENCRYPTION_KEYS: `a:${KEY}` }, 'ENCRYPTION_KEY and ENCRYPTION_KEYS are both set'],
    [{ ALLOW_INSECURE_CONNECTOR_URLS: 'maybe' }, 'ALLOW_INSECURE_CONNECTOR_URLS must be true or false'],
    [
      { TOKEN_REFRESH_INTERVAL_SECONDS: '0' },
      'TOKEN_REFRESH_INTERVAL_SECONDS must be a positive whole number',
    ],
    [{ TOKEN_REFRESH_CONCURRENCY: '65' }, 'TOKEN_REFRESH_CONCURRENCY must be a whole number from 1 to 64'],
    [{ TOKEN_REFRESH_CONCURRENCY: '0' }, 'TOKEN_REFRESH_CONCURRENCY must be a whole number from 1 to 64'],
    [{ DATABASE_URL: 'mysql://root:hunter2@db/x' }, 'DATABASE_URL is not valid'],
    [{ NOTION_CLIENT_SECRET: 's' }, 'NOTION_CLIENT_ID is missing (NOTION_CLIENT_SECRET is set)'],
  ])('refuses %j with one clear line', (override, expected) => {
    const message = refusal({ ...BASE, ...override });
    expect(message).toContain(expected);
    expect(message).not.toContain('hunter2');
  });

  it('refuses missing secrets in production', () => {
    expect(refusal({ NODE_ENV: 'production', ENCRYPTION_KEY: KEY })).toMatch(/^JWT_SECRET is required/);
    expect(refusal({ NODE_ENV: 'production', JWT_SECRET: SECRET })).toMatch(/^ENCRYPTION_KEY is required/);
  });

  it('never puts a value in a refusal', () => {
    const message = refusal({ ...BASE, JWT_SECRET: 'my-short-secret' });
    expect(message).not.toContain('my-short-secret');
  });
});

describe('first run .env', () => {
  let folder: string;
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('writes generated secrets to <root>/.env (mode 0600) in development, and reuses them', () => {
    folder = mkdtempSync(join(tmpdir(), 'cfm-config-'));
    const first = loadConfig({}, { rootDir: folder, cwd: folder, dotenv: true });
    const path = join(folder, '.env');
    expect(first.generatedEnvFile).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(`JWT_SECRET=${first.jwt.secret}`);
    expect(text).toMatch(/^ENCRYPTION_KEY=.+$/m);

    const second = loadConfig({}, { rootDir: folder, cwd: folder, dotenv: true });
    expect(second.generatedEnvFile).toBeUndefined();
    expect(second.jwt.secret).toBe(first.jwt.secret);
    expect(second.encryptionKeys[0]?.key.equals(first.encryptionKeys[0]!.key)).toBe(true);
  });

  it('lets the real environment win over .env', () => {
    folder = mkdtempSync(join(tmpdir(), 'cfm-config-'));
    writeFileSync(join(folder, '.env'), `JWT_SECRET=${'f'.repeat(40)}\nENCRYPTION_KEY=${KEY}\nPORT=4000\n`);
    const config = loadConfig({ PORT: '5000' }, { rootDir: folder, cwd: folder, dotenv: true });
    expect(config.port).toBe(5000);
    expect(config.jwt.secret).toBe('f'.repeat(40));
    expect(config.generatedEnvFile).toBeUndefined();
  });

  it('refuses instead of generating in production', () => {
    folder = mkdtempSync(join(tmpdir(), 'cfm-config-'));
    expect(() =>
      loadConfig({ NODE_ENV: 'production' }, { rootDir: folder, cwd: folder, dotenv: true }),
    ).toThrow(/JWT_SECRET is required/);
    expect(() => statSync(join(folder, '.env'))).toThrow();
  });
});
