import type { ActionContext } from '@cfm/connector-sdk';
import { ConnectorError, defineAction, Type } from '@cfm/connector-sdk';
import { connectionSite, type DatadogConfig } from '../datadog-connection-site.js';
import { datadogErrorMessages, datadogGet } from '../datadog-errors.js';
import { apiOrigin } from '../datadog-sites.js';

const OPERATION = 'Datadog metric query';

interface QueryBody {
  status?: unknown;
  series?: { metric?: unknown; scope?: unknown; pointlist?: unknown }[];
}

const input = Type.Object(
  {
    query: Type.String({
      minLength: 1,
      maxLength: 4000,
      description: 'A Datadog metric query, e.g. `avg:system.cpu.user{env:prod} by {host}`.',
    }),
    from: Type.Integer({ minimum: 0, description: 'Start of the range, Unix time in seconds.' }),
    to: Type.Integer({ minimum: 0, description: 'End of the range, Unix time in seconds.' }),
  },
  { additionalProperties: false },
);

const output = Type.Object({
  series: Type.Array(
    Type.Object({
      metric: Type.String(),
      scope: Type.Union([Type.String(), Type.Null()]),
      points: Type.Array(Type.Tuple([Type.Integer(), Type.Union([Type.Number(), Type.Null()])]), {
        description: '`[timestamp, value]` pairs: Unix seconds, and null where Datadog has no value.',
      }),
    }),
  ),
});

function pointsOf(pointlist: unknown): [number, number | null][] {
  if (!Array.isArray(pointlist)) return [];
  const points: [number, number | null][] = [];
  for (const point of pointlist) {
    if (!Array.isArray(point) || typeof point[0] !== 'number') continue;
    const value = point[1];
    // Datadog's timestamps are milliseconds; the action speaks Unix seconds, like its input.
    points.push([
      Math.floor(point[0] / 1000),
      typeof value === 'number' && Number.isFinite(value) ? value : null,
    ]);
  }
  return points;
}

/** `query_metrics`: the time series of a metric query over a time range. */
export const queryMetrics = defineAction({
  description:
    'Run a Datadog metric query over a time range (Unix seconds) and return each series with its scope and ' +
    '[timestamp, value] points.',
  input,
  output,
  async run(ctx: ActionContext<DatadogConfig>, params) {
    const url = `${apiOrigin(connectionSite(ctx))}/api/v1/query`;
    const response = await datadogGet<QueryBody>(
      ctx.http,
      url,
      { query: params.query, from: params.from, to: params.to },
      OPERATION,
    );
    // Some v1 answers report a query error with HTTP 200 and `status: "error"`.
    if (response.body.status === 'error') {
      const detail = datadogErrorMessages(response.body).join('; ');
      throw new ConnectorError(`${OPERATION} was refused${detail ? `: ${detail}` : ''}`, {
        reason: 'config',
        status: response.status,
      });
    }
    const series = Array.isArray(response.body.series) ? response.body.series : [];
    return {
      series: series.map((entry) => ({
        metric: typeof entry.metric === 'string' ? entry.metric : '',
        scope: typeof entry.scope === 'string' ? entry.scope : null,
        points: pointsOf(entry.pointlist),
      })),
    };
  },
});
