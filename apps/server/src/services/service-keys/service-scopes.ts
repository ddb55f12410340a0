/**
 * What a service key may do, one scope per capability. The one list the API schemas, the auth plugin and
 * the CLI read: adding a scope here adds it everywhere.
 */
export const SERVICE_SCOPES = [
  'connections:read',
  'connections:proxy',
  'connections:token',
  'connections:actions',
  'metrics:read',
] as const;

export type ServiceScope = (typeof SERVICE_SCOPES)[number];

export function isServiceScope(value: string): value is ServiceScope {
  return (SERVICE_SCOPES as readonly string[]).includes(value);
}

/** What each scope grants, for the API description and the CLI's help. */
export const SERVICE_SCOPE_DESCRIPTIONS: Readonly<Record<ServiceScope, string>> = {
  'connections:read': "list and read every user's connections (`GET /api/connections/`, `?user=`)",
  'connections:proxy': 'call the provider API through `/api/connections/{id}/proxy/{path}`',
  'connections:token': 'get a fresh provider access token (`GET /api/connections/{id}/token`)',
  'connections:actions': "run the connectors' actions (`POST /api/connections/{id}/actions/{name}`)",
  'metrics:read': 'read the Prometheus metrics (`GET /metrics`, when enabled)',
};
