import type { Kysely } from 'kysely';

// Kysely's migration API is typed `Kysely<any>` so migrations never depend on the current table types.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyKysely = Kysely<any>;

/**
 * `oauth_states.requested_scopes`: the scopes the authorization URL asked for (space separated, as
 * RFC 6749 writes them; null when the URL carried no `scope`), so the callback can compare what the
 * provider granted with what was asked, after connector hooks added or removed scopes.
 */
export async function up(db: AnyKysely): Promise<void> {
  await db.schema.alterTable('oauth_states').addColumn('requested_scopes', 'text').execute();
}

export async function down(db: AnyKysely): Promise<void> {
  await db.schema.alterTable('oauth_states').dropColumn('requested_scopes').execute();
}
