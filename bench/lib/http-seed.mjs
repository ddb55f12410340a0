import { createHmac, randomBytes } from 'node:crypto';

export const CUSTOM_CONNECTORS = 10;
/** The six bundled connectors plus {@link CUSTOM_CONNECTORS} declared by an admin. */
export const EXPECTED_CONNECTORS = 6 + CUSTOM_CONNECTORS;
export const CONNECTIONS = 10;

/** Secrets for one server under test (shared by every process of a cluster, like a real deployment). */
export function serverSecrets() {
  return {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
}

/**
 * The environment of a server under test: production mode, warnings only in the log, the refresher all but
 * idle (it would compete with the load), plus `extra` (`WEB_CONCURRENCY`, `CONNECTORS_DIR`…).
 */
export function serverEnv(databaseUrl, secrets, extra = {}) {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    ...secrets,
    TOKEN_REFRESH_INTERVAL_SECONDS: '3600',
    ...extra,
  };
}

/** An HS256 JWT with the claims the server requires (`sub`, `email`, `exp`; `role` for admins). */
export function signJwt(secret, { subject, email, role = 'user', ttlSeconds = 3600 }) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: subject, email, role, iat: now, exp: now + ttlSeconds })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

async function call(url, token, method, body) {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body && { 'content-type': 'application/json' }) },
    ...(body && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * Seeds a running server through its API, as a deployment would fill up: an admin declares
 * {@link CUSTOM_CONNECTORS} API-key connectors, then one user connects to each with a key (sealed by the
 * server). Returns the user's bearer header and checks the two lists answer what was seeded.
 */
export async function seedOverHttp(url, jwtSecret) {
  const admin = signJwt(jwtSecret, { subject: 'bench|admin', email: 'admin@bench.example', role: 'admin' });
  const user = signJwt(jwtSecret, { subject: 'bench|user', email: 'user@bench.example' });
  for (let index = 0; index < CUSTOM_CONNECTORS; index++) {
    await call(`${url}/api/connectors/`, admin, 'POST', {
      key: `bench-custom-${index}`,
      name: `Bench custom ${index}`,
      description: 'An API-key connector declared by an admin (benchmark).',
      auth: {
        type: 'api_key',
        fields: [{ name: 'apiKey', label: 'API key', in: 'header', param: 'x-api-key' }],
      },
      check: { url: `https://bench-${index}.example/api/me`, identity: { account_id: 'id' } },
    });
  }
  for (let index = 0; index < CONNECTIONS; index++) {
    await call(`${url}/api/connections/`, user, 'POST', {
      connector_key: `bench-custom-${index}`,
      credentials: {
        type: 'api_key',
        values: { apiKey: `bench-key-${index}-${randomBytes(12).toString('hex')}` },
      },
    });
  }
  const connectors = await call(`${url}/api/connectors/`, user, 'GET');
  const connections = await call(`${url}/api/connections/`, user, 'GET');
  if (connectors.length !== EXPECTED_CONNECTORS || connections.items?.length !== CONNECTIONS) {
    throw new Error(
      `seeded ${connectors.length} connectors and ${connections.items?.length} connections, expected ${EXPECTED_CONNECTORS} and ${CONNECTIONS}`,
    );
  }
  return { authorization: `Bearer ${user}` };
}
