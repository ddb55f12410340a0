import type { PoolStats } from '@cfm/db';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { metrics } from './metrics.js';

/** Seconds; from a cached user read (sub-millisecond) to a provider call that times out. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export interface MetricSources {
  /** Connector packages found at start, with their load status. */
  connectors: () => Iterable<{ key: string; status: string }>;
  /** PostgreSQL pool use; undefined on SQLite (then no pool series). */
  poolStats?: () => PoolStats | undefined;
  /** `worker="<slot>"` on every series, under `node:cluster`. */
  workerSlot?: number;
}

export interface PrometheusMetrics {
  registry: Registry;
  /** One request answered: its route pattern (or `unmatched`), method, status code and duration (ms). */
  observeRequest(route: string, method: string, statusCode: number, milliseconds: number): void;
}

let processRegistry: Registry | undefined;

/**
 * Node's own metrics (CPU, RSS, heap, event loop delay, GC), once per process: they install observers
 * that never stop, so a second app in one process (tests) must not add more.
 */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The registry one app serves at `/metrics`, and the cheap per-request observation behind it. */
export function createPrometheusMetrics(sources: MetricSources): PrometheusMetrics {
  const registry = new Registry();
  const requests = new Histogram({
    name: 'cfm_http_request_duration_seconds',
    help: 'HTTP requests: count and time to the response, by route pattern, method and status class',
    labelNames: ['route', 'method', 'status_class'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  for (const counter of Object.values(metrics)) {
    new Counter({
      name: counter.name,
      help: counter.help,
      labelNames: counter.labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const entry of counter.entries()) this.inc(entry.labels, entry.value);
      },
    });
  }
  new Gauge({
    name: 'cfm_connector_load_status',
    help: 'Connector packages found at start: 1 per package, labelled with its key and load status',
    labelNames: ['connector', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const item of sources.connectors()) this.set({ connector: item.key, status: item.status }, 1);
    },
  });
  if (sources.poolStats?.() !== undefined) registerPoolGauges(registry, sources.poolStats);

  const merged = Registry.merge([processMetrics(), registry]);
  if (sources.workerSlot !== undefined) merged.setDefaultLabels({ worker: String(sources.workerSlot) });

  // One bound child per (route, method, status class): prom-client then skips hashing the labels on
  // every request. Bounded: routes and methods are finite and unmatched URLs share one label.
  const observers = new Map<string, Histogram.Internal<'route' | 'method' | 'status_class'>>();
  return {
    registry: merged,
    observeRequest(route, method, statusCode, milliseconds) {
      const statusClass = STATUS_CLASSES[Math.floor(statusCode / 100) - 1] ?? '5xx';
      const key = `${method} ${statusClass} ${route}`;
      let observer = observers.get(key);
      if (observer === undefined) {
        observer = requests.labels({ route, method, status_class: statusClass });
        observers.set(key, observer);
      }
      observer.observe(milliseconds / 1000);
    },
  };
}

function registerPoolGauges(registry: Registry, poolStats: () => PoolStats | undefined): void {
  const gauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const stats = poolStats();
        if (stats !== undefined) this.set(read(stats));
      },
    });
  gauge('cfm_db_pool_connections', 'PostgreSQL connections open in the pool', (stats) => stats.total);
  gauge('cfm_db_pool_idle_connections', 'PostgreSQL pool connections not in use', (stats) => stats.idle);
  gauge(
    'cfm_db_pool_waiting_queries',
    'Queries waiting for a PostgreSQL connection (every pooled one is busy)',
    (stats) => stats.waiting,
  );
}
