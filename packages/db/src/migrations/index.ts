import type { Migration } from 'kysely';
import * as initial from './2026_11_29_0001_initial.js';
import * as connectionListIndex from './2026_11_29_0002_connection-list-index.js';
import * as serviceKeys from './2026_12_03_0001_service-keys.js';
import * as auditEvents from './2026_12_03_0002_audit-events.js';
import * as oauthStateRequestedScopes from './2026_12_03_0003_oauth-state-requested-scopes.js';
import * as connectorChangeNotify from './2026_12_03_0004_connector-change-notify.js';
import * as connectionsCreatedAtIndex from './2026_12_03_0005_connections-created-at-index.js';
import * as credentialsRefreshOrderIndex from './2026_12_03_0006_credentials-refresh-order-index.js';

/**
 * Every migration, by name. A static map (not a folder scan) so it works from `dist` and bundles.
 * Names sort by date; a landed migration is never edited, a change is a new entry.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '2026_11_29_0001_initial': initial,
  '2026_11_29_0002_connection-list-index': connectionListIndex,
  '2026_12_03_0001_service-keys': serviceKeys,
  '2026_12_03_0002_audit-events': auditEvents,
  '2026_12_03_0003_oauth-state-requested-scopes': oauthStateRequestedScopes,
  '2026_12_03_0004_connector-change-notify': connectorChangeNotify,
  '2026_12_03_0005_connections-created-at-index': connectionsCreatedAtIndex,
  '2026_12_03_0006_credentials-refresh-order-index': credentialsRefreshOrderIndex,
};
