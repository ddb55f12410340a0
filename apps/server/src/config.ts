import { isAbsolute, join, resolve } from 'node:path';
import { parseOriginOverrides } from '@cfm/connector-sdk';
import { DatabaseUrlError, parseDatabaseUrl } from '@cfm/db';
import { durationSeconds, type RateLimitConfig, rateLimitConfig } from './config/abuse-limits.js';
import {
  findRepoRoot,
  generateEncryptionKey,
  generateJwtSecret,
  readEnvFile,
  writeGeneratedEnvFile,
} from './config/env-file.js';
import { type Env, findEnvProblem, type LOG_LEVELS, type NODE_ENVS } from './config/env-schema.js';
import { DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_AGE_SECONDS } from './services/access-tokens.js';

/**
 * Thrown when the environment is unusable. The message is one line naming the variable and what is
 * wrong (`JWT_SECRET must be at least 32 characters`) and never contains a value.
 */
export class ConfigError extends Error {
  readonly code = 'CFM_CONFIG_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface OAuthClientCredentials {
  clientId: string;
  /** Absent for public clients that authenticate with PKCE alone. */
  clientSecret?: string;
}

export interface AppConfig {
  nodeEnv: (typeof NODE_ENVS)[number];
  isProduction: boolean;
  logLevel: (typeof LOG_LEVELS)[number];
  appName: string;
  /** `HOST`; default `127.0.0.1`, `0.0.0.0` in production. */
  host: string;
  port: number;
  /** Relative SQLite paths are already resolved against {@link rootDir}. */
  databaseUrl: string;
  /**
   * `DATABASE_NAMED_STATEMENTS` (default true): PostgreSQL parses and plans the hot queries once per
   * connection. Off behind a pooler that cannot keep a prepared statement across transactions.
   */
  databaseNamedStatements: boolean;
  /** `JWT_MAX_AGE` (default 24 h) bounds `exp - iat`; `JWT_CLOCK_SKEW_SECONDS` (30) bounds `iat`/`nbf` ahead of now. */
  jwt: {
    secret: string;
    issuer?: string;
    audience?: string;
    maxAgeSeconds: number;
    clockSkewSeconds: number;
  };
  /** Abuse limits (`RATE_LIMIT_*`, `REDIS_URL`). */
  rateLimit: RateLimitConfig;
  /** Without a trailing slash; `BACKEND_BASE_URL`, default `http://localhost:<PORT>`. */
  backendBaseUrl: string;
  /** Without a trailing slash. */
  frontendBaseUrl: string;
  oauthRedirectUri?: string;
  /** Keyed by connector key (`JIRA_CLIENT_ID` → `jira`, `GOOGLE_DRIVE_CLIENT_ID` → `google-drive`). */
  oauthClients: Readonly<Record<string, Readonly<OAuthClientCredentials>>>;
  /** The first key encrypts; every key decrypts (rotation). */
  encryptionKeys: readonly Readonly<EncryptionKey>[];
  connectorPackages: readonly string[];
  /** Absolute. */
  connectorsDir?: string;
  /** Raw `CONNECTOR_ORIGIN_OVERRIDES`, parsed by the SDK's `parseOriginOverrides`. */
  connectorOriginOverrides?: string;
  allowInsecureConnectorUrls: boolean;
  tokenRefreshIntervalSeconds: number;
  /** Refreshes the background refresher runs at once (each holds a database connection meanwhile). */
  tokenRefreshConcurrency: number;
  /**
   * Slow clients: a request (headers and body) must arrive within `requestMs`, its headers within
   * `headersMs`; a signal ends the process within `shutdownMs` even when in-flight work does not finish.
   */
  timeouts: { requestMs: number; headersMs: number; shutdownMs: number };
  /** The connection proxy and actions: request body limit, provider timeout, longest `Retry-After` waited for. */
  proxy: { bodyLimitBytes: number; timeoutMs: number; retryWaitCapMs: number };
  /** `WEB_CONCURRENCY`: worker processes on one port (`node:cluster`); 1 = today's single process. */
  webConcurrency: number;
  /** Set in a cluster worker by its primary (`CFM_WORKER_SLOT`, 1..N): migrations are the primary's job. */
  workerSlot?: number;
  /** `GET /metrics` (Prometheus) is served, to admins only. */
  metricsEnabled: boolean;
  /** `/mcp` (agents): `read-only` lists only actions declared read-only; `connectors` (null: all) limits the tools. */
  mcp: { tools: 'all' | 'read-only'; connectors: readonly string[] | null };
  /** Fastify `trustProxy`: `true`, a hop count, or the proxy addresses/CIDRs whose `X-Forwarded-*` are believed. */
  trustProxy: boolean | number | readonly string[];
  /** The repository root (or the working folder outside a checkout): `.env` and relative paths live here. */
  rootDir: string;
  /** Set when this load wrote a first-run `.env` with generated secrets. */
  generatedEnvFile?: string;
}

