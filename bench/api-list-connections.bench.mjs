import { randomBytes, randomUUID } from 'node:crypto';
import { benchDialects, freshDatabase, insertInChunks } from './lib/databases.mjs';
import { compareThroughput } from './lib/measure.mjs';
import { importBuilt } from './lib/paths.mjs';
import { formatRatio, formatValue } from './lib/report.mjs';
import { realisticCredentials } from './vault.bench.mjs';

const USERS = 100;
const CONNECTIONS_PER_USER = 25;
const PAGE = 20;
const JWT_SECRET = 'bench-jwt-secret-that-is-long-enough-0123456789';

/** 100 users, 25 connectors, one connection per user and connector with sealed credentials. */
async function seed(handle, vault, associatedData) {
  const now = Date.now();
  const users = Array.from({ length: USERS }, (_, index) => ({
    id: randomUUID(),
    subject: `bench|user-${index}`,
    email: `user-${index}@bench.example`,
    role: 'user',
  }));
  const connectors = Array.from({ length: CONNECTIONS_PER_USER }, (_, index) => ({
    id: randomUUID(),
    key: `bench-${index}`,
    name: `Bench ${index}`,
    description: 'A connector row for the benchmark.',
    source: 'package',
    auth_type: 'oauth2',
    config_schema: { type: 'object', properties: {} },
  }));
  const connections = [];
  const credentials = [];
  for (const user of users) {
    for (const [index, connector] of connectors.entries()) {
      const id = randomUUID();
      // Distinct creation times so the newest-first page is deterministic.
      const createdAt = new Date(now - index * 60_000);
      connections.push({
        id,
        user_id: user.id,
        connector_id: connector.id,
        config: { site: `team-${index}` },
        status: 'active',
        identity: { accountId: `acct-${index}`, displayName: 'Bench User', email: user.email },
        scopes: ['read'],
        created_at: createdAt,
        updated_at: createdAt,
      });
      const sealed = vault.sealJson(realisticCredentials(), associatedData.credentials(id));
      credentials.push({
        id: randomUUID(),
        connection_id: id,
        ciphertext: sealed.ciphertext,
        key_id: sealed.keyId,
        auth_type: 'oauth2',
        expires_at: new Date(now + 3_600_000),
        has_refresh_token: true,
        scopes: ['read'],
        last_refreshed_at: createdAt,
      });
    }
  }
  await insertInChunks(handle.db, 'users', users);
  await insertInChunks(handle.db, 'connectors', connectors);
  await insertInChunks(handle.db, 'connections', connections);
  await insertInChunks(handle.db, 'credentials', credentials);
  return users[0];
}

/** The connections route when it is registered; `GET /api/me` (auth + user upsert) until it is. */
function pickRoute(app) {
  const listed = ['/api/connections', '/api/connections/'].some((url) =>
    app.hasRoute({ method: 'GET', url }),
  );
  return listed
    ? {
        url: `/api/connections/?limit=${PAGE}`,
        label: `GET /api/connections/?limit=${PAGE}`,
        fallback: false,
      }
    : { url: '/api/me', label: 'GET /api/me (connections route not built yet)', fallback: true };
}

async function benchDialect(dialect, settings) {
  const { buildApp } = await importBuilt('apps/server/dist/app.js');
  const { loadConfig } = await importBuilt('apps/server/dist/config.js');
  const { signAccessToken } = await importBuilt('apps/server/dist/services/access-tokens.js');
  const { CredentialsVault, associatedData } = await importBuilt(
    'apps/server/dist/services/credentials-vault.js',
  );

  const database = await freshDatabase(dialect);
  let app;
  try {
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: database.url,
        JWT_SECRET,
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
      { dotenv: false },
    );
    const vault = new CredentialsVault(config.encryptionKeys);
    const user = await seed(database.handle, vault, associatedData);
    app = await buildApp(config, { logStream: false, database: database.handle });
    await app.ready();
    const token = await signAccessToken(
      config.jwt,
      { subject: user.subject, email: user.email, role: 'user' },
      3600,
    );
    const route = pickRoute(app);
    const headers = { authorization: `Bearer ${token}` };

    const first = await app.inject({ method: 'GET', url: route.url, headers });
    if (first.statusCode !== 200) {
      throw new Error(`${route.label} answered ${first.statusCode}: ${first.body.slice(0, 200)}`);
    }
    const body = first.json();
    if (!route.fallback && (body.items?.length !== PAGE || body.total !== CONNECTIONS_PER_USER)) {
      throw new Error(
        `${route.label} answered ${body.items?.length} items of ${body.total}, expected ${PAGE} of 25`,
      );
    }

    const ours = async () => {
      const response = await app.inject({ method: 'GET', url: route.url, headers });
      if (response.statusCode !== 200) throw new Error(`${route.label} answered ${response.statusCode}`);
    };
    const baseline = async () => {
      const response = await app.inject({ method: 'GET', url: '/healthz' });
      if (response.statusCode !== 200) throw new Error(`/healthz answered ${response.statusCode}`);
    };
    // Authentication alone (JWT verify + user lookup): splits the ratio into auth and list costs.
    const authOnly = async () => {
      const response = await app.inject({ method: 'GET', url: '/api/me', headers });
      if (response.statusCode !== 200) throw new Error(`/api/me answered ${response.statusCode}`);
    };
    const result = await compareThroughput({
      ours,
      baseline,
      settings,
      extras: route.fallback ? {} : { 'GET /api/me': authOnly },
    });
    const me = result.extras?.['GET /api/me'];
    return {
      benchmark: 'api-list-connections',
      variant: dialect,
      labels: { ours: `inject ${route.label}`, baseline: 'inject GET /healthz' },
      ...result,
      notes: route.fallback
        ? ['connections routes are not registered in apps/server/dist yet: measured GET /api/me instead']
        : [
            `${USERS} users x ${CONNECTIONS_PER_USER} connections; a page of ${PAGE} of ${CONNECTIONS_PER_USER}`,
            `auth alone (inject GET /api/me): ${formatValue(me, 'ops/s')}, ${formatRatio(me.ratio)} of /healthz`,
          ],
    };
  } finally {
    await app?.close();
    await database.close();
  }
}

/**
 * What authentication (JWT verify + user lookup), the database query and response serialisation cost on
 * top of Fastify's own floor: `app.inject` of the list route against `app.inject` of `/healthz`.
 */
export async function run(settings) {
  const results = [];
  for (const dialect of await benchDialects()) {
    results.push(await benchDialect(dialect, settings));
  }
  return results;
}
