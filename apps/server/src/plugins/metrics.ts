import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** Requests no route matched (404s, scanners): one series, whatever the URL was. */
const UNMATCHED = 'unmatched';

/**
 * `GET /metrics` in the Prometheus text format, only with `METRICS_ENABLED=true`. Disabled, nothing is
 * registered or loaded (no hook, no prom-client) and `/metrics` is an unknown route (404). Enabled, it
 * answers admin tokens and service keys with the scope `metrics:read` (401 without a token, 403 for other
 * users and keys). Not in the OpenAPI document: it is an operator's endpoint, not part of the API a
 * front-end consumes.
 *
 * Series: request count and latency per route pattern, method and status class; the process-wide
 * counters of `production/metrics.ts` (OAuth completions, token refreshes, refresher passes); each
 * connector package's load status; PostgreSQL pool use; Node's process metrics. Under `node:cluster`
 * every worker's series carry `worker="<slot>"`, and whichever worker a scrape reaches answers for all.
 */
export const metricsPlugin = fp(
  async (app) => {
    if (!app.config.metricsEnabled) return;
    const [{ createPrometheusMetrics }, clusterMetrics] = await Promise.all([
      import('../production/prometheus.js'),
      import('../production/cluster-metrics.js'),
    ]);
    const prometheus = createPrometheusMetrics({
      connectors: () => app.connectors.discovered,
      ...(app.db.poolStats && { poolStats: () => app.db.poolStats?.() }),
      ...(app.config.workerSlot !== undefined && { workerSlot: app.config.workerSlot }),
    });

    app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
      prometheus.observeRequest(
        request.routeOptions.url ?? UNMATCHED,
        request.method,
        reply.statusCode,
        reply.elapsedTime,
      );
    });

    const inCluster = clusterMetrics.inClusterWorker();
    if (inCluster) {
      const stop = clusterMetrics.answerCollectRequests(prometheus.registry);
      app.addHook('onClose', async () => stop());
    }

    app.get(
      '/metrics',
      {
        // An admin token, or a service key holding `metrics:read` (what a Prometheus server is given).
        onRequest: app.requireAdmin,
        schema: { hide: true },
        // Reads no row of the caller's: the user row cached for these claims will do.
        config: { cachedUser: true, serviceScope: 'metrics:read' },
      },
      async (_request, reply) => {
        const text = inCluster
          ? await clusterMetrics.requestClusterMetrics()
          : await prometheus.registry.metrics();
        return reply.type(prometheus.registry.contentType).send(text);
      },
    );
  },
  { name: 'cfm-metrics', fastify: '5.x', dependencies: ['cfm-auth', 'cfm-connectors', 'cfm-db'] },
);