export interface LoadConfigOptions {
  /** Where `.env` is read and written, and relative paths resolve. Default: the repo root, else `cwd`. */
  rootDir?: string;
  /** Default `process.cwd()`. */
  cwd?: string;
  /** Read `.env` files (the real environment wins). Default: only when `env` is `process.env`. */
  dotenv?: boolean;
  /** Write a first-run `.env` with generated secrets outside production. Default: same as `dotenv`. */
  generateSecrets?: boolean;
}

const DEFAULTS = {
  DATABASE_URL: 'sqlite:///./connector_framework.db',
  APP_NAME: 'Connector Framework Manager',
  FRONTEND_BASE_URL: 'http://localhost:3000',
  // Generated development secrets on every interface are an invitation: outside production, loopback only.
  HOST: '127.0.0.1',
  PRODUCTION_HOST: '0.0.0.0',
  PORT: '3001',
  TOKEN_REFRESH_INTERVAL_SECONDS: '60',
  TOKEN_REFRESH_CONCURRENCY: '4',
  REQUEST_TIMEOUT_SECONDS: '60',
  HEADERS_TIMEOUT_SECONDS: '15',
  SHUTDOWN_TIMEOUT_SECONDS: '10',
  PROXY_BODY_LIMIT_BYTES: String(10 * 1024 * 1024),
  PROXY_TIMEOUT_MS: '30000',
  PROXY_RETRY_WAIT_CAP_MS: '10000',
  WEB_CONCURRENCY: '1',
} as const;

/** A machine has at most this many workers: a typo (`WEB_CONCURRENCY=400`) must not fork 400 processes. */
export const MAX_WEB_CONCURRENCY = 64;

const CLIENT_VARIABLE = /^([A-Z0-9_]+)_CLIENT_(ID|SECRET)$/;

