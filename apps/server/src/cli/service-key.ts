import { parseArgs } from 'node:util';
import { createDatabase, type DatabaseHandle } from '@cfm/db';
import { loadConfig } from '../config.js';
import { recordAuditEvent } from '../services/audit/audit-log.js';
import {
  createServiceKey,
  listServiceKeys,
  revokeServiceKey,
  serviceKeyStatus,
} from '../services/service-keys/service-key-store.js';
import {
  isServiceScope,
  SERVICE_SCOPES,
  type ServiceScope,
} from '../services/service-keys/service-scopes.js';
import { fail, failOn } from './exit-with.js';

const USAGE = [
  'Usage:',
  '  pnpm run service-key create --name <name> --scope <scope> [--scope <scope> …] [--expires-in-days <days>]',
  '  pnpm run service-key list',
  '  pnpm run service-key revoke <id>',
  `Scopes: ${SERVICE_SCOPES.join(', ')}`,
].join('\n');

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._:@/+-]{0,99}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What the command line appears as in the audit trail. */
const CLI_ACTOR = { type: 'system', id: null, label: 'cli' } as const;

interface Options {
  name?: string;
  scope?: string[];
  'expires-in-days'?: string;
  help?: boolean;
}

function parse(): { command: string | undefined; rest: string[]; values: Options } {
  try {
    const { values, positionals } = parseArgs({
      options: {
        name: { type: 'string' },
        scope: { type: 'string', multiple: true },
        'expires-in-days': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    return { command: positionals[0], rest: positionals.slice(1), values };
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
}

/** A missing table means the database was never migrated: say what to run instead of a driver error. */
function explainMissingTable(error: unknown): never {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : '';
  if (code === '42P01' || /no such table/i.test(message)) {
    fail('The database has no service_keys table yet: run `pnpm db:migrate` (or start the server) first.');
  }
  throw error;
}

async function create(handle: DatabaseHandle, values: Options): Promise<void> {
  const name = values.name?.trim();
  if (name === undefined || !NAME.test(name)) {
    fail(`--name is required (letters, digits, space and ._:@/+-; at most 100 characters)\n${USAGE}`);
  }
  const scopes = values.scope ?? [];
  const unknown = scopes.filter((scope) => !isServiceScope(scope));
  if (scopes.length === 0 || unknown.length > 0) {
    fail(
      `${scopes.length === 0 ? 'At least one --scope is required' : `Unknown scope: ${unknown.join(', ')}`}\n${USAGE}`,
    );
  }
  let expiresInDays: number | undefined;
  if (values['expires-in-days'] !== undefined) {
    expiresInDays = Number(values['expires-in-days']);
    if (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > 3650) {
      fail(`--expires-in-days must be a whole number from 1 to 3650\n${USAGE}`);
    }
  }
  const { key, record } = await createServiceKey(handle.db, {
    name,
    scopes: scopes as ServiceScope[],
    createdBy: null,
    ...(expiresInDays !== undefined && { expiresInDays }),
  });
  await recordAuditEvent(handle.db, {
    action: 'service_key.create',
    outcome: 'success',
    actor: CLI_ACTOR,
    detail: { service_key_id: record.id, name: record.name, scopes: record.scopes },
  });
  process.stderr.write(
    `Created service key ${record.id} "${record.name}" (${record.scopes.join(', ')})` +
      `${record.expiresAt === null ? '' : `, expires ${record.expiresAt.toISOString()}`}.\n` +
      'The key is shown this once; store it now:\n',
  );
  // Only the key on stdout, so `KEY=$(pnpm -s run service-key create …)` captures exactly it.
  process.stdout.write(`${key}\n`);
}

async function list(handle: DatabaseHandle): Promise<void> {
  const now = new Date();
  const { records, total } = await listServiceKeys(handle.db, { limit: 1000, offset: 0 });
  if (total === 0) {
    process.stdout.write('No service keys.\n');
    return;
  }
  for (const record of records) {
    const facts = [
      record.id,
      record.keyPrefix,
      serviceKeyStatus(record, now),
      JSON.stringify(record.name),
      record.scopes.join(','),
      `created ${record.createdAt.toISOString()}`,
      record.expiresAt === null ? 'never expires' : `expires ${record.expiresAt.toISOString()}`,
      record.lastUsedAt === null ? 'never used' : `last used ${record.lastUsedAt.toISOString()}`,
    ];
    process.stdout.write(`${facts.join('  ')}\n`);
  }
  if (total > records.length) process.stdout.write(`(${total - records.length} older keys not shown)\n`);
}

async function revoke(handle: DatabaseHandle, id: string | undefined): Promise<void> {
  if (id === undefined || !UUID.test(id)) fail(`revoke needs the key's id (see \`list\`)\n${USAGE}`);
  const revoked = await revokeServiceKey(handle.db, id);
  if (revoked === undefined) fail(`No service key ${id}`);
  if (revoked.revokedNow) {
    await recordAuditEvent(handle.db, {
      action: 'service_key.revoke',
      outcome: 'success',
      actor: CLI_ACTOR,
      detail: { service_key_id: id, name: revoked.record.name },
    });
  }
  process.stdout.write(
    revoked.revokedNow ? `Revoked ${id} "${revoked.record.name}".\n` : `${id} was already revoked.\n`,
  );
}

/** `pnpm run service-key create|list|revoke`: manage back-end services' keys without an admin token. */
async function main(): Promise<void> {
  const { command, rest, values } = parse();
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    if (command === undefined && !values.help) process.exitCode = 1;
    return;
  }
  if (!['create', 'list', 'revoke'].includes(command)) fail(`Unknown command "${command}"\n${USAGE}`);
  const config = loadConfig();
  const handle = createDatabase(config.databaseUrl, { namedStatements: config.databaseNamedStatements });
  try {
    if (command === 'create') await create(handle, values).catch(explainMissingTable);
    else if (command === 'list') await list(handle).catch(explainMissingTable);
    else await revoke(handle, rest[0]).catch(explainMissingTable);
  } finally {
    await handle.close();
  }
}

main().catch(failOn);
