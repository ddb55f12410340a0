import type { ClientCredentials, ConnectorDefinition } from '@cfm/connector-sdk';

/**
 * A connector as the OAuth engine and the connection routes need it: the definition (from a package or
 * built from a custom connector's data), its database row id, and the client credentials the platform
 * holds for it. The connector registry implements {@link ConnectorResolver}; services depend only on this.
 */
export interface ResolvedConnector {
  /** `connectors.id` */
  id: string;
  key: string;
  source: 'package' | 'custom';
  enabled: boolean;
  definition: ConnectorDefinition;
  /** Null when the client id or secret is missing (`missingVariables` says which). */
  client: ClientCredentials | null;
  /** Environment variables an operator must set before OAuth works (`JIRA_CLIENT_ID`, …). */
  missingVariables: string[];
}

export interface ConnectorResolver {
  /** A loaded connector by key, or null when unknown or not loaded (failed/incompatible). */
  resolve(key: string): Promise<ResolvedConnector | null>;
  /** The same by `connectors.id`. */
  resolveById(id: string): Promise<ResolvedConnector | null>;
}