/**
 * Reads, validates and freezes the configuration. The only place that reads `process.env`; tests pass
 * their own `env` object instead.
 *
 * @example
 * const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: key, DATABASE_URL: 'sqlite::memory:' });
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: LoadConfigOptions = {},
): AppConfig {
  const cwd = options.cwd ?? process.cwd();
  const rootDir = resolve(options.rootDir ?? findRepoRoot(cwd) ?? cwd);
  const useDotenv = options.dotenv ?? env === process.env;
  const envFiles = [...new Set([join(rootDir, '.env'), join(resolve(cwd), '.env')])];
  const fromFiles = useDotenv ? envFiles.map(readEnvFile) : [];
  const values: Record<string, string> = {};
  for (const source of [...fromFiles, env]) {
    for (const [name, value] of Object.entries(source ?? {})) {
      // An empty value (`JWT_ISSUER=` copied from .env.example) means "not set".
      if (value !== undefined && value.trim() !== '') {
        values[name] = value.trim();
      }
    }
  }

  let generatedEnvFile: string | undefined;
  const hasEnvFile = fromFiles.some((file) => file !== undefined);
  const nodeEnv = values['NODE_ENV'] ?? 'development';
  const missingSecrets = secretsToGenerate(values);
  if ((options.generateSecrets ?? useDotenv) && nodeEnv !== 'production' && !hasEnvFile && missingSecrets) {
    generatedEnvFile = join(rootDir, '.env');
    writeGeneratedEnvFile(generatedEnvFile, missingSecrets);
    Object.assign(values, missingSecrets);
  }

  const problem = findEnvProblem(pick(values));
  if (problem !== undefined) {
    throw new ConfigError(problem);
  }
  const valid = pick(values) as Env;
  return deepFreeze(buildConfig(valid, values, rootDir, generatedEnvFile));
}

function secretsToGenerate(values: Record<string, string>): Record<string, string> | undefined {
  const secrets: Record<string, string> = {};
  if (values['JWT_SECRET'] === undefined) {
    secrets['JWT_SECRET'] = generateJwtSecret();
  }
  if (values['ENCRYPTION_KEY'] === undefined && values['ENCRYPTION_KEYS'] === undefined) {
    secrets['ENCRYPTION_KEY'] = generateEncryptionKey();
  }
  return Object.keys(secrets).length === 0 ? undefined : secrets;
}

function pick(values: Record<string, string>): Record<string, string> {
  const known: Record<string, string> = {};
  for (const name of ENV_NAMES) {
    const value = values[name];
    if (value !== undefined) {
      known[name] = value;
    }
  }
  return known;
}

const ENV_NAMES = [
  'NODE_ENV',
  'LOG_LEVEL',
  'DATABASE_URL',
  'DATABASE_NAMED_STATEMENTS',
  'APP_NAME',
  'JWT_SECRET',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWT_MAX_AGE',
  'JWT_CLOCK_SKEW_SECONDS',
  'BACKEND_BASE_URL',
  'FRONTEND_BASE_URL',
  'OAUTH_REDIRECT_URI',
  'ENCRYPTION_KEY',
  'ENCRYPTION_KEYS',
  'HOST',
  'PORT',
  'CONNECTOR_PACKAGES',
  'CONNECTORS_DIR',
  'CONNECTOR_ORIGIN_OVERRIDES',
  'ALLOW_INSECURE_CONNECTOR_URLS',
  'TOKEN_REFRESH_INTERVAL_SECONDS',
  'TOKEN_REFRESH_CONCURRENCY',
  'REQUEST_TIMEOUT_SECONDS',
  'HEADERS_TIMEOUT_SECONDS',
  'SHUTDOWN_TIMEOUT_SECONDS',
  'PROXY_BODY_LIMIT_BYTES',
  'PROXY_TIMEOUT_MS',
  'PROXY_RETRY_WAIT_CAP_MS',
  'WEB_CONCURRENCY',
  'CFM_WORKER_SLOT',
  'METRICS_ENABLED',
  'MCP_TOOLS',
  'MCP_CONNECTORS',
  'TRUST_PROXY',
  'RATE_LIMIT_ENABLED',
  'RATE_LIMIT_WINDOW_SECONDS',
  'RATE_LIMIT_OAUTH_PER_USER',
  'RATE_LIMIT_OAUTH_PER_IP',
  'RATE_LIMIT_WRITES_PER_USER',
  'RATE_LIMIT_WRITES_PER_IP',
  'RATE_LIMIT_AUTH_FAILURES_PER_IP',
  'RATE_LIMIT_REDIS_PREFIX',
  'REDIS_URL',
] as const satisfies readonly (keyof Env)[];

function buildConfig(
  env: Env,
  all: Record<string, string>,
  rootDir: string,
  generatedEnvFile: string | undefined,
): AppConfig {
  const nodeEnv = env.NODE_ENV ?? 'development';
  if (env.JWT_SECRET === undefined) {
    throw new ConfigError(
      'JWT_SECRET is required (at least 32 characters; generate one with: openssl rand -base64 48)',
    );
  }
  const port = Number(env.PORT ?? DEFAULTS.PORT);
  if (port > 65_535) {
    throw new ConfigError('PORT must be a whole number from 0 to 65535');
  }
  const config: AppConfig = {
    nodeEnv,
    isProduction: nodeEnv === 'production',
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'warn' : 'info'),
    appName: env.APP_NAME ?? DEFAULTS.APP_NAME,
    host: env.HOST ?? (nodeEnv === 'production' ? DEFAULTS.PRODUCTION_HOST : DEFAULTS.HOST),
    port,
    databaseUrl: resolveDatabaseUrl(env.DATABASE_URL ?? DEFAULTS.DATABASE_URL, rootDir),
    databaseNamedStatements: !/^(?:false|0|no|off)$/.test(env.DATABASE_NAMED_STATEMENTS ?? 'true'),
    jwt: {
      secret: env.JWT_SECRET,
      maxAgeSeconds:
        env.JWT_MAX_AGE === undefined ? DEFAULT_MAX_AGE_SECONDS : durationSeconds(env.JWT_MAX_AGE),
      clockSkewSeconds: Number(env.JWT_CLOCK_SKEW_SECONDS ?? DEFAULT_CLOCK_SKEW_SECONDS),
    },
    // Unset, it follows PORT, so moving the port keeps CORS and the API's redirect URI right.
    backendBaseUrl: baseUrl('BACKEND_BASE_URL', env.BACKEND_BASE_URL ?? `http://localhost:${port}`),
    frontendBaseUrl: baseUrl('FRONTEND_BASE_URL', env.FRONTEND_BASE_URL ?? DEFAULTS.FRONTEND_BASE_URL),
    oauthClients: collectOAuthClients(all),
    encryptionKeys: parseEncryptionKeys(env),
    connectorPackages: (env.CONNECTOR_PACKAGES ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
    allowInsecureConnectorUrls: /^(?:true|1|yes|on)$/.test(env.ALLOW_INSECURE_CONNECTOR_URLS ?? 'false'),
    tokenRefreshIntervalSeconds: Number(
      env.TOKEN_REFRESH_INTERVAL_SECONDS ?? DEFAULTS.TOKEN_REFRESH_INTERVAL_SECONDS,
    ),
    tokenRefreshConcurrency: Number(env.TOKEN_REFRESH_CONCURRENCY ?? DEFAULTS.TOKEN_REFRESH_CONCURRENCY),
    timeouts: timeouts(env),
    proxy: {
      bodyLimitBytes: Number(env.PROXY_BODY_LIMIT_BYTES ?? DEFAULTS.PROXY_BODY_LIMIT_BYTES),
      timeoutMs: Number(env.PROXY_TIMEOUT_MS ?? DEFAULTS.PROXY_TIMEOUT_MS),
      retryWaitCapMs: Number(env.PROXY_RETRY_WAIT_CAP_MS ?? DEFAULTS.PROXY_RETRY_WAIT_CAP_MS),
    },
    webConcurrency: webConcurrency(env.WEB_CONCURRENCY ?? DEFAULTS.WEB_CONCURRENCY),
    metricsEnabled: /^(?:true|1|yes|on)$/.test(env.METRICS_ENABLED ?? 'false'),
    mcp: {
      tools: env.MCP_TOOLS ?? 'all',
      connectors:
        env.MCP_CONNECTORS === undefined
          ? null
          : [...new Set(env.MCP_CONNECTORS.split(',').map((key) => key.trim()))],
    },
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    rateLimit: rateLimitConfig(env),
    rootDir,
  };
  if (env.JWT_ISSUER !== undefined) config.jwt.issuer = env.JWT_ISSUER;
  if (env.JWT_AUDIENCE !== undefined) config.jwt.audience = env.JWT_AUDIENCE;
  if (env.OAUTH_REDIRECT_URI !== undefined) {
    config.oauthRedirectUri = absoluteUrl('OAUTH_REDIRECT_URI', env.OAUTH_REDIRECT_URI).href;
  }
  if (env.CONNECTORS_DIR !== undefined) {
    config.connectorsDir = isAbsolute(env.CONNECTORS_DIR)
      ? env.CONNECTORS_DIR
      : resolve(rootDir, env.CONNECTORS_DIR);
  }
  if (env.CONNECTOR_ORIGIN_OVERRIDES !== undefined) {
    config.connectorOriginOverrides = checkOriginOverrides(env.CONNECTOR_ORIGIN_OVERRIDES);
  }
  if (env.CFM_WORKER_SLOT !== undefined) config.workerSlot = Number(env.CFM_WORKER_SLOT);
  if (generatedEnvFile !== undefined) config.generatedEnvFile = generatedEnvFile;
  return config;
}

function webConcurrency(value: string): number {
  const workers = Number(value);
  if (workers > MAX_WEB_CONCURRENCY) {
    throw new ConfigError(`WEB_CONCURRENCY must be a whole number from 1 to ${MAX_WEB_CONCURRENCY}`);
  }
  return workers;
}

/** `true`/`false`, a hop count (`1`: the nearest proxy), or a comma-separated list of addresses and CIDRs. */
function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  if (value === undefined || /^(?:false|0|no|off)$/.test(value)) return false;
  if (/^(?:true|yes|on)$/.test(value)) return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function timeouts(env: Env): AppConfig['timeouts'] {
  const seconds = (value: string | undefined, fallback: string) => Number(value ?? fallback) * 1000;
  const requestMs = seconds(env.REQUEST_TIMEOUT_SECONDS, DEFAULTS.REQUEST_TIMEOUT_SECONDS);
  const headersMs = seconds(env.HEADERS_TIMEOUT_SECONDS, DEFAULTS.HEADERS_TIMEOUT_SECONDS);
  if (headersMs > requestMs) {
    // Node refuses a headers timeout longer than the request timeout (the headers are part of the request).
    throw new ConfigError('HEADERS_TIMEOUT_SECONDS must not be longer than REQUEST_TIMEOUT_SECONDS');
  }
  return {
    requestMs,
    headersMs,
    shutdownMs: seconds(env.SHUTDOWN_TIMEOUT_SECONDS, DEFAULTS.SHUTDOWN_TIMEOUT_SECONDS),
  };
}

