import { randomUUID } from 'node:crypto';
import type { ConnectorDefinition } from '@cfm/connector-sdk';
import type { Database } from '@cfm/db';
import type { Kysely } from 'kysely';
import type { DiscoveredConnector } from './connector-discovery.js';

/** A value as plain JSON data: functions and TypeBox internals dropped, exactly what the column stores. */
export function asJsonData<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export const MISSING_REASON = 'No installed package provides this connector any more';

function loadedValues(definition: ConnectorDefinition) {
  return {
    auth_type: definition.auth[0].type,
    auth: asJsonData([...definition.auth]) as unknown as Record<string, unknown>[],
    config_schema: asJsonData(definition.configSchema) as unknown as Record<string, unknown>,
  };
}

/**
 * Writes what discovery found into `connectors`, race-safe when several processes start together
 * (`INSERT … ON CONFLICT (key) DO UPDATE`, one statement per connector). Display fields (name,
 * description, icon, docs, categories) and `enabled` are written only when the row is new, so an admin's
 * edits survive restarts; version, auth, config schema and load status always follow the package.
 * A custom connector's row is never touched (the `WHERE source = 'package'` on the update). Packaged rows
 * no package provides any more become `missing`. Returns the keys a custom connector already holds.
 */
export async function syncPackagedConnectors(
  db: Kysely<Database>,
  discovered: readonly DiscoveredConnector[],
  now: Date = new Date(),
): Promise<{ heldByCustom: string[] }> {
  for (const item of discovered) {
    const always =
      item.status === 'loaded'
        ? {
            version: item.version,
            ...loadedValues(item.definition),
            load_status: item.status,
            load_error: null,
          }
        : { version: item.version, load_status: item.status, load_error: item.reason };
    const display =
      item.status === 'loaded'
        ? {
            name: item.definition.name,
            description: item.definition.description,
            icon_url: item.definition.iconUrl ?? null,
            docs_url: item.definition.docsUrl ?? null,
            categories: [...(item.definition.categories ?? [])],
          }
        : { name: item.packageName, description: '', icon_url: null, docs_url: null, categories: [] };
    await db
      .insertInto('connectors')
      .values({
        id: randomUUID(),
        key: item.key,
        source: 'package',
        auth_type: 'none',
        config_schema: {},
        ...display,
        ...always,
        created_at: now,
        updated_at: now,
      })
      .onConflict((conflict) =>
        conflict
          .column('key')
          .doUpdateSet({ ...always, updated_at: now })
          .where('connectors.source', '=', 'package'),
      )
      .execute();
  }
  const keys = discovered.map((item) => item.key);
  let missing = db
    .updateTable('connectors')
    .set({ load_status: 'missing', load_error: MISSING_REASON, updated_at: now })
    .where('source', '=', 'package')
    .where('load_status', '!=', 'missing');
  if (keys.length > 0) missing = missing.where('key', 'not in', keys);
  await missing.execute();

  const loadedKeys = discovered.filter((item) => item.status === 'loaded').map((item) => item.key);
  if (loadedKeys.length === 0) return { heldByCustom: [] };
  const held = await db
    .selectFrom('connectors')
    .select('key')
    .where('source', '=', 'custom')
    .where('key', 'in', loadedKeys)
    .execute();
  return { heldByCustom: held.map((row) => row.key) };
}
