import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** One registry's metrics as `getMetricsAsJSON()` gives them (what crosses the IPC channel). */
type RegistryJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * `/metrics` under `node:cluster`: a scrape lands on one worker (the primary hands connections out), so
 * that worker asks the primary, the primary asks every worker for its metrics as JSON over IPC and
 * returns them merged. Each worker's series carry a `worker` label (its slot, 1..N), so a scrape shows
 * every worker and `sum without (worker)` gives the machine. A worker that does not answer in time
 * (starting, stopping) is left out of that scrape rather than failing it.
 */

const COLLECT = 'cfm:metrics:collect';
const COLLECTED = 'cfm:metrics:collected';
const REQUEST = 'cfm:metrics:request';
const REPORT = 'cfm:metrics:report';

/** How long the primary waits for the workers, and a worker for the primary. */
export const CLUSTER_METRICS_TIMEOUT_MS = 2000;

type Message =
  | { type: typeof COLLECT; id: number }
  | { type: typeof COLLECTED; id: number; metrics: RegistryJson[] }
  | { type: typeof REQUEST; id: number }
  | { type: typeof REPORT; id: number; text?: string; error?: string };

function isMessage(value: unknown): value is Message {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}

/** True in a worker forked by our primary (which answers metrics requests). */
export function inClusterWorker(): boolean {
  return cluster.isWorker && typeof process.send === 'function';
}

/**
 * Worker side: answers the primary's collection requests with `registry`'s metrics. Returns the
 * function that stops answering (the app closes).
 */
export function answerCollectRequests(registry: Registry): () => void {
  const listener = (message: unknown) => {
    if (!isMessage(message) || message.type !== COLLECT) return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: COLLECTED, id: message.id, metrics: [metrics] }),
      // An answer that never comes costs the primary its timeout; an empty one costs nothing.
      () => process.send?.({ type: COLLECTED, id: message.id, metrics: [] }),
    );
  };
  process.on('message', listener);
  return () => {
    process.off('message', listener);
  };
}

let nextRequestId = 0;

/** Worker side: the merged metrics of every worker, as Prometheus text, from the primary. */
export function requestClusterMetrics(timeoutMs = CLUSTER_METRICS_TIMEOUT_MS + 1000): Promise<string> {
  const id = nextRequestId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', listener);
      reject(new Error('the cluster primary did not answer the metrics request in time'));
    }, timeoutMs);
    const listener = (message: unknown) => {
      if (!isMessage(message) || message.type !== REPORT || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', listener);
      if (message.text !== undefined) resolve(message.text);
      else reject(new Error(message.error ?? 'the cluster primary could not merge the metrics'));
    };
    process.on('message', listener);
    process.send?.({ type: REQUEST, id });
  });
}

interface Collection {
  pending: Set<number>;
  responses: RegistryJson[];
  finish: () => void;
}

/**
 * Primary side: answers workers' `/metrics` requests. `workers()` lists the workers to ask (those that
 * listen). Installed once, when metrics are enabled.
 */
export function answerMetricsRequests(workers: () => readonly Worker[]): void {
  const collections = new Map<number, Collection>();
  let nextCollectionId = 0;

  const collect = (): Promise<RegistryJson[]> =>
    new Promise((resolve) => {
      const id = nextCollectionId++;
      const asked = workers().filter((worker) => worker.isConnected());
      const collection: Collection = {
        pending: new Set(asked.map((worker) => worker.id)),
        responses: [],
        finish: () => {
          clearTimeout(timer);
          collections.delete(id);
          resolve(collection.responses);
        },
      };
      const timer = setTimeout(collection.finish, CLUSTER_METRICS_TIMEOUT_MS);
      collections.set(id, collection);
      for (const worker of asked) worker.send({ type: COLLECT, id });
      if (asked.length === 0) collection.finish();
    });

  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.type === COLLECTED) {
      const collection = collections.get(message.id);
      if (collection === undefined || !collection.pending.delete(worker.id)) return;
      collection.responses.push(...message.metrics);
      if (collection.pending.size === 0) collection.finish();
      return;
    }
    if (message.type !== REQUEST) return;
    collect()
      .then((responses) => AggregatorRegistry.aggregate(responses).metrics())
      .then(
        (text) => worker.send({ type: REPORT, id: message.id, text }),
        (error: unknown) =>
          worker.send({
            type: REPORT,
            id: message.id,
            error: error instanceof Error ? error.message : String(error),
          }),
      );
  });
}