function resolveDatabaseUrl(url: string, rootDir: string): string {
  try {
    parseDatabaseUrl(url);
  } catch (error) {
    if (error instanceof DatabaseUrlError) {
      // DatabaseUrlError messages never repeat the URL, so they are safe to print.
      throw new ConfigError(`DATABASE_URL is not valid: ${error.message}`);
    }
    throw error;
  }
  const match = /^sqlite:\/\/\/(?!\/)(.+)$/i.exec(url);
  if (match === null) {
    return url;
  }
  // `sqlite:///./x.db` is relative: anchor it at the repo root so `pnpm start` and `pnpm dev-token` (run from
  // different folders) open the same file. Re-encode so `%`, `?` or `#` in the path survive the URL form.
  const absolute = resolve(rootDir, decodeURIComponent(match[1]!));
  return `sqlite:///${absolute.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Refuses a malformed `CONNECTOR_ORIGIN_OVERRIDES` at start (the SDK parser's message names the bad
 * entry, which holds origins only), instead of failing on the first provider call.
 */
function checkOriginOverrides(text: string): string {
  try {
    parseOriginOverrides(text);
  } catch (error) {
    // An entry with `user:password@` would repeat a credential: keep the host, drop the user info.
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\/\/[^/@\s"]*@/g, '//');
    throw new ConfigError(`CONNECTOR_ORIGIN_OVERRIDES is not valid: ${reason}`);
  }
  return text;
}

function absoluteUrl(variable: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${variable} must be an absolute http:// or https:// URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${variable} must be an absolute http:// or https:// URL`);
  }
  return url;
}

