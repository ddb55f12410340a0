import { type Static, Type } from 'typebox';

/**
 * The environment variables the server reads, as one schema validated once at startup. Each property
 * carries `x-message`: the end of the one-line refusal (`PORT must be a whole number from 0 to 65535`).
 * Values are strings (that is what an environment holds); `config.ts` converts them after validation.
 */
const text = (message: string, options: { minLength?: number; maxLength?: number; pattern?: string } = {}) =>
  Type.Optional(Type.String({ minLength: 1, ...options, 'x-message': message }));

const URL_PATTERN = '^https?://[^\\s]+$';
const BASE64_PATTERN = '^[A-Za-z0-9+/_-]+={0,2}$';
const KEY_ID = '[A-Za-z0-9_.-]{1,32}';
const KEY_LIST_PATTERN = `^${KEY_ID}:[A-Za-z0-9+/_-]+={0,2}(,${KEY_ID}:[A-Za-z0-9+/_-]+={0,2})*$`;
const BOOLEAN_PATTERN = '^(?:true|false|1|0|yes|no|on|off)$';
const COUNT_PATTERN = '^\\d{1,7}$';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const NODE_ENVS = ['development', 'production', 'test'] as const;

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(
    Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
      'x-message': 'must be development, production or test',
    }),
  ),
  LOG_LEVEL: Type.Optional(
    Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { 'x-message': `must be one of ${LOG_LEVELS.join(', ')}` },
    ),
  ),
  DATABASE_URL: text('must not be empty'),
  DATABASE_NAMED_STATEMENTS: text('must be true or false', { pattern: BOOLEAN_PATTERN }),
  APP_NAME: text('must be 1 to 100 characters', { maxLength: 100 }),
  JWT_SECRET: text('must be at least 32 characters', { minLength: 32 }),
  JWT_ISSUER: text('must not be empty'),
  JWT_AUDIENCE: text('must not be empty'),
  // The longest token lifetime accepted (`exp - iat`), and how far an issuer's clock may run ahead.
  JWT_MAX_AGE: text('must be a positive duration: seconds, or 90s, 15m, 24h, 7d', {
    pattern: '^[1-9]\\d{0,7}[smhd]?$',
  }),
  JWT_CLOCK_SKEW_SECONDS: text('must be a whole number of seconds from 0 to 3600', {
    pattern: '^(?:\\d{1,3}|[1-2]\\d{3}|3[0-5]\\d{2}|3600)$',
  }),
  BACKEND_BASE_URL: text('must be an absolute http:// or https:// URL', { pattern: URL_PATTERN }),
  FRONTEND_BASE_URL: text('must be an absolute http:// or https:// URL', { pattern: URL_PATTERN }),
  OAUTH_REDIRECT_URI: text('must be an absolute http:// or https:// URL', { pattern: URL_PATTERN }),
  ENCRYPTION_KEY: text('must be 32 random bytes in base64 (generate one with: openssl rand -base64 32)', {
    pattern: BASE64_PATTERN,
  }),
  ENCRYPTION_KEYS: text('must look like id1:base64key,id2:base64key (the first one encrypts)', {
    pattern: KEY_LIST_PATTERN,
  }),
  HOST: text('must not be empty'),
  PORT: text('must be a whole number from 0 to 65535', { pattern: '^\\d{1,5}$' }),
  CONNECTOR_PACKAGES: text('must be a comma-separated list of package names', {
    pattern: '^[@A-Za-z0-9._/\\s,-]+$',
  }),
  CONNECTORS_DIR: text('must not be empty'),
  CONNECTOR_ORIGIN_OVERRIDES: text('must not be empty'),
  ALLOW_INSECURE_CONNECTOR_URLS: text('must be true or false', { pattern: BOOLEAN_PATTERN }),
  TOKEN_REFRESH_INTERVAL_SECONDS: text('must be a positive whole number of seconds', {
    pattern: '^[1-9]\\d{0,6}$',
  }),
  TOKEN_REFRESH_CONCURRENCY: text('must be a whole number from 1 to 64', {
    pattern: '^(?:[1-9]|[1-5]\\d|6[0-4])$',
  }),
  REQUEST_TIMEOUT_SECONDS: text('must be a positive whole number of seconds', { pattern: '^[1-9]\\d{0,5}$' }),
  HEADERS_TIMEOUT_SECONDS: text('must be a positive whole number of seconds', { pattern: '^[1-9]\\d{0,5}$' }),
  SHUTDOWN_TIMEOUT_SECONDS: text('must be a positive whole number of seconds', {
    pattern: '^[1-9]\\d{0,5}$',
  }),
  PROXY_BODY_LIMIT_BYTES: text('must be a positive whole number of bytes (at most 1 GiB)', {
    pattern: '^[1-9]\\d{0,9}$',
  }),
  PROXY_TIMEOUT_MS: text('must be a positive whole number of milliseconds', { pattern: '^[1-9]\\d{0,6}$' }),
  PROXY_RETRY_WAIT_CAP_MS: text('must be a whole number of milliseconds', { pattern: '^\\d{1,6}$' }),
  WEB_CONCURRENCY: text('must be a whole number from 1 to 64', { pattern: '^[1-9]\\d?$' }),
  CFM_WORKER_SLOT: text('must be a whole number from 1 to 64 (set by the cluster primary)', {
    pattern: '^[1-9]\\d?$',
  }),
  METRICS_ENABLED: text('must be true or false', { pattern: BOOLEAN_PATTERN }),
  // Agents (`/mcp`): every tool, or only the actions connectors declare read-only; and which connectors' tools.
  MCP_TOOLS: Type.Optional(
    Type.Union([Type.Literal('all'), Type.Literal('read-only')], { 'x-message': 'must be all or read-only' }),
  ),
  MCP_CONNECTORS: text('must be a comma-separated list of connector keys (slack,jira)', {
    pattern: '^\\s*[a-z][a-z0-9-]{1,63}\\s*(?:,\\s*[a-z][a-z0-9-]{1,63}\\s*)*$',
  }),
  // proxy-addr also takes the names loopback, linklocal and uniquelocal.
  TRUST_PROXY: text('must be true, false, a hop count, or comma-separated addresses/CIDRs', {
    pattern: '^[0-9A-Za-z.:/]+(?:\\s*,\\s*[0-9A-Za-z.:/]+)*$',
  }),
  // Abuse limits (`plugins/rate-limit.ts`): requests per window and key, 0 turning one off; Redis shares them.
  RATE_LIMIT_ENABLED: text('must be true or false', { pattern: BOOLEAN_PATTERN }),
  RATE_LIMIT_WINDOW_SECONDS: text('must be a positive whole number of seconds', {
    pattern: '^[1-9]\\d{0,5}$',
  }),
  RATE_LIMIT_OAUTH_PER_USER: text('must be a whole number of requests (0 turns the limit off)', {
    pattern: COUNT_PATTERN,
  }),
  RATE_LIMIT_OAUTH_PER_IP: text('must be a whole number of requests (0 turns the limit off)', {
    pattern: COUNT_PATTERN,
  }),
  RATE_LIMIT_WRITES_PER_USER: text('must be a whole number of requests (0 turns the limit off)', {
    pattern: COUNT_PATTERN,
  }),
  RATE_LIMIT_WRITES_PER_IP: text('must be a whole number of requests (0 turns the limit off)', {
    pattern: COUNT_PATTERN,
  }),
  RATE_LIMIT_AUTH_FAILURES_PER_IP: text('must be a whole number of requests (0 turns the limit off)', {
    pattern: COUNT_PATTERN,
  }),
  RATE_LIMIT_REDIS_PREFIX: text('must be 1 to 64 characters without spaces', { pattern: '^\\S{1,64}$' }),
  REDIS_URL: text('must be a redis:// or rediss:// URL', { pattern: '^rediss?://[^\\s]+$' }),
});

