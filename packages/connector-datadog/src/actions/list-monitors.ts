import type { ActionContext } from '@cfm/connector-sdk';
import { ConnectorError, defineAction, Type } from '@cfm/connector-sdk';
import { connectionSite, type DatadogConfig } from '../datadog-connection-site.js';
import { datadogGet } from '../datadog-errors.js';
import { apiOrigin } from '../datadog-sites.js';

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;
const OPERATION = 'Datadog monitor list';

interface Monitor {
  id?: unknown;
  name?: unknown;
  type?: unknown;
  overall_state?: unknown;
  tags?: unknown;
}

const input = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_LIMIT,
        default: DEFAULT_LIMIT,
        description: 'Monitors per page; a cursor keeps the page size of the call that returned it.',
      }),
    ),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'The `next_cursor` of the previous page.' }),
    ),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'Only monitors whose name contains this.' }),
    ),
    tags: Type.Optional(
      Type.Array(Type.String({ pattern: '^[^,]{1,200}$' }), {
        maxItems: 20,
        description: 'Only monitors carrying every one of these monitor tags (`team:web`, `env:prod`).',
      }),
    ),
  },
  { additionalProperties: false },
);

const output = Type.Object({
  monitors: Type.Array(
    Type.Object({
      id: Type.Integer(),
      name: Type.String(),
      type: Type.String(),
      overall_state: Type.Union([Type.String(), Type.Null()]),
      tags: Type.Array(Type.String()),
    }),
  ),
  next_cursor: Type.Optional(Type.String({ description: 'Present only when there are more monitors.' })),
});

interface Position {
  page: number;
  size: number;
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify({ p: position.page, s: position.size }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new ConnectorError('The cursor is not one list_monitors returned', {
      reason: 'config',
      cause: error,
    });
  }
  const { p, s } = (parsed ?? {}) as { p?: unknown; s?: unknown };
  if (
    !Number.isInteger(p) ||
    (p as number) < 0 ||
    !Number.isInteger(s) ||
    (s as number) < 1 ||
    (s as number) > MAX_LIMIT
  ) {
    throw new ConnectorError('The cursor is not one list_monitors returned', { reason: 'config' });
  }
  return { page: p as number, size: s as number };
}

function monitorOf(monitor: Monitor) {
  return {
    id: Number(monitor.id),
    name: typeof monitor.name === 'string' ? monitor.name : '',
    type: typeof monitor.type === 'string' ? monitor.type : '',
    overall_state: typeof monitor.overall_state === 'string' ? monitor.overall_state : null,
    tags: Array.isArray(monitor.tags)
      ? monitor.tags.filter((tag): tag is string => typeof tag === 'string')
      : [],
  };
}

/** `list_monitors`: one page of the organization's monitors, optionally filtered by name and tags. */
export const listMonitors = defineAction({
  description:
    'List Datadog monitors (id, name, type, overall state, tags), optionally only those whose name contains ' +
    'a text or that carry given tags. Pass `next_cursor` back as `cursor` for the next page.',
  input,
  output,
  async run(ctx: ActionContext<DatadogConfig>, params) {
    const position =
      params.cursor === undefined
        ? { page: 0, size: params.limit ?? DEFAULT_LIMIT }
        : decodeCursor(params.cursor);
    // The token's own site (see connectionSite), which `ctx.api` (bound to the configured site) may not be.
    const url = `${apiOrigin(connectionSite(ctx))}/api/v1/monitor`;
    const filters = {
      ...(params.name !== undefined && { name: params.name }),
      ...(params.tags !== undefined && params.tags.length > 0 && { monitor_tags: params.tags.join(',') }),
    };
    const response = await datadogGet<Monitor[]>(
      ctx.http,
      url,
      { ...filters, page: position.page, page_size: position.size },
      OPERATION,
    );
    if (!Array.isArray(response.body)) {
      throw new ConnectorError(`${OPERATION}: Datadog answered without a list`, { reason: 'provider' });
    }
    const monitors = response.body.slice(0, position.size).map(monitorOf);
    let more = false;
    if (monitors.length === position.size) {
      // Datadog gives no total: a full page may be the last. With a page size of 1 the page number is an item
      // index, so one single-item request tells whether the next page has anything.
      const probe = await datadogGet<unknown[]>(
        ctx.http,
        url,
        { ...filters, page: (position.page + 1) * position.size, page_size: 1 },
        OPERATION,
      );
      more = Array.isArray(probe.body) && probe.body.length > 0;
    }
    const next = more ? encodeCursor({ page: position.page + 1, size: position.size }) : undefined;
    return { monitors, ...(next !== undefined && { next_cursor: next }) };
  },
});