function baseUrl(variable: string, value: string): string {
  const url = absoluteUrl(variable, value);
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigError(`${variable} must not have a query string or fragment`);
  }
  return url.href.replace(/\/+$/, '');
}

function collectOAuthClients(all: Record<string, string>): Record<string, OAuthClientCredentials> {
  const prefixes = new Set<string>();
  for (const name of Object.keys(all)) {
    const match = CLIENT_VARIABLE.exec(name);
    if (match !== null) prefixes.add(match[1]!);
  }
  const clients: Record<string, OAuthClientCredentials> = {};
  for (const prefix of [...prefixes].sort()) {
    const clientId = all[`${prefix}_CLIENT_ID`];
    const clientSecret = all[`${prefix}_CLIENT_SECRET`];
    if (clientId === undefined) {
      throw new ConfigError(`${prefix}_CLIENT_ID is missing (${prefix}_CLIENT_SECRET is set)`);
    }
    const key = prefix.toLowerCase().replaceAll('_', '-');
    clients[key] = clientSecret === undefined ? { clientId } : { clientId, clientSecret };
  }
  return clients;
}

function parseEncryptionKeys(env: Env): EncryptionKey[] {
  if (env.ENCRYPTION_KEY !== undefined && env.ENCRYPTION_KEYS !== undefined) {
    throw new ConfigError('ENCRYPTION_KEY and ENCRYPTION_KEYS are both set: keep only one');
  }
  if (env.ENCRYPTION_KEYS !== undefined) {
    const keys = env.ENCRYPTION_KEYS.split(',').map((entry) => {
      const [id = '', encoded = ''] = entry.split(':');
      return { id, key: decodeKey(`ENCRYPTION_KEYS (key "${id}")`, encoded) };
    });
    const ids = keys.map((entry) => entry.id);
    if (new Set(ids).size !== ids.length) {
      throw new ConfigError('ENCRYPTION_KEYS must not repeat a key id');
    }
    return keys;
  }
  if (env.ENCRYPTION_KEY !== undefined) {
    return [{ id: 'default', key: decodeKey('ENCRYPTION_KEY', env.ENCRYPTION_KEY) }];
  }
  throw new ConfigError(
    'ENCRYPTION_KEY is required (32 random bytes in base64; generate one with: openssl rand -base64 32)',
  );
}

function decodeKey(variable: string, encoded: string): Buffer {
  const key = Buffer.from(encoded, encoded.includes('-') || encoded.includes('_') ? 'base64url' : 'base64');
  if (key.length !== 32) {
    throw new ConfigError(`${variable} must be 32 bytes encoded in base64, got ${key.length} bytes`);
  }
  return key;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