export type Env = Static<typeof EnvSchema>;

/** One property of {@link EnvSchema} as JSON Schema: a string with bounds, or a choice of string constants. */
interface ValueSchema {
  type?: string;
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  anyOf?: ValueSchema[];
}

// The keywords `accepts` knows. Another one in EnvSchema is a programming error, not a rule to skip
// silently: checking a variable whose schema uses it throws (as Ajv's strict mode did when compiling), and
// `env-schema.test.ts`, which sets every variable, fails.
const KNOWN_KEYWORDS = new Set(['type', 'const', 'minLength', 'maxLength', 'pattern', 'anyOf', 'x-message']);
const patterns = new Map<string, RegExp>();

/**
 * Whether `value` satisfies `schema`, with Ajv's semantics: lengths in code points, patterns as `u`
 * regular expressions. Interpreted rather than compiled: compiling the schema with Ajv cost 50-100 ms of
 * every start, and TypeBox's `Value` module loads about 300 modules more (`env-schema.test.ts` checks the
 * two agree with Ajv).
 */
function accepts(schema: ValueSchema, value: unknown): boolean {
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN_KEYWORDS.has(keyword)) throw new Error(`EnvSchema: unsupported keyword "${keyword}"`);
  }
  if (schema.anyOf !== undefined) return schema.anyOf.some((choice) => accepts(choice, value));
  if (schema.type !== 'string' || typeof value !== 'string') return false;
  if (schema.const !== undefined && value !== schema.const) return false;
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    const length = [...value].length; // code points, as Ajv counts (a surrogate pair is one character)
    if (length < (schema.minLength ?? 0) || length > (schema.maxLength ?? Number.POSITIVE_INFINITY))
      return false;
  }
  if (schema.pattern !== undefined) {
    let pattern = patterns.get(schema.pattern);
    if (pattern === undefined) {
      pattern = new RegExp(schema.pattern, 'u');
      patterns.set(schema.pattern, pattern);
    }
    if (!pattern.test(value)) return false;
  }
  return true;
}

/**
 * Checks the variables against {@link EnvSchema}, in the schema's order. Returns the first problem as
 * `VARIABLE message`, or undefined when every variable is acceptable. Variables the schema does not name
 * are ignored.
 */
export function findEnvProblem(env: Record<string, string>): string | undefined {
  const properties = EnvSchema.properties as Record<string, ValueSchema & { 'x-message'?: string }>;
  for (const [variable, schema] of Object.entries(properties)) {
    const value = env[variable];
    if (value !== undefined && !accepts(schema, value)) {
      return `${variable} ${schema['x-message'] ?? 'is not valid'}`;
    }
  }
  return undefined;
}
