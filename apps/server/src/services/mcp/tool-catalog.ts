import type { ActionDefinition } from '@cfm/connector-sdk';
import type { ConnectionStatus } from '@cfm/db';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ResolvedConnector } from '../connector-resolver.js';
import type { EngineContext } from '../engine-context.js';
import { connectionSuffixes, toolName } from './tool-names.js';

/** What an operator lets agents see (`MCP_TOOLS`, `MCP_CONNECTORS`). */
export interface McpToolPolicy {
  /** `read-only`: only actions their connector declares read-only. */
  tools: 'all' | 'read-only';
  /** Only these connectors' tools; null: every connector. */
  connectors: readonly string[] | null;
}

/** One tool: an action of one of the user's connections. */
export interface CatalogTool {
  name: string;
  connectionId: string;
  connectorKey: string;
  /** The connector's display name (`Slack`), for messages a model reads. */
  connectorName: string;
  actionName: string;
  action: ActionDefinition;
  /** The action's output is not a JSON object: structured content is `{ result: <output> }`. */
  wrapsOutput: boolean;
  /** As `tools/list` answers it. */
  tool: Tool;
}

/** A tool name that belongs to a connection that cannot be used now (expired, revoked, pending, error). */
export interface UnusableTool {
  connectionId: string;
  connectorKey: string;
  connectorName: string;
  actionName: string;
  readOnly: boolean;
  status: ConnectionStatus;
}

/** The tools of one user, as one request sees them. */
export interface UserTools {
  readonly tools: readonly CatalogTool[];
  find(name: string): CatalogTool | undefined;
  /** When `name` is not a tool now but names one of a connection that is not active: that connection. */
  unusable(name: string): UnusableTool | undefined;
}

interface ConnectionFacts {
  connectionId: string;
  connectorKey: string;
  status: ConnectionStatus;
  identity: Record<string, unknown> | null;
  connector: ResolvedConnector;
}

// A tool name, title and description end up in a model's context: an account label from the provider is
// shown only as short, printable text.
function accountLabel(identity: Record<string, unknown> | null): string | null {
  const candidates = [
    identity?.['workspace'],
    identity?.['site'],
    identity?.['displayName'],
    identity?.['email'],
  ];
  const text = candidates.find((value): value is string => typeof value === 'string' && value.trim() !== '');
  if (text === undefined) return null;
  const printable = text
    .replace(/[\p{Cc}\p{Cf}"]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return printable.length > 60 ? `${printable.slice(0, 59)}…` : printable;
}

/** JSON Schema as plain JSON (TypeBox values may carry symbols or non-enumerable keys). */
function plainSchema(schema: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

function isObjectSchema(schema: Record<string, unknown>): boolean {
  return schema['type'] === 'object';
}

function describeTool(
  facts: ConnectionFacts,
  actionName: string,
  action: ActionDefinition,
  suffix: string | null,
): CatalogTool {
  const connectorName = facts.connector.definition.name;
  const name = toolName(facts.connectorKey, actionName, suffix);
  const label = suffix === null ? null : (accountLabel(facts.identity) ?? `connection ${suffix}`);
  const account = label === null ? '' : ` (${label})`;
  const output = plainSchema(action.output);
  const wrapsOutput = !isObjectSchema(output);
  const title = `${connectorName}${account}: ${actionName.replaceAll('_', ' ')}`;
  const tool: Tool = {
    name,
    title,
    description:
      suffix === null
        ? action.description
        : `${action.description}\n\nActs on the user's ${connectorName} account${account}, connection ${facts.connectionId}.`,
    inputSchema: plainSchema(action.input) as Tool['inputSchema'],
    outputSchema: (wrapsOutput
      ? { type: 'object', properties: { result: output }, required: ['result'] }
      : output) as Tool['outputSchema'],
    annotations: {
      title,
      readOnlyHint: action.readOnly,
      destructiveHint: !action.readOnly,
      // Every tool reaches a third-party service whose data changes outside this server.
      openWorldHint: true,
    },
  };
  return {
    name,
    connectionId: facts.connectionId,
    connectorKey: facts.connectorKey,
    connectorName,
    actionName,
    action,
    wrapsOutput,
    tool,
  };
}

function allowed(policy: McpToolPolicy, connectorKey: string, action: ActionDefinition): boolean {
  if (policy.connectors !== null && !policy.connectors.includes(connectorKey)) return false;
  return policy.tools === 'all' || action.readOnly;
}

function actionsOf(connector: ResolvedConnector): Array<[string, ActionDefinition]> {
  return Object.entries(connector.definition.actions ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

/**
 * The MCP tools of one user: one per action of each of the user's **active** connections whose connector
 * is loaded and enabled, as the policy allows. Read from the database on every call (a few rows), so a
 * connection that expired or was revoked a moment ago contributes nothing, in every server process.
 */
export async function loadUserTools(
  context: EngineContext,
  userId: string,
  policy: McpToolPolicy,
): Promise<UserTools> {
  const rows = await context.database.db
    .selectFrom('connections')
    .select(['id', 'connector_id', 'status', 'identity'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const connectors = new Map<string, ResolvedConnector | null>();
  const facts: ConnectionFacts[] = [];
  for (const row of rows) {
    if (!connectors.has(row.connector_id)) {
      connectors.set(row.connector_id, await context.connectors.resolveById(row.connector_id));
    }
    const connector = connectors.get(row.connector_id);
    if (!connector?.enabled || connector.definition.actions === undefined) continue;
    facts.push({
      connectionId: row.id,
      connectorKey: connector.key,
      status: row.status,
      identity: row.identity as Record<string, unknown> | null,
      connector,
    });
  }

  const active = facts.filter((entry) => entry.status === 'active');
  const suffixes = connectionSuffixes(active);
  const tools = new Map<string, CatalogTool>();
  for (const entry of active) {
    for (const [actionName, action] of actionsOf(entry.connector)) {
      if (!allowed(policy, entry.connectorKey, action)) continue;
      const tool = describeTool(entry, actionName, action, suffixes.get(entry.connectionId) ?? null);
      if (!tools.has(tool.name)) tools.set(tool.name, tool);
    }
  }

  // A name a model may still hold from an earlier list, of a connection that cannot be used now: plain, or
  // with the suffix it has among all of the user's connections of its connector.
  const inactive = facts.filter((entry) => entry.status !== 'active');
  const allSuffixes = connectionSuffixes(facts);
  const stale = new Map<string, UnusableTool>();
  for (const entry of inactive) {
    for (const [actionName, action] of actionsOf(entry.connector)) {
      if (!allowed(policy, entry.connectorKey, action)) continue;
      const unusable: UnusableTool = {
        connectionId: entry.connectionId,
        connectorKey: entry.connectorKey,
        connectorName: entry.connector.definition.name,
        actionName,
        readOnly: action.readOnly,
        status: entry.status,
      };
      for (const suffix of [null, allSuffixes.get(entry.connectionId) ?? null]) {
        const name = toolName(entry.connectorKey, actionName, suffix);
        if (!tools.has(name) && !stale.has(name)) stale.set(name, unusable);
      }
    }
  }

  const list = [...tools.values()];
  return {
    tools: list,
    find: (name) => tools.get(name),
    unusable: (name) => stale.get(name),
  };
}
