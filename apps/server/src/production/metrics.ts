/**
 * The process-wide counters any code may count into (services included). Counting is a map update,
 * whether or not `/metrics` is served, so call sites need no `if`; prom-client (about 50 ms to import)
 * is loaded only when `METRICS_ENABLED=true`, by `production/prometheus.ts`, which exposes these.
 * Labels must stay few: a connector key (one per connector row) and a fixed outcome word, never an id
 * or anything else taken from a request.
 *
 * @example
 * metrics.oauthCompletions.inc({ connector: 'slack', outcome: 'success' });
 */
export class LabelledCounter<Label extends string> {
  readonly #values = new Map<string, { labels: Record<Label, string>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly Label[],
  ) {}

  inc(labels: Record<Label, string>, by = 1): void {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    const entry = this.#values.get(key);
    if (entry === undefined) this.#values.set(key, { labels: { ...labels }, value: by });
    else entry.value += by;
  }

  /** Every label set counted so far, with its total. */
  entries(): Iterable<{ labels: Record<Label, string>; value: number }> {
    return this.#values.values();
  }
}

export type TokenRefreshOutcome = 'success' | 'rejected' | 'retryable' | 'failed';

export const metrics = {
  /** The end of a browser OAuth flow (the callback), by connector and `success` or the `CFM_` error code. */
  oauthCompletions: new LabelledCounter(
    'cfm_oauth_completions_total',
    'OAuth authorization flows completed, by connector and outcome (success or the CFM_ error code)',
    ['connector', 'outcome'] as const,
  ),
  /** One provider call to renew an access token (on demand or in the background). */
  tokenRefreshes: new LabelledCounter(
    'cfm_token_refreshes_total',
    'OAuth token refreshes sent to providers, by connector and outcome (success, rejected, retryable, failed)',
    ['connector', 'outcome'] as const,
  ),
  /** One pass of the background refresher (one process per machine runs it). */
  refresherRuns: new LabelledCounter(
    'cfm_token_refresher_runs_total',
    'Background token refresher passes, by outcome (ok, partial: some refreshes failed, failed)',
    ['outcome'] as const,
  ),
} as const;
