import type { AuthDescriptor, ConnectorDefinition } from '@cfm/connector-sdk';
import type { ConnectorRow } from '@cfm/db';
import type { ConnectorView } from '../schemas/connector.js';
import { actionViews } from './actions/action-runner.js';
import type { CustomDefinitionData } from './custom-connector.js';

export interface ConnectorFacts {
  /** Present when the connector is loaded (packaged) or builds (custom). */
  definition: ConnectorDefinition | undefined;
  status: ConnectorView['status'];
  statusReason: string | null;
  configured: boolean;
  missingVariables: string[];
  /** Add the actions with their JSON Schemas (one connector's page, not the list). */
  detail?: boolean;
}

function scopesOf(auth: readonly AuthDescriptor[]): string[] {
  return auth.flatMap((descriptor) => (descriptor.type === 'oauth2' ? descriptor.scopes.required : []));
}

/**
 * The API view of a connector row: display fields and `enabled` from the row (an admin may have edited
 * them), the auth facts from the live definition when there is one, else from the stored data.
 * Built field by field so a secret column can never leak into a response.
 */
export function describeConnector(row: ConnectorRow, facts: ConnectorFacts): ConnectorView {
  const storedAuth = (Array.isArray(row.auth)
    ? row.auth
    : row.auth
      ? [row.auth]
      : []) as unknown as AuthDescriptor[];
  const auth = facts.definition ? [...facts.definition.auth] : storedAuth;
  const view: ConnectorView = {
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    source: row.source,
    version: row.version,
    auth_type: auth[0]?.type ?? row.auth_type,
    auth_types: [...new Set(auth.map((descriptor) => descriptor.type))],
    scopes: scopesOf(auth),
    optional_scopes: auth.flatMap((descriptor) =>
      descriptor.type === 'oauth2' ? [...(descriptor.scopes.optional ?? [])] : [],
    ),
    config_schema: row.config_schema,
    icon_url: row.icon_url,
    docs_url: row.docs_url,
    categories: [...row.categories],
    enabled: row.enabled,
    configured: facts.configured,
    status: facts.status,
    status_reason: facts.statusReason,
  };
  const definition = facts.definition;
  view.api_base_url = definition?.api?.baseUrl ?? null;
  view.action_names = Object.keys(definition?.actions ?? {}).sort();
  if (facts.detail === true) view.actions = definition ? actionViews(definition) : [];
  if (!facts.configured && facts.missingVariables.length > 0)
    view.missing_variables = [...facts.missingVariables];
  if (row.source === 'custom' && row.custom_definition !== null) {
    const data = row.custom_definition as unknown as CustomDefinitionData;
    view.custom = {
      auth: data.auth,
      check: data.check,
      has_client_secret: row.client_secret_ciphertext !== null,
    };
  }
  return view;
}
