import type { FakeResponse, FakeRouteHandler } from '@cfm/connector-sdk/testing/fakes';

export interface FakeDatadogMonitor {
  id: number;
  name: string;
  type: string;
  overall_state: string;
  /** Default `[]`. */
  tags?: string[];
  /** Default: a metric query naming the monitor. */
  query?: string;
}

/** Datadog answers API errors as `{"errors":["…"]}`. */
export function datadogError(status: number, ...errors: string[]): FakeResponse {
  return { status, body: { errors } };
}

function integerParameter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  return Number.isInteger(parsed) ? parsed : Number.NaN;
}

/**
 * `GET /api/v1/monitor`: `name` (substring) and `monitor_tags` (comma-separated, all must match) filter;
 * `page` (0-based) with `page_size` (1–1000, default 100 once `page` is given) pages; without `page`, every
 * monitor. Answers a bare JSON array, as Datadog does.
 */
export function listMonitorsRoute(monitors: readonly FakeDatadogMonitor[]): FakeRouteHandler {
  return (request) => {
    const page = integerParameter(request.query['page']);
    const pageSize = integerParameter(request.query['page_size']) ?? 100;
    if (Number.isNaN(pageSize) || pageSize < 1 || pageSize > 1000 || (page !== undefined && !(page >= 0))) {
      return datadogError(400, 'Invalid page_size or page');
    }
    const name = request.query['name']?.toLowerCase();
    const tags = (request.query['monitor_tags'] ?? '').split(',').filter((tag) => tag !== '');
    const matched = monitors.filter(
      (monitor) =>
        (name === undefined || monitor.name.toLowerCase().includes(name)) &&
        tags.every((tag) => (monitor.tags ?? []).includes(tag)),
    );
    const listed = page === undefined ? matched : matched.slice(page * pageSize, (page + 1) * pageSize);
    const body = listed.map((monitor) => ({
      id: monitor.id,
      org_id: 1_000_001,
      name: monitor.name,
      type: monitor.type,
      query: monitor.query ?? `avg(last_5m):avg:system.load.1{monitor:${monitor.id}} > 2`,
      message: `Notify @ops about ${monitor.name}`,
      tags: monitor.tags ?? [],
      options: { notify_no_data: false, thresholds: { critical: 2 } },
      overall_state: monitor.overall_state,
      overall_state_modified: '2025-01-01T00:00:00+00:00',
      created: '2024-06-01T00:00:00.000000+00:00',
      modified: '2024-06-01T00:00:00.000000+00:00',
      creator: { email: 'op@example.com', handle: 'op@example.com', name: 'Fake Operator' },
      multi: false,
      priority: null,
      restricted_roles: null,
      deleted: null,
    }));
    return { status: 200, body };
  };
}

const QUERY = /^(avg|sum|min|max):([a-z][a-z0-9_.]*)\{([^{}]*)\}(?:\s+by\s+\{([a-z_]+)\})?$/;

/** Deterministic values: a slow wave per host, so tests can check them without hard-coding. */
export function fakeMetricValue(metric: string, host: string, timestampSeconds: number): number {
  const phase = [...`${metric}:${host}`].reduce((sum, char) => sum + char.charCodeAt(0), 0);
  return Math.round((10 + 5 * Math.sin(timestampSeconds / 600 + phase)) * 1000) / 1000;
}

/**
 * `GET /api/v1/query?from&to&query`: one series per query (or per host with `by {host}`) for a known metric,
 * points every 60 s (coarser for long ranges, at most 300) as `[ms, value]`; an unknown metric has no series;
 * an unparsable query, a missing parameter or `from` after `to` answers 400 `{"errors":[…]}`.
 */
export function queryMetricsRoute(metrics: Readonly<Record<string, string[]>>): FakeRouteHandler {
  return (request) => {
    for (const name of ['from', 'to', 'query']) {
      if (request.query[name] === undefined) return datadogError(400, `The parameter '${name}' is required`);
    }
    const from = Number(request.query['from']);
    const to = Number(request.query['to']);
    if (!Number.isInteger(from) || !Number.isInteger(to))
      return datadogError(400, "'from' and 'to' must be integers");
    if (from >= to) return datadogError(400, "The 'from' parameter must be before the 'to' parameter");
    const query = (request.query['query'] as string).trim();
    const parsed = QUERY.exec(query);
    if (!parsed) return datadogError(400, `Error parsing query: unable to parse ${query}`);
    const [, aggregation, metric, scope, groupBy] = parsed as unknown as [
      string,
      string,
      string,
      string,
      string?,
    ];
    const hosts = metrics[metric] ?? [];
    const interval = Math.max(60, Math.ceil((to - from) / 300 / 60) * 60);
    const timestamps: number[] = [];
    for (let at = Math.ceil(from / interval) * interval; at <= to; at += interval) timestamps.push(at);
    const series = (groupBy === 'host' ? hosts.map((host) => [host]) : hosts.length > 0 ? [hosts] : []).map(
      (group) => {
        const host = group.length === 1 ? (group[0] as string) : '*';
        const seriesScope = group.length === 1 ? `host:${host}` : scope;
        return {
          metric,
          display_name: metric,
          scope: seriesScope,
          expression: `${aggregation}:${metric}{${seriesScope}}`,
          tag_set: group.length === 1 ? [`host:${host}`] : [],
          pointlist: timestamps.map((at) => [at * 1000, fakeMetricValue(metric, host, at)]),
          start: (timestamps[0] ?? from) * 1000,
          end: (timestamps.at(-1) ?? to) * 1000,
          interval,
          length: timestamps.length,
          aggr: aggregation,
          unit: null,
          query_index: 0,
        };
      },
    );
    return {
      status: 200,
      body: {
        status: 'ok',
        res_type: 'time_series',
        resp_version: 1,
        query,
        from_date: from * 1000,
        to_date: to * 1000,
        series,
        message: '',
        group_by: groupBy === undefined ? [] : [groupBy],
      },
    };
  };
}
